/* test-logscan-scanstate.c: --state resumes appended, truncated and rotated logs without skipping or double-counting. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/logscan/scanstate.h"
#include "libcommon/exitcodes.h"
#include "tests/lib/tap.h"

/* An open log as the scanner holds it: fd and its fstat. */
struct log {
	int fd;
	struct stat sb;
};

static void
log_open(struct log *lg, const char *path)
{
	lg->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (lg->fd < 0 || fstat(lg->fd, &lg->sb) < 0) {
		tap_diag("cannot open %s", path);
		exit(99);
	}
}

static void
log_close(struct log *lg)
{
	close(lg->fd);
	lg->fd = -1;
}

static void
put_file(const char *path, const char *data)
{
	tap_write_file(path, data, strlen(data));
}

static void
append_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		tap_diag("cannot append to %s", path);
		exit(99);
	}
	close(fd);
}

/* Writes data over the start of path without changing its inode. */
static void
overwrite_file(const char *path, const char *data, int truncate)
{
	int fd = open(path, O_WRONLY | (truncate ? O_TRUNC : 0));

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		tap_diag("cannot overwrite %s", path);
		exit(99);
	}
	close(fd);
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* Loads, records path as consumed up to its current size, saves, frees. */
static int
consume(const char *state, const char *path, uint64_t line)
{
	struct scanstate *st = NULL;
	struct log lg;
	int ret;

	if ((ret = scanstate_load(state, &st)) < 0)
		return ret;
	log_open(&lg, path);
	ret = scanstate_record(st, path, lg.fd, &lg.sb, lg.sb.st_size, line);
	log_close(&lg);
	if (ret == 0)
		ret = scanstate_save(st);
	scanstate_free(st);
	return ret;
}

/* Loads and resumes path, filling r (whose rotated_path the caller frees). */
static int
resume(const char *state, const char *path, struct scanstate_resume *r)
{
	struct scanstate *st = NULL;
	struct log lg;
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = scanstate_load(state, &st)) < 0)
		return ret;
	log_open(&lg, path);
	ret = scanstate_resume(st, path, lg.fd, &lg.sb, r);
	log_close(&lg);
	scanstate_free(st);
	return ret;
}

static void
test_fresh(void)
{
	char state[4200], app[4200];
	struct scanstate *st = NULL;
	struct scanstate_resume r;
	struct log lg;
	struct stat sb;

	tap_path(state, sizeof(state), "fresh.json");
	tap_path(app, sizeof(app), "fresh.log");
	put_file(app, "one\ntwo\n");
	is_int(scanstate_load(state, &st), 0, "a missing state file loads as empty");
	ok(st != NULL, "and gives a state");
	log_open(&lg, app);
	memset(&r, 0xff, sizeof(r));
	is_int(scanstate_resume(st, app, lg.fd, &lg.sb, &r), 0, "an unknown file resumes");
	ok(r.start == 0 && r.line == 0, "an unknown file starts at 0, line 0");
	ok(!r.truncated && !r.rotated_lost && r.rotated_path == NULL,
	   "an unknown file is neither truncated nor rotated");
	log_close(&lg);
	scanstate_free(st);
	ok(stat(state, &sb) < 0, "loading alone does not create the state file");
	scanstate_free(NULL);
	ok(1, "freeing NULL is harmless");

	put_file(state, "");
	is_int(scanstate_load(state, &st), 0, "an empty state file is an empty state");
	scanstate_free(st);
}

static void
test_append(void)
{
	char state[4200], app[4200];
	struct scanstate_resume r;

	tap_path(state, sizeof(state), "append.json");
	tap_path(app, sizeof(app), "append.log");
	put_file(app, "a\nbb\n");
	is_int(consume(state, app, 2), 0, "a first run records its position");
	append_file(app, "ccc\n");
	is_int(resume(state, app, &r), 0, "an appended file resumes");
	is_int(r.start, 5, "resume starts where the last run stopped");
	is_int((long long)r.line, 2, "with the line count of the last run");
	ok(!r.truncated && !r.rotated_lost && r.rotated_path == NULL,
	   "an appended file is neither truncated nor rotated");

	is_int(consume(state, app, 3), 0, "the second run records its position");
	is_int(resume(state, app, &r), 0, "an unchanged file resumes");
	ok(r.start == 9 && r.line == 3 && !r.truncated,
	   "an unchanged file has nothing new: start at its size");
}

