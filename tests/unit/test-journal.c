/* test-journal.c: journal records durable, whole, in order, and read back after a crash. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libcommon/journal.h"
#include "libcommon/strbuf.h"
#include "tests/lib/tap.h"

#define NTHREADS 16
#define NPERTHREAD 500

static char *
slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			strbuf_add(&sb, buf, (size_t)n);
		close(fd);
	}
	strbuf_addstr(&sb, "");
	return strbuf_detach(&sb, NULL);
}

static int
append_str(struct journal *j, const char *s)
{
	return journal_append(j, s, strlen(s));
}

/* Collects each record's compact JSON and line number as "LINE:JSON\n". */
static int
collect(const json_t *rec, unsigned long line, void *ctx)
{
	struct strbuf *sb = ctx;
	char *s = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);

	strbuf_addf(sb, "%lu:%s\n", line, s);
	free(s);
	return 0;
}

static int
stop_at_two(const json_t *rec, unsigned long line, void *ctx)
{
	(void)rec;
	(*(int *)ctx)++;
	return line == 2 ? 7 : 0;
}

/* Reads path back through journal_read into "LINE:JSON\n" lines. */
static int
read_back(const char *path, struct strbuf *sb)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, "");
	return journal_read(path, collect, sb);
}

static void
test_basics(void)
{
	char path[4096];
	struct journal *j;
	struct strbuf got = STRBUF_INIT;
	struct stat st;
	char *s;
	int calls = 0;

	tap_path(path, sizeof(path), "basic.ndjson");
	is_int(read_back(path, &got), 0, "a missing journal reads as empty");
	is_str(got.buf, "", "a missing journal has no records");

	is_int(journal_open(path, false, &j), 0, "open creates the journal");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "a new journal is mode 0600");
	is_int(append_str(j, "{\"a\":1}"), 0, "append");
	is_int(append_str(j, "{\"b\":2}"), 0, "append again");
	is_int(journal_close(j), 0, "close");
	s = slurp(path);
	is_str(s, "{\"a\":1}\n{\"b\":2}\n", "one line per record");
	free(s);

	is_int(journal_open(path, false, &j), 0, "reopen");
	is_int(append_str(j, "{\"c\":3}"), 0, "append after reopen");
	tap_capture_begin();
	is_int(append_str(j, "{\"d\":\n4}"), -70, "a record with a newline is refused");
	s = (char *)tap_capture_end();
	ok(strstr(s, "newline") != NULL, "and says why");
	is_int(append_str(j, "{\"e\":5}"), 0, "the journal still works after that");
	is_int(journal_close(j), 0, "close");
	is_int(read_back(path, &got), 0, "read");
	is_str(got.buf, "1:{\"a\":1}\n2:{\"b\":2}\n3:{\"c\":3}\n4:{\"e\":5}\n",
	       "reopening appends after the existing records");

	is_int(journal_read(path, stop_at_two, &calls), 7,
	       "read stops when fn returns nonzero and returns that");
	is_int(calls, 2, "fn is not called after it stopped");

	is_int(journal_open(path, true, &j), 0, "open fresh");
	is_int(append_str(j, "{\"new\":true}"), 0, "append to the fresh journal");
	is_int(journal_close(j), 0, "close");
	s = slurp(path);
	is_str(s, "{\"new\":true}\n", "fresh truncates the old records");
	free(s);
	is_int(journal_close(NULL), 0, "close(NULL) is a no-op");

	tap_path(path, sizeof(path), "no-such-dir/j.ndjson");
	tap_capture_begin();
	j = (struct journal *)&got;  /* any non-NULL value, to see it cleared */
	is_int(journal_open(path, false, &j), -74, "open in a missing directory fails");
	s = (char *)tap_capture_end();
	ok(strstr(s, "cannot open journal") != NULL && strstr(s, "no-such-dir") != NULL,
	   "and says which journal");
	ok(j == NULL, "and sets *out to NULL");
	strbuf_release(&got);
}

