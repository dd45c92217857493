/* test-cache-runexec.c: code-cache run's command is teed and captured, and replayed byte for byte. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cache/runexec.h"
#include "libcommon/exitcodes.h"
#include "tests/lib/tap.h"

/* Sends fds 1 and 2 to files while fn runs; returns what each got. */
static char teed_out[65536], teed_err[65536];

static int saved1, saved2;

static void
redirect_begin(void)
{
	char p1[512], p2[512];
	int f1 = open(tap_path(p1, sizeof(p1), "fd1"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	int f2 = open(tap_path(p2, sizeof(p2), "fd2"), O_RDWR | O_CREAT | O_TRUNC, 0600);

	fflush(stdout);
	saved1 = dup(1);
	saved2 = dup(2);
	dup2(f1, 1);
	dup2(f2, 2);
	close(f1);
	close(f2);
}

static void
redirect_end(void)
{
	char p[512];
	FILE *f;
	size_t n;

	dup2(saved1, 1);
	dup2(saved2, 2);
	close(saved1);
	close(saved2);
	f = fopen(tap_path(p, sizeof(p), "fd1"), "r");
	n = fread(teed_out, 1, sizeof(teed_out) - 1, f);
	teed_out[n] = '\0';
	fclose(f);
	f = fopen(tap_path(p, sizeof(p), "fd2"), "r");
	n = fread(teed_err, 1, sizeof(teed_err) - 1, f);
	teed_err[n] = '\0';
	fclose(f);
}

int
main(void)
{
	char *sh1[] = { "sh", "-c", "echo out; echo err >&2; printf 'x\\0y'; exit 3", NULL };
	char *cat[] = { "cat", NULL };
	char *kill9[] = { "sh", "-c", "kill -9 $$", NULL };
	char *none[] = { "/nonexistent/prog", NULL };
	char *big[] = { "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a; head -c 200000 /dev/zero | tr '\\0' b >&2", NULL };
	struct runexec_result res;
	struct run_file *files = NULL;
	struct strbuf storage = STRBUF_INIT;
	struct run_record rec = { 0 };
	char o1[512], o2[512];
	const char *outs[2];
	struct stat st;
	int ret;

	redirect_begin();
	ret = runexec_spawn(sh1, NULL, 0, false, &res);
	redirect_end();
	is_int(ret, 0, "a command runs");
	is_int(res.exit_status, 3, "its exit status is kept");
	ok(res.out.len == 7 && memcmp(res.out.buf, "out\nx\0y", 7) == 0, "stdout captured, NUL included");
	is_str(res.err.buf, "err\n", "stderr captured");
	ok(memcmp(teed_out, "out\nx", 5) == 0, "stdout was teed to ours");
	is_str(teed_err, "err\n", "stderr was teed to ours");
	runexec_result_release(&res);

	redirect_begin();
	ret = runexec_spawn(cat, "piped input\n", 12, true, &res);
	redirect_end();
	is_str(res.out.buf, "piped input\n", "the saved stdin is fed to the command");
	runexec_result_release(&res);

	redirect_begin();
	ret = runexec_spawn(big, NULL, 0, false, &res);
	redirect_end();
	ok(res.out.len == 300000 && res.err.len == 200000, "large stdout and stderr together do not deadlock");
	runexec_result_release(&res);

	redirect_begin();
	ret = runexec_spawn(kill9, NULL, 0, false, &res);
	redirect_end();
	ok(res.signaled && res.exit_status == 137, "killed by a signal: 128 + 9");
	runexec_result_release(&res);

	redirect_begin();
	ret = runexec_spawn(none, NULL, 0, false, &res);
	redirect_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "a missing program is 66");
	ok(strstr(teed_err, "cannot run '/nonexistent/prog'") != NULL, "and is named");
	runexec_result_release(&res);

	tap_write_file(tap_path(o1, sizeof(o1), "app.bin"), "\x7f" "ELF...", 7);
	chmod(o1, 0751);
	tap_path(o2, sizeof(o2), "missing.o");
	outs[0] = o1;
	outs[1] = o2;
	tap_capture_begin();
	ret = runexec_collect(outs, 2, &files, &storage);
	ok(ret == -CODE_EXIT_NOINPUT && strstr(tap_capture_end(), "did not write") != NULL,
	   "a missing output is an error, nothing is stored");
	strbuf_reset(&storage);
	ret = runexec_collect(outs, 1, &files, &storage);
	ok(ret == 0 && files[0].len == 7 && files[0].mode == 0751, "an output's bytes and mode are read");

	rec.exit_status = 0;
	rec.out = "replayed out\n";
	rec.out_len = 13;
	rec.err = "replayed err\n";
	rec.err_len = 13;
	rec.files = files;
	rec.nfiles = 1;
	unlink(o1);
	{
		char deep[600];
		struct run_file f2 = files[0];

		snprintf(deep, sizeof(deep), "%s/new/dir/app.bin", tap_tmpdir());
		redirect_begin();
		ret = runexec_replay(&rec, outs, 1);
		redirect_end();
		is_int(ret, 0, "a replay succeeds");
		is_str(teed_out, "replayed out\n", "stdout replayed");
		is_str(teed_err, "replayed err\n", "stderr replayed");
		ok(stat(o1, &st) == 0 && st.st_size == 7 && (st.st_mode & 0777) == 0751,
		   "the output file is back with its mode");
		f2.path = deep;
		f2.path_len = strlen(deep);
		rec.files = &f2;
		outs[0] = deep;
		redirect_begin();
		ret = runexec_replay(&rec, outs, 1);
		redirect_end();
		ok(ret == 0 && stat(deep, &st) == 0, "missing parent directories are made");
		outs[0] = o2;
		redirect_begin();
		ret = runexec_replay(&rec, outs, 1);
		redirect_end();
		ok(ret == -CODE_EXIT_DATAERR && stat(o2, &st) != 0,
		   "a path the entry does not hold is not written");
	}
	free(files);
	strbuf_release(&storage);
	return tap_done();
}