static void
test_long_head(void)
{
	char state[4200], app[4200], old[4200], big[1000];
	struct scanstate_resume r;

	tap_path(state, sizeof(state), "long.json");
	tap_path(old, sizeof(old), "long.log.1");
	tap_path(app, sizeof(app), "long.log");
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	tap_write_file(app, big, strlen(big));
	is_int(consume(state, app, 1), 0, "a file longer than the head is recorded");
	ok(strstr(slurp(state), "\"head_len\":256") != NULL,
	   "only the first 256 bytes are fingerprinted");
	/* A change past the head is an append, not a rewrite: cheap to check. */
	append_file(app, "more\n");
	is_int(resume(state, app, &r), 0, "a long file resumes");
	ok(r.start == 999 && r.line == 1 && !r.truncated, "at its old offset");
	overwrite_file(app, "y", 0);
	is_int(resume(state, app, &r), 0, "a long file with a new first byte resumes");
	ok(r.truncated && r.start == 0 && r.line == 0,
	   "a change within the head is a rewrite");

	/* Same first 256 bytes, but shorter than the offset: still truncated. */
	put_file(app, big);
	is_int(consume(state, app, 1), 0, "a long file is recorded again");
	if (truncate(app, 500) < 0)
		tap_diag("truncate failed");
	is_int(resume(state, app, &r), 0, "a long file cut short resumes");
	ok(r.truncated && r.start == 0, "shorter than the offset is truncated, whatever the head");

	/* Rotated, then cut below the offset with its head intact: lost. */
	put_file(app, big);
	is_int(consume(state, app, 1), 0, "a long file is recorded before rotation");
	if (rename(app, old) < 0 || truncate(old, 500) < 0)
		tap_diag("rename or truncate failed");
	put_file(app, "new\n");
	is_int(resume(state, app, &r), 0, "a long rotated file cut short resumes");
	ok(r.rotated_lost && r.rotated_path == NULL,
	   "a rotated file shorter than the offset is lost, whatever the head");
}

static void
test_truncate(void)
{
	char state[4200], app[4200];
	struct scanstate_resume r;
	struct stat before, after;

	tap_path(state, sizeof(state), "trunc.json");
	tap_path(app, sizeof(app), "trunc.log");
	put_file(app, "line one\nline two\n");
	stat(app, &before);
	is_int(consume(state, app, 2), 0, "recorded before copytruncate");
	overwrite_file(app, "new\n", 1);
	stat(app, &after);
	ok(before.st_ino == after.st_ino, "copytruncate keeps the inode");
	is_int(resume(state, app, &r), 0, "a truncated file resumes");
	ok(r.truncated, "a shorter file with the same inode is truncated");
	ok(r.start == 0 && r.line == 0, "a truncated file starts again at 0");
	ok(r.rotated_path == NULL && !r.rotated_lost, "truncation is not rotation");

	/* Same size, same inode, other bytes: rewritten in place. */
	is_int(consume(state, app, 1), 0, "recorded before a rewrite in place");
	overwrite_file(app, "NEW\n", 0);
	is_int(resume(state, app, &r), 0, "a rewritten file resumes");
	ok(r.truncated && r.start == 0 && r.line == 0,
	   "same size but another head is treated as truncated");

	/* Truncated and then grown past the old offset: the head tells. */
	is_int(consume(state, app, 1), 0, "recorded before truncate and regrowth");
	overwrite_file(app, "different first line\nand more\n", 1);
	is_int(resume(state, app, &r), 0, "a regrown file resumes");
	ok(r.truncated && r.start == 0, "a truncated file grown past the offset is caught by its head");
}