static void
test_torn(void)
{
	char path[4096];
	struct journal *j;
	struct strbuf got = STRBUF_INIT;
	const char *err;
	char *s;

	tap_path(path, sizeof(path), "torn.ndjson");
	tap_write_file(path, "{\"a\":1}\n{\"a\":2,\"b\"", 19);
	tap_capture_begin();
	is_int(read_back(path, &got), 0, "a torn last line is no error");
	err = tap_capture_end();
	is_str(err, "", "and prints nothing");
	is_str(got.buf, "1:{\"a\":1}\n", "read skips the torn last line");

	is_int(journal_open(path, false, &j), 0, "open a journal with a torn line");
	is_int(append_str(j, "{\"a\":3}"), 0, "append after it");
	is_int(journal_close(j), 0, "close");
	s = slurp(path);
	is_str(s, "{\"a\":1}\n{\"a\":3}\n",
	       "the torn line is cut and the next record starts cleanly");
	free(s);

	tap_write_file(path, "{\"a\":", 5);
	is_int(journal_open(path, false, &j), 0, "open a journal that is one torn line");
	is_int(append_str(j, "{\"z\":0}"), 0, "append");
	is_int(journal_close(j), 0, "close");
	s = slurp(path);
	is_str(s, "{\"z\":0}\n", "all of a single torn line is cut");
	free(s);

	{
		/* A torn line longer than one read block, after a long record. */
		struct strbuf big = STRBUF_INIT;
		size_t i;

		strbuf_addstr(&big, "{\"long\":\"");
		for (i = 0; i < 10000; i++)
			strbuf_addch(&big, 'x');
		strbuf_addstr(&big, "\"}\n{\"torn\":\"");
		for (i = 0; i < 9000; i++)
			strbuf_addch(&big, 'y');
		tap_write_file(path, big.buf, big.len);
		is_int(journal_open(path, false, &j), 0, "open: torn line of 9 KB");
		is_int(journal_close(j), 0, "close");
		s = slurp(path);
		ok(strlen(s) == 10012 && s[10011] == '\n' && s[10010] == '}',
		   "a long torn line is cut back to the last newline");
		free(s);
		strbuf_release(&big);
	}
	strbuf_release(&got);
}

static void
test_invalid(void)
{
	char path[4096];
	struct strbuf got = STRBUF_INIT;
	const char *err;

	tap_path(path, sizeof(path), "bad.ndjson");
	tap_write_file(path, "{\"a\":1}\n{bad\n{\"a\":2}\n", 21);
	tap_capture_begin();
	is_int(read_back(path, &got), -65, "an invalid complete line is a data error");
	err = tap_capture_end();
	ok(strstr(err, "bad.ndjson:2: invalid journal record:") != NULL,
	   "the message names the file and line");
	is_str(got.buf, "1:{\"a\":1}\n", "records before it were delivered");

	tap_write_file(path, "{\"a\":1}\n[1,2]\n", 14);
	tap_capture_begin();
	is_int(read_back(path, &got), -65, "a line that is not an object is a data error");
	err = tap_capture_end();
	ok(strstr(err, "bad.ndjson:2: invalid journal record: not a JSON object") != NULL,
	   "and says so");

	tap_write_file(path, "\n{\"a\":1}\n  \n{\"a\":2}\n", 20);
	is_int(read_back(path, &got), 0, "blank lines are no error");
	is_str(got.buf, "2:{\"a\":1}\n4:{\"a\":2}\n",
	       "blank lines are skipped, line numbers kept");

	tap_write_file(path, "{\"a\":1,\"a\":2}\n", 15);
	tap_capture_begin();
	is_int(read_back(path, &got), -65, "a duplicate key is a data error");
	(void)tap_capture_end();

	tap_write_file(path, "", 0);
	is_int(read_back(path, &got), 0, "an empty journal reads");
	is_str(got.buf, "", "and has no records");

	/* A directory opens but cannot be read, even by root. */
	tap_path(path, sizeof(path), "a-directory");
	mkdir(path, 0700);
	tap_capture_begin();
	is_int(read_back(path, &got), -66, "an unreadable journal is NOINPUT");
	err = tap_capture_end();
	ok(strstr(err, "cannot read journal") != NULL, "and says so");
	strbuf_release(&got);
}

struct worker {
	struct journal *j;
	int id;
	int fails;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char rec[64];
	int i, n;

	for (i = 0; i < NPERTHREAD; i++) {
		n = snprintf(rec, sizeof(rec), "{\"t\":%d,\"i\":%d,\"pad\":\"%.*s\"}",
			     w->id, i, (i * 7 + w->id) % 20, "xxxxxxxxxxxxxxxxxxxx");
		if (journal_append(w->j, rec, (size_t)n) != 0)
			w->fails++;
	}
	return NULL;
}

