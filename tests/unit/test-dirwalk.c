/* test-dirwalk.c: walks give sorted regular files, no loops, located misses. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcommon/dirwalk.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "tests/lib/tap.h"

static int
collect(const char *path, void *arg)
{
	struct strbuf *sb = arg;
	const char *rel = strstr(path, "/t/");

	strbuf_addstr(sb, rel ? rel + 3 : path);
	strbuf_addch(sb, '\n');
	return 0;
}

static int
stop_at_second(const char *path, void *arg)
{
	int *count = arg;

	(void)path;
	return ++*count == 2 ? 42 : 0;
}

static void
touch(const char *dir, const char *name)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs("x\n", f);
		fclose(f);
	}
}

int
main(void)
{
	char root[2048], sub[3000], link[4200], missing[4200];
	const char *paths[3];
	struct strbuf got = STRBUF_INIT;
	int count = 0;

	snprintf(root, sizeof(root), "%.2000s/t", tap_tmpdir());
	mkdir(root, 0700);
	touch(root, "b.log");
	touch(root, "a.log");
	snprintf(sub, sizeof(sub), "%s/sub", root);
	mkdir(sub, 0700);
	touch(sub, "z.log");
	touch(sub, ".hidden.log");
	snprintf(link, sizeof(link), "%s/loop", sub);
	ok(symlink("..", link) == 0, "a symlink loop is set up");
	snprintf(link, sizeof(link), "%s/c.log", root);
	ok(symlink("a.log", link) == 0, "a symlink to a file is set up");
	mkfifo(strcat(strcpy(missing, root), "/fifo"), 0600);

	paths[0] = root;
	is_int(dirwalk(paths, 1, collect, &got), 0, "a directory walk succeeds");
	is_str(strbuf_str(&got), "a.log\nb.log\nc.log\nsub/.hidden.log\nsub/z.log\n",
	       "files come in name order, links to files followed, loops and fifos not");

	strbuf_reset(&got);
	snprintf(missing, sizeof(missing), "%s/nope.log", root);
	paths[0] = missing;
	paths[1] = sub;
	fprintf(stderr, "(an error message follows: expected)\n");
	is_int(dirwalk(paths, 2, collect, &got), -CODE_EXIT_NOINPUT,
	       "a missing path is exit 66 ...");
	is_str(strbuf_str(&got), "sub/.hidden.log\nsub/z.log\n", "... after the others are walked");

	strbuf_reset(&got);
	paths[0] = "-";
	is_int(dirwalk(paths, 1, collect, &got), 0, "'-' is passed through");
	is_str(strbuf_str(&got), "-\n", "as given");

	paths[0] = root;
	is_int(dirwalk(paths, 1, stop_at_second, &count), 42,
	       "the callback's non-zero value stops the walk and is returned");
	is_int(count, 2, "no file is visited after the stop");
	strbuf_release(&got);
	return tap_done();
}