static void
test_rotate_rename(void)
{
	char state[4200], app[4200], old[4200], cwd[4200];
	struct scanstate_resume r;

	tap_path(state, sizeof(state), "rot.json");
	tap_path(app, sizeof(app), "rot.log");
	tap_path(old, sizeof(old), "rot.log.1");
	put_file(app, "first\nsecond\n");
	is_int(consume(state, app, 2), 0, "recorded before rotation");
	/* Lines written after the last run but before logrotate ran. */
	append_file(app, "third\n");
	if (rename(app, old) < 0)
		tap_diag("rename failed");
	put_file(app, "fresh\n");
	is_int(resume(state, app, &r), 0, "a rotated file resumes");
	is_str(r.rotated_path, old, "the old inode is found under its new name");
	is_int(r.rotated_start, 13, "the old file is finished from the old offset");
	is_int((long long)r.rotated_line, 2, "with the old line count");
	ok(r.start == 0 && r.line == 0, "the new file starts at 0");
	ok(!r.rotated_lost && !r.truncated, "a found rotation is not lost or truncated");
	free(r.rotated_path);

	/* Relative paths: the rotated one comes back relative too. */
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(tap_tmpdir()) < 0) {
		tap_diag("chdir failed");
		exit(99);
	}
	put_file("rel.log", "x\n");
	is_int(consume("rel.json", "rel.log", 1), 0, "a relative path is recorded");
	if (rename("rel.log", "rel.log-20261123") < 0)
		tap_diag("rename failed");
	put_file("rel.log", "y\n");
	is_int(resume("rel.json", "rel.log", &r), 0, "a relative rotated file resumes");
	is_str(r.rotated_path, "rel.log-20261123",
	       "a date-suffixed rotation is found, relative as given");
	free(r.rotated_path);
	if (chdir(cwd) < 0) {
		tap_diag("chdir back failed");
		exit(99);
	}
}

static void
test_rotate_lost(void)
{
	char state[4200], app[4200], old[4200], gz[4200];
	struct scanstate_resume r;

	tap_path(state, sizeof(state), "lost.json");
	tap_path(gz, sizeof(gz), "lost.log.1.gz");
	tap_path(app, sizeof(app), "lost.log");
	tap_path(old, sizeof(old), "lost.log.1");
	put_file(app, "first\nsecond\n");
	is_int(consume(state, app, 2), 0, "recorded before a compressing rotation");
	/*
	 * logrotate compress: rename, a new log, a new inode for the .gz and
	 * the old one deleted (after the new log exists, so no inode reuse).
	 */
	if (rename(app, old) < 0)
		tap_diag("rename failed");
	put_file(app, "fresh\n");
	put_file(gz, "\x1f\x8b");
	unlink(old);
	is_int(resume(state, app, &r), 0, "a file whose old inode is gone resumes");
	ok(r.rotated_lost, "the rotation is reported lost");
	ok(r.rotated_path == NULL, "with no rotated path");
	ok(r.start == 0 && r.line == 0 && !r.truncated, "the new file starts at 0");

	/* Rotated, then the rotated copy truncated: it cannot be finished. */
	is_int(consume(state, app, 1), 0, "recorded before a rotation that shrinks");
	if (rename(app, old) < 0)
		tap_diag("rename failed");
	overwrite_file(old, "f", 1);
	put_file(app, "newer\n");
	is_int(resume(state, app, &r), 0, "a shrunk rotated file resumes");
	ok(r.rotated_lost && r.rotated_path == NULL,
	   "a rotated file smaller than the offset is lost");

	/* Rotated and rewritten to the same size: the head says it is not ours. */
	is_int(consume(state, app, 1), 0, "recorded before a rotation that rewrites");
	if (rename(app, old) < 0)
		tap_diag("rename failed");
	overwrite_file(old, "NEWER\n", 0);
	put_file(app, "newest\n");
	is_int(resume(state, app, &r), 0, "a rewritten rotated file resumes");
	ok(r.rotated_lost && r.rotated_path == NULL,
	   "a rotated file with another head is lost");
}