struct tally {
	int seen[NTHREADS][NPERTHREAD];
	int last[NTHREADS];
	int bad, out_of_order, dup;
};

static int
tally_rec(const json_t *rec, unsigned long line, void *ctx)
{
	struct tally *t = ctx;
	json_int_t tid, i;
	const char *pad;

	(void)line;
	if (json_unpack((json_t *)rec, "{s:I, s:I, s:s}", "t", &tid, "i", &i,
			"pad", &pad) != 0 || tid < 0 || tid >= NTHREADS ||
	    i < 0 || i >= NPERTHREAD ||
	    strlen(pad) != (size_t)((i * 7 + tid) % 20)) {
		t->bad++;
		return 0;
	}
	if (t->seen[tid][i]++)
		t->dup++;
	if (i <= t->last[tid])
		t->out_of_order++;
	t->last[tid] = (int)i;
	return 0;
}

static void
test_threads(void)
{
	char path[4096];
	struct journal *j;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	static struct tally t;
	int k, i, fails = 0, missing = 0, lines = 0;
	char *s, *p;

	tap_path(path, sizeof(path), "threads.ndjson");
	is_int(journal_open(path, true, &j), 0, "open for 16 threads");
	for (k = 0; k < NTHREADS; k++) {
		w[k].j = j;
		w[k].id = k;
		w[k].fails = 0;
		pthread_create(&th[k], NULL, worker_run, &w[k]);
	}
	for (k = 0; k < NTHREADS; k++) {
		pthread_join(th[k], NULL);
		fails += w[k].fails;
	}
	is_int(fails, 0, "16 x 500 appends all succeed");
	is_int(journal_close(j), 0, "close");

	for (k = 0; k < NTHREADS; k++)
		t.last[k] = -1;
	is_int(journal_read(path, tally_rec, &t), 0, "every line parses");
	for (k = 0; k < NTHREADS; k++)
		for (i = 0; i < NPERTHREAD; i++)
			if (t.seen[k][i] == 0)
				missing++;
	is_int(missing, 0, "every record is present");
	is_int(t.dup, 0, "no record twice");
	is_int(t.bad, 0, "each line is intact");
	is_int(t.out_of_order, 0, "each thread's records are in its order");
	s = slurp(path);
	for (p = s; *p != '\0'; p++)
		lines += *p == '\n';
	is_int(lines, NTHREADS * NPERTHREAD, "8000 lines, no more");
	ok(strlen(s) > 0 && s[strlen(s) - 1] == '\n', "the file ends with a newline");
	free(s);
}

static void
test_write_error(void)
{
	struct journal *j;
	struct rlimit old, small;
	char path[4200];
	const char *err;

	tap_capture_begin();
	is_int(journal_open("/dev/full", false, &j), -74, "a device is refused as a journal");
	err = tap_capture_end();
	ok(strstr(err, "not a regular file") != NULL, "saying it is not a regular file");
	/*
	 * A file size limit makes writes fail (EFBIG) as a full disk would:
	 * the journal already holds 128 KiB, the limit is 64 KiB, so the
	 * captured stderr (a small file too) still fits.
	 */
	tap_path(path, sizeof(path), "limited.journal");
	{
		static char fill[128 << 10];

		for (size_t k = 0; k < sizeof(fill); k += 4)
			memcpy(fill + k, "{}\n\n", 4);
		tap_write_file(path, fill, sizeof(fill));
	}
	if (!is_int(journal_open(path, false, &j), 0, "open a journal"))
		return;
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 64 << 10;
	setrlimit(RLIMIT_FSIZE, &small);
	tap_capture_begin();
	is_int(append_str(j, "{\"a\":1}"), -74, "a failed write is an I/O error");
	is_int(append_str(j, "{\"a\":2}"), -74, "and so is every later append");
	is_int(journal_close(j), -74, "close returns the first error");
	err = tap_capture_end();
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ok(strstr(err, "write failed: ") != NULL &&
	   strstr(strstr(err, "write failed") + 1, "write failed") == NULL,
	   "the failure is printed once");
}

/*
 * The child appends numbered records from 4 threads and reports each
 * number on the pipe once its append returned; it is SIGKILLed at a
 * random moment. Every number reported must be in the journal.
 */
struct crash_worker {
	struct journal *j;
	int fd;
	uint32_t base;
};

