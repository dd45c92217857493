/* test-cache-runkey.c: what makes two `code-cache run` calls the same entry, and what does not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cache/runkey.h"
#include "libcommon/exitcodes.h"
#include "tests/lib/tap.h"

static char *
key_of(const struct runkey_request *rq)
{
	struct strbuf sb = STRBUF_INIT;

	if (runkey_build(rq, &sb) != 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

static int
same(const struct runkey_request *a, const struct runkey_request *b)
{
	char *x = key_of(a), *y = key_of(b);
	int r = x && y && strcmp(x, y) == 0;

	free(x);
	free(y);
	return r;
}

int
main(void)
{
	const char *argv1[] = { "cc", "-c", "a.c" };
	const char *argv2[] = { "cc", "-c a.c" };
	const char *argv3[] = { "cc -c", "a.c" };
	const char *env1[] = { "CC_FLAGS", "LANG" };
	const char *env2[] = { "LANG", "CC_FLAGS", "LANG" };
	const char *in1[2], *in2[1], *out1[] = { "b.o", "a.o" }, *out2[] = { "a.o", "b.o", "a.o" };
	char a[512], b[512], d[400], sub[512];
	struct runkey_request r1 = { .argv = argv1, .argc = 3 }, r2 = { .argv = argv1, .argc = 3 };
	char *k;

	tap_write_file(tap_path(a, sizeof(a), "a.c"), "int a;\n", 7);
	tap_write_file(tap_path(b, sizeof(b), "b.h"), "#define B 1\n", 12);
	tap_path(d, sizeof(d), "dir");
	mkdir(d, 0700);
	snprintf(sub, sizeof(sub), "%s/x.h", d);
	tap_write_file(sub, "x\n", 2);

	ok(same(&r1, &r2), "the same request gives the same key");
	r2.argv = argv2;
	r2.argc = 2;
	ok(!same(&r1, &r2), "argument boundaries count ('-c' 'a.c' vs '-c a.c')");
	r1.argv = argv3;
	r1.argc = 2;
	ok(!same(&r1, &r2), "and the other way round");
	r1.argv = r2.argv = argv1;
	r1.argc = r2.argc = 3;

	setenv("CC_FLAGS", "-O2", 1);
	unsetenv("LANG");
	r1.env = env1;
	r1.nenv = 2;
	r2.env = env2;
	r2.nenv = 3;
	ok(same(&r1, &r2), "env names in any order, repeated or not");
	k = key_of(&r1);
	ok(k && strstr(k, "env LANG unset\n") && strstr(k, "env CC_FLAGS ") && !strstr(k, "-O2"),
	   "env values enter as digests, unset names as unset");
	free(k);
	k = key_of(&r1);
	setenv("CC_FLAGS", "-O3", 1);
	{
		char *k2 = key_of(&r1);

		ok(k && k2 && strcmp(k, k2) != 0, "a changed env value changes the key");
		free(k2);
	}
	free(k);
	setenv("LANG", "", 1);
	k = key_of(&r1);
	ok(k && !strstr(k, "env LANG unset"), "set to empty is not unset");
	free(k);
	r1.env = r2.env = NULL;
	r1.nenv = r2.nenv = 0;

	in1[0] = a;
	in1[1] = d;
	r1.inputs = in1;
	r1.ninputs = 2;
	k = key_of(&r1);
	ok(k && strstr(k, "x.h") && strstr(k, "a.c"), "a directory input is expanded to its files");
	tap_write_file(sub, "y\n", 2);
	{
		char *k2 = key_of(&r1);

		ok(k && k2 && strcmp(k, k2) != 0, "a changed file inside an input directory changes the key");
		free(k2);
	}
	free(k);
	in2[0] = "/nonexistent/input";
	r2.inputs = in2;
	r2.ninputs = 1;
	{
		struct strbuf sb = STRBUF_INIT;
		int ret;

		tap_capture_begin();
		ret = runkey_build(&r2, &sb);
		ok(strstr(tap_capture_end(), "cannot open '/nonexistent/input'") != NULL,
		   "a missing input is named");
		is_int(ret, -CODE_EXIT_NOINPUT, "a missing input is 66");
		strbuf_release(&sb);
	}
	r1.inputs = r2.inputs = NULL;
	r1.ninputs = r2.ninputs = 0;

	r1.outputs = out1;
	r1.noutputs = 2;
	r2.outputs = out2;
	r2.noutputs = 3;
	ok(same(&r1, &r2), "outputs in any order, repeated or not");
	r2.noutputs = 1;
	ok(!same(&r1, &r2), "a different output list is another entry");
	r2.outputs = out1;
	r2.noutputs = 2;

	r1.has_stdin = true;
	r1.stdin_data = "abc";
	r1.stdin_len = 3;
	ok(!same(&r1, &r2), "piped stdin counts");
	r2.has_stdin = true;
	r2.stdin_data = "abc";
	r2.stdin_len = 3;
	ok(same(&r1, &r2), "the same stdin, the same key");
	r2.stdin_data = "abd";
	ok(!same(&r1, &r2), "other stdin, another key");
	r2.stdin_len = 0;
	r1.stdin_len = 0;
	ok(same(&r1, &r2), "empty piped stdin equals empty piped stdin");
	r2.has_stdin = false;
	ok(!same(&r1, &r2), "but not no stdin at all");
	return tap_done();
}