static void
test_persist(void)
{
	char state[4200], a[4200], b[4200];
	const char *text;
	struct scanstate *st = NULL;
	struct scanstate_resume r;
	struct stat sb;
	struct log lg;

	tap_path(state, sizeof(state), "persist.json");
	tap_path(a, sizeof(a), "pa.log");
	tap_path(b, sizeof(b), "pb.log");
	put_file(a, "a1\na2\n");
	put_file(b, "b1\n");
	is_int(scanstate_load(state, &st), 0, "a new state loads");
	log_open(&lg, a);
	is_int(scanstate_record(st, a, lg.fd, &lg.sb, 6, 2), 0, "a is recorded");
	is_int(scanstate_record(st, a, lg.fd, &lg.sb, 3, 1), 0, "a is recorded again");
	log_close(&lg);
	log_open(&lg, b);
	is_int(scanstate_record(st, b, lg.fd, &lg.sb, 0, 0), 0, "b is recorded at 0");
	log_close(&lg);
	is_int(scanstate_save(st), 0, "the state is saved");
	scanstate_free(st);

	ok(stat(state, &sb) == 0 && (sb.st_mode & 0777) == 0600, "the state file is 0600");
	text = slurp(state);
	ok(strncmp(text, "{\"files\":{", 10) == 0, "keys are sorted and compact");
	ok(strlen(text) > 0 && text[strlen(text) - 1] == '\n' &&
	   strchr(text, '\n') == text + strlen(text) - 1,
	   "the file is one line ending in a newline");
	ok(strstr(text, "\"version\":1}") != NULL, "the version is written");
	ok(strstr(text, "\"head\":\"\",\"head_len\":0,\"inode\"") != NULL,
	   "an entry at offset 0 has an empty head");
	ok(strstr(text, "\"line\":1,\"offset\":3}") != NULL,
	   "recording again replaces the entry");

	/* A run that sees only a keeps b. */
	append_file(a, "a3\n");
	is_int(consume(state, a, 3), 0, "a later run records only a");
	is_int(resume(state, b, &r), 0, "b resumes after a run that skipped it");
	ok(r.start == 0 && !r.truncated && !r.rotated_lost, "b's entry is still there");
	text = slurp(state);
	ok(strstr(text, "pb.log") != NULL, "entries not recorded in a run are kept");
	is_int(resume(state, a, &r), 0, "a resumes after a reload");
	ok(r.start == 9 && r.line == 3, "a's new position survived save and load");
}

static void
test_malformed(void)
{
	char state[4200], want[4300];
	struct scanstate *st = NULL;
	const char *err;
	int ret;

	tap_path(state, sizeof(state), "bad.json");
	put_file(state, "{\"version\":1,\n \"files\":{,}}\n");
	tap_capture_begin();
	ret = scanstate_load(state, &st);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "malformed JSON is exit 65");
	ok(st == NULL, "and gives no state");
	snprintf(want, sizeof(want), "%s:2:", state);
	ok(strstr(err, want) != NULL, "the message has FILE:LINE: of the error");
	snprintf(want, sizeof(want), "%s:2:11: ", state);
	ok(strstr(err, want) != NULL, "and its column");

	put_file(state, "{\"version\":2,\"files\":{}}\n");
	tap_capture_begin();
	ret = scanstate_load(state, &st);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "a newer version is exit 65");
	ok(strstr(err, state) && strstr(err, "version 2"), "naming the file and version");

	put_file(state, "{\"files\":{}}");
	tap_capture_begin();
	ret = scanstate_load(state, &st);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "a missing version is exit 65");

	put_file(state, "{\"version\":1,\"files\":[]}");
	tap_capture_begin();
	ret = scanstate_load(state, &st);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "'files' not an object is exit 65");
	ok(strstr(err, state) && strstr(err, "'files'"), "naming the file and the key");

	put_file(state, "{\"version\":1,\"files\":{\"x.log\":{\"dev\":1,\"inode\":2,"
		       "\"offset\":-4,\"line\":0,\"head\":\"\"}}}");
	tap_capture_begin();
	ret = scanstate_load(state, &st);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "a negative offset is exit 65");
	ok(strstr(err, "x.log") && strstr(err, "'offset'"), "naming the entry and field");

	put_file(state, "{\"version\":1,\"files\":{\"x.log\":{\"dev\":1,\"inode\":2,"
		       "\"offset\":4,\"line\":1,\"head\":\"zz\",\"head_len\":4}}}");
	tap_capture_begin();
	ret = scanstate_load(state, &st);
	tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "a head that is not a digest is exit 65");

	put_file(state, "[1,2]");
	tap_capture_begin();
	ret = scanstate_load(state, &st);
	tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "an array is exit 65");

	put_file(state, "{\"version\":1,\"files\":{},\"files\":{}}");
	tap_capture_begin();
	ret = scanstate_load(state, &st);
	tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "a duplicate key is exit 65");

	/* Large inode numbers (overlayfs) come back as negative integers. */
	put_file(state, "{\"version\":1,\"files\":{\"x.log\":{\"dev\":1,\"inode\":-2,"
		       "\"offset\":0,\"line\":0,\"head\":\"\"}}}");
	is_int(scanstate_load(state, &st), 0, "an entry without head_len, inode >= 2^63 loads");
	scanstate_free(st);
}