static void *
crash_run(void *arg)
{
	struct crash_worker *w = arg;
	char rec[64];
	uint32_t k;
	int n;

	for (k = 0;; k++) {
		uint32_t num = w->base + k;

		n = snprintf(rec, sizeof(rec), "{\"n\":%lu}", (unsigned long)num);
		if (journal_append(w->j, rec, (size_t)n) != 0)
			_exit(3);
		if (write(w->fd, &num, sizeof(num)) != (ssize_t)sizeof(num))
			_exit(4);
	}
	return NULL;
}

static void
crash_child(const char *path, int fd, int round)
{
	struct journal *j;
	struct crash_worker w[4];
	pthread_t th[4];
	int k;

	if (journal_open(path, false, &j) != 0)
		_exit(2);
	for (k = 0; k < 4; k++) {
		w[k].j = j;
		w[k].fd = fd;
		w[k].base = ((uint32_t)round << 24) | ((uint32_t)k << 20);
		pthread_create(&th[k], NULL, crash_run, &w[k]);
	}
	for (k = 0; k < 4; k++)
		pthread_join(th[k], NULL);
	_exit(0);
}

struct acked {
	uint32_t *v;
	size_t n, alloc;
	unsigned char *found;
};

static void
acked_add(struct acked *a, uint32_t num)
{
	if (a->n == a->alloc) {
		a->alloc = a->alloc ? a->alloc * 2 : 1024;
		a->v = realloc(a->v, a->alloc * sizeof(*a->v));
		if (a->v == NULL)
			abort();
	}
	a->v[a->n++] = num;
}

static int
find_rec(const json_t *rec, unsigned long line, void *ctx)
{
	struct acked *a = ctx;
	json_int_t num;
	size_t i;

	(void)line;
	if (json_unpack((json_t *)rec, "{s:I}", "n", &num) != 0)
		return 1;
	/* Few thousand per round: a linear pass is fast enough. */
	for (i = 0; i < a->n; i++)
		if (a->v[i] == (uint32_t)num)
			a->found[i] = 1;
	return 0;
}

static void
test_crash(void)
{
	char path[4096];
	struct journal *j;
	struct acked a = { NULL, 0, 0, NULL };
	int round, fds[2], status, lost = 0, badread = 0, killed = 0, short_read;
	size_t total = 0, i;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	pid_t pid;

	tap_diag("crash test seed %u", seed);
	srand(seed);
	tap_path(path, sizeof(path), "crash.ndjson");
	if (journal_open(path, true, &j) != 0 || journal_close(j) != 0) {
		ok(0, "create the crash journal");
		return;
	}
	for (round = 0; round < 10; round++) {
		uint32_t num;
		struct timespec delay;
		ssize_t n;

		if (pipe(fds) < 0)
			abort();
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			abort();
		if (pid == 0) {
			close(fds[0]);
			crash_child(path, fds[1], round);
		}
		close(fds[1]);
		a.n = 0;
		/* Once the child is under way (slow under valgrind), at a random moment. */
		if (read(fds[0], &num, sizeof(num)) == (ssize_t)sizeof(num))
			acked_add(&a, num);
		delay.tv_sec = 0;
		delay.tv_nsec = (long)(rand() % 50) * 1000000L + rand() % 1000000;
		nanosleep(&delay, NULL);
		kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL)
			killed++;
		/* Drain what the child acknowledged before it died. */
		short_read = 0;
		while ((n = read(fds[0], &num, sizeof(num))) == (ssize_t)sizeof(num))
			acked_add(&a, num);
		if (n != 0)
			short_read = 1;
		close(fds[0]);
		free(a.found);
		a.found = calloc(a.n + 1, 1);
		if (a.found == NULL)
			abort();
		if (journal_read(path, find_rec, &a) != 0 || short_read)
			badread++;
		for (i = 0; i < a.n; i++)
			if (!a.found[i])
				lost++;
		total += a.n;
	}
	is_int(killed, 10, "10 children killed by SIGKILL");
	is_int(badread, 0, "after each crash the journal reads back");
	is_int(lost, 0, "every acknowledged record is in the journal");
	ok(total > 0, "%zu records acknowledged across the crashes", total);
	free(a.v);
	free(a.found);
}

int
main(void)
{
	alarm(120);     /* a hang detector, not a timing test */
	test_basics();
	test_torn();
	test_invalid();
	test_threads();
	test_write_error();
	test_crash();
	return tap_done();
}