static void
test_errors(void)
{
	char state[4200], dir[4200], app[4200];
	struct scanstate *st = NULL;
	struct scanstate_resume r;
	struct log lg;
	const char *err;
	int ret;

	snprintf(state, sizeof(state), "%s/no-such-dir/state.json", tap_tmpdir());
	tap_capture_begin();
	ret = scanstate_load(state, &st);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "a missing directory is exit 66");
	ok(strstr(err, "cannot open") && strstr(err, "no-such-dir"),
	   "saying it cannot open the state file");

	tap_path(dir, sizeof(dir), "adir.json");
	mkdir(dir, 0700);
	tap_capture_begin();
	ret = scanstate_load(dir, &st);
	tap_capture_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "a directory as the state file is exit 66");

	tap_path(state, sizeof(state), "utf8.json");
	tap_path(app, sizeof(app), "bad\xff.log");
	put_file(app, "x\n");
	is_int(scanstate_load(state, &st), 0, "a state loads for a badly named file");
	log_open(&lg, app);
	tap_capture_begin();
	ret = scanstate_resume(st, app, lg.fd, &lg.sb, &r);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "a path that is not UTF-8 cannot be resumed");
	ok(strstr(err, "UTF-8") != NULL, "and the message says why");
	tap_capture_begin();
	ret = scanstate_record(st, app, lg.fd, &lg.sb, 2, 1);
	tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, "nor recorded");
	log_close(&lg);
	scanstate_free(st);
}

static void
test_lock(void)
{
	char state[4200];
	struct scanstate *st = NULL, *st2 = NULL;
	int status = 0;
	pid_t child;

	tap_path(state, sizeof(state), "locked.json");
	is_int(scanstate_load(state, &st), 0, "the first run takes the lock");
	fflush(stdout);
	child = fork();
	if (child == 0) {
		struct scanstate *other = NULL;
		const char *err;
		char want[64];
		int ret;

		tap_capture_begin();
		ret = scanstate_load(state, &other);
		err = tap_capture_end();
		snprintf(want, sizeof(want), "(pid %ld)", (long)getppid());
		_exit(ret == -CODE_EXIT_TEMPFAIL && other == NULL &&
		      strstr(err, want) != NULL ? 0 : 1);
	}
	waitpid(child, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "a second run gets exit 75 naming the holder's pid");
	scanstate_free(st);
	is_int(scanstate_load(state, &st2), 0, "after free the lock can be taken again");
	scanstate_free(st2);
}

int
main(void)
{
	test_fresh();
	test_append();
	test_long_head();
	test_truncate();
	test_rotate_rename();
	test_rotate_lost();
	test_persist();
	test_malformed();
	test_errors();
	test_lock();
	return tap_done();
}
