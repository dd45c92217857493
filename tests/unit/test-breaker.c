/* test-breaker.c: breakers open after N failures, probe once after the cool-down, and persist without secrets. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libcommon/breaker.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "tests/lib/tap.h"

static char *
slurp(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void
put_file(const char *path, const char *data)
{
	tap_write_file(path, data, strlen(data));
}

/* Fails b n times at now_ms; returns how many of them said "just opened". */
static int
fail_n(struct breaker *b, const struct breaker_config *cfg, int n,
       int64_t now_ms)
{
	int opened = 0;

	while (n-- > 0)
		opened += breaker_failure(b, cfg, now_ms);
	return opened;
}

static void
test_closed_to_open(void)
{
	struct breaker b;

	breaker_init(&b);
	is_str(breaker_state_name(b.state), "closed", "a new breaker is closed");
	ok(breaker_allow(&b, NULL, 0), "a closed breaker lets calls through");
	is_int(fail_n(&b, NULL, 4, 1000), 0, "four failures do not open it");
	is_str(breaker_state_name(b.state), "closed", "still closed after four failures");
	ok(breaker_allow(&b, NULL, 1000), "and still lets calls through");
	ok(breaker_failure(&b, NULL, 1000), "the fifth failure in a row opens it, once");
	is_str(breaker_state_name(b.state), "open", "it is open");
	ok(!breaker_allow(&b, NULL, 1000), "an open breaker refuses calls");
	ok(!breaker_failure(&b, NULL, 2000),
	   "a late failure while open is not a second opening");
	is_int(b.opened_at_ms, 1000, "and does not extend the open time");
	ok(!breaker_allow(&b, NULL, 1000 + 59999), "still refused just before 60 s");
}

static void
test_success_resets(void)
{
	struct breaker b;

	breaker_init(&b);
	fail_n(&b, NULL, 4, 0);
	breaker_success(&b);
	is_int(b.failures, 0, "a success clears the count");
	is_int(fail_n(&b, NULL, 4, 0), 0,
	       "four more failures after a success do not open it");
	is_str(breaker_state_name(b.state), "closed", "failures must be in a row");
	ok(breaker_failure(&b, NULL, 0), "the fifth in a row does");
}

static void
test_half_open(void)
{
	struct breaker b;

	breaker_init(&b);
	fail_n(&b, NULL, 5, 1000);
	ok(breaker_allow(&b, NULL, 61000), "after 60 s one probe goes through");
	is_str(breaker_state_name(b.state), "half-open", "the breaker is half-open");
	is_int(b.probe_started_ms, 61000, "the probe's start is recorded");
	ok(!breaker_allow(&b, NULL, 61000), "a second caller waits for the probe");
	ok(!breaker_allow(&b, NULL, 61000 + 59999), "even much later, while it may still report");
	breaker_success(&b);
	is_str(breaker_state_name(b.state), "closed", "a successful probe closes it");
	ok(breaker_allow(&b, NULL, 121000), "and calls go through again");
	is_int(b.failures, 0, "with a clean count");

	/* A failed probe: open again for another full period. */
	breaker_init(&b);
	fail_n(&b, NULL, 5, 1000);
	ok(breaker_allow(&b, NULL, 61000), "a probe goes through");
	ok(!breaker_failure(&b, NULL, 62000),
	   "a failed probe reopens it without a second warning");
	is_str(breaker_state_name(b.state), "open", "it is open again");
	is_int(b.opened_at_ms, 62000, "from the probe's failure");
	ok(!breaker_allow(&b, NULL, 62000 + 59999), "refused for another 60 s");
	ok(breaker_allow(&b, NULL, 62000 + 60000), "then the next probe goes through");

	/* A probe that never reports back. */
	breaker_init(&b);
	fail_n(&b, NULL, 5, 0);
	ok(breaker_allow(&b, NULL, 60000), "a probe goes out and is never heard of");
	ok(!breaker_allow(&b, NULL, 119999), "others wait up to open_ms for it");
	ok(breaker_allow(&b, NULL, 120000), "then it is given up and another probe allowed");
	is_int(b.probe_started_ms, 120000, "the new probe's start is recorded");
	ok(!breaker_allow(&b, NULL, 120001), "and only that one");
}

static void
test_config(void)
{
	struct breaker_config cfg = { 3, 1000 }, zero = { 0, 0 }, neg = { 0, -5 };
	struct breaker b;

	breaker_init(&b);
	is_int(fail_n(&b, &cfg, 2, 0), 0, "custom: two failures keep it closed");
	ok(breaker_failure(&b, &cfg, 0), "custom: the third opens it");
	ok(!breaker_allow(&b, &cfg, 999), "custom: refused before 1 s");
	ok(breaker_allow(&b, &cfg, 1000), "custom: a probe after 1 s");

	breaker_init(&b);
	is_int(fail_n(&b, &zero, 5, 0), 1, "a zero config means 5 failures");
	ok(!breaker_allow(&b, &zero, 59999) && breaker_allow(&b, &zero, 60000),
	   "and 60 s open");
	breaker_init(&b);
	fail_n(&b, &neg, 5, 0);
	ok(!breaker_allow(&b, &neg, 59999) && breaker_allow(&b, &neg, 60000),
	   "a negative open_ms means 60 s too");
}

static void
test_clock_edges(void)
{
	struct breaker b;

	breaker_init(&b);
	fail_n(&b, NULL, 5, 100000);
	ok(!breaker_allow(&b, NULL, 50000), "the clock stepped back: still open");
	ok(breaker_allow(&b, NULL, 110000),
	   "but for no more than open_ms from the step, not the step's size");

	breaker_init(&b);
	fail_n(&b, NULL, 5, 0);
	ok(breaker_allow(&b, NULL, INT64_MAX), "times far apart do not overflow");
	breaker_init(&b);
	b.state = BREAKER_OPEN;
	b.opened_at_ms = INT64_MAX;
	ok(!breaker_allow(&b, NULL, INT64_MIN), "nor the other way round");

	breaker_init(&b);
	b.failures = UINT_MAX;
	ok(breaker_failure(&b, NULL, 0), "a saturated count still opens it");
	ok(b.failures == UINT_MAX, "and does not wrap to zero");
	is_str(breaker_state_name(BREAKER_HALF_OPEN), "half-open", "state names as documented");
}

static void
test_mask(void)
{
	static const char *const cases[][2] = {
		{ "redis://user:pass@h:6379/0", "redis://user:***@h:6379/0" },
		{ "redis://:pass@h:6379", "redis://:***@h:6379" },
		{ "redis://token@h", "redis://***@h" },
		{ "redis://u:p@ss@h/0", "redis://u:***@h/0" },
		{ "redis://h:6379/0", "redis://h:6379/0" },
		{ "https://h/users/@me", "https://h/users/@me" },
		{ "deploy@web-1", "deploy@web-1" },
		{ "web-1", "web-1" },
		{ "redis://user:***@h", "redis://user:***@h" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = breaker_endpoint_mask(cases[i][0]);

		is_str(got, cases[i][1], cases[i][0]);
		free(got);
	}
}

static void
test_store_roundtrip(void)
{
	char path[4200];
	struct breaker_store *st;
	struct breaker *b;
	struct stat sb;
	const char *text;

	tap_path(path, sizeof(path), "rt.json");
	is_int(breaker_store_load(path, &st), 0, "a missing file loads");
	b = breaker_store_get(st, "never-used");
	ok(b && b->state == BREAKER_CLOSED && b->failures == 0,
	   "an unknown endpoint starts closed");
	is_int(breaker_store_save(st), 0, "saving an unchanged store succeeds");
	ok(stat(path, &sb) < 0, "and writes no file");

	fail_n(breaker_store_get(st, "redis://:sekrit@h:6379/0"), NULL, 5, 1000);
	fail_n(breaker_store_get(st, "web-1"), NULL, 2, 1000);
	ok(breaker_store_get(st, "web-1") == breaker_store_get(st, "web-1"),
	   "one endpoint, one breaker");
	ok(breaker_store_get(st, "redis://:other@h:6379/0")->state == BREAKER_OPEN,
	   "endpoints that differ only in the password share a breaker");
	is_int(breaker_store_save(st), 0, "a changed store saves");
	breaker_store_free(st);

	text = slurp(path);
	is_str(text,
	       "{\"breakers\":{\"redis://:***@h:6379/0\":{\"failures\":5,"
	       "\"opened_at_ms\":1000,\"probe_started_ms\":0,\"state\":\"open\"},"
	       "\"web-1\":{\"failures\":2,\"opened_at_ms\":0,"
	       "\"probe_started_ms\":0,\"state\":\"closed\"}},\"version\":1}\n",
	       "compact JSON, sorted keys, a trailing newline, untouched breakers left out");
	ok(strstr(text, "sekrit") == NULL && strstr(text, "other") == NULL,
	   "no password is written");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "the file is 0600");

	is_int(breaker_store_load(path, &st), 0, "the saved file loads");
	b = breaker_store_get(st, "redis://:sekrit@h:6379/0");
	ok(b->state == BREAKER_OPEN && b->failures == 5 && b->opened_at_ms == 1000,
	   "an open breaker comes back open with its time");
	ok(!breaker_allow(b, NULL, 2000), "and refuses calls in the next process");
	b = breaker_store_get(st, "web-1");
	is_int(fail_n(b, NULL, 3, 3000), 1,
	       "the count carries over: three more failures open it");
	breaker_success(breaker_store_get(st, "redis://:x@h:6379/0"));
	is_int(breaker_store_save(st), 0, "the second save succeeds");
	breaker_store_free(st);
	text = slurp(path);
	ok(strstr(text, "redis") == NULL && strstr(text, "\"web-1\"") != NULL,
	   "a breaker closed again is dropped from the file");

	is_int(breaker_store_load(path, &st), 0, "loads a third time");
	b = breaker_store_get(st, "web-1");
	ok(b->state == BREAKER_OPEN && b->opened_at_ms == 3000,
	   "the third load sees the second save");
	breaker_store_free(st);
}

static void
test_store_unchanged(void)
{
	char path[4200];
	struct breaker_store *st;
	struct breaker *b;
	struct stat before, after;

	tap_path(path, sizeof(path), "same.json");
	breaker_store_load(path, &st);
	fail_n(breaker_store_get(st, "t1"), NULL, 5, 10);
	breaker_store_save(st);
	ok(stat(path, &before) == 0, "a file to compare with");
	is_int(breaker_store_save(st), 0, "saving again right away succeeds");
	ok(stat(path, &after) == 0 && after.st_ino == before.st_ino &&
	   after.st_mtim.tv_nsec == before.st_mtim.tv_nsec &&
	   after.st_mtim.tv_sec == before.st_mtim.tv_sec,
	   "and does not rewrite the file");
	breaker_store_free(st);

	breaker_store_load(path, &st);
	b = breaker_store_get(st, "t1");
	ok(!breaker_allow(b, NULL, 20), "a refused call changes nothing");
	breaker_store_get(st, "t2");
	breaker_store_save(st);
	ok(stat(path, &after) == 0 && after.st_ino == before.st_ino &&
	   after.st_mtim.tv_nsec == before.st_mtim.tv_nsec,
	   "so a load, lookups and a save leave the file alone");
	ok(breaker_allow(b, NULL, 60010), "a probe changes the state");
	breaker_store_save(st);
	ok(stat(path, &after) == 0 && after.st_ino != before.st_ino,
	   "and that is saved");
	breaker_store_free(st);
	breaker_store_load(path, &st);
	b = breaker_store_get(st, "t1");
	ok(b->state == BREAKER_HALF_OPEN && b->probe_started_ms == 60010,
	   "the probe in flight is seen by the next process");
	ok(!breaker_allow(b, NULL, 60011), "which waits for it");
	breaker_store_free(st);
}

/* Loads path (holding data) and returns what was printed on stderr. */
static const char *
load_bad(const char *path, const char *data, struct breaker_store **st)
{
	int ret;
	const char *err;

	put_file(path, data);
	tap_capture_begin();
	ret = breaker_store_load(path, st);
	err = tap_capture_end();
	is_int(ret, 0, "a bad breaker file never fails the load (nor the tool)");
	return err;
}

static void
test_store_malformed(void)
{
	char path[4200], want[4300];
	struct breaker_store *st;
	struct breaker *b;
	const char *err;
	struct stat sb;

	tap_path(path, sizeof(path), "bad.json");
	err = load_bad(path, "{\"version\":1,\"breakers\":{\"a\":", &st);
	snprintf(want, sizeof(want), "test-breaker: %s:1:", path);
	ok(strstr(err, want) != NULL, "a syntax error names the file and line");
	ok(strstr(err, "breaker file") != NULL, "and says which file it is");
	ok(st != NULL && breaker_store_get(st, "a")->state == BREAKER_CLOSED,
	   "and the store is empty");
	is_int(breaker_store_save(st), 0, "saving replaces the malformed file");
	breaker_store_free(st);
	is_str(slurp(path), "{\"breakers\":{},\"version\":1}\n", "with a valid empty one");

	err = load_bad(path, "{\"version\":1,\n\"breakers\":{\"a\":1 2}}", &st);
	snprintf(want, sizeof(want), "%s:2:", path);
	ok(strstr(err, want) != NULL, "the line of a later error is given");
	breaker_store_free(st);

	err = load_bad(path, "[1,2]\n", &st);
	ok(strstr(err, path) != NULL && strstr(err, "'breakers'") != NULL,
	   "a JSON value of the wrong shape is a warning");
	breaker_store_free(st);

	err = load_bad(path, "{\"version\":2,\"breakers\":{}}\n", &st);
	ok(strstr(err, "version 2") != NULL, "an unknown version is a warning");
	breaker_store_free(st);

	err = load_bad(path,
		       "{\"version\":1,\"breakers\":{"
		       "\"a\":{\"state\":\"ajar\",\"failures\":5,\"opened_at_ms\":1,\"probe_started_ms\":0},"
		       "\"b\":{\"state\":\"open\",\"failures\":5,\"opened_at_ms\":7,\"probe_started_ms\":0},"
		       "\"c\":{\"state\":\"open\",\"failures\":-1},"
		       "\"d\":[]}}\n", &st);
	ok(strstr(err, "breaker 'a': unknown state 'ajar'") != NULL,
	   "an unknown state is a warning naming the endpoint and the state");
	ok(strstr(err, "breaker 'c': 'failures'") != NULL, "so is a bad count");
	ok(strstr(err, "breaker 'd': the entry is not an object") != NULL, "and an entry of the wrong type");
	b = breaker_store_get(st, "a");
	ok(b->state == BREAKER_CLOSED && b->failures == 0, "that entry starts closed");
	ok(breaker_store_get(st, "c")->state == BREAKER_CLOSED, "so does the bad count");
	b = breaker_store_get(st, "b");
	ok(b->state == BREAKER_OPEN && b->opened_at_ms == 7, "the good entry is kept");
	is_int(breaker_store_save(st), 0, "saving rewrites the file");
	breaker_store_free(st);
	is_str(slurp(path),
	       "{\"breakers\":{\"b\":{\"failures\":5,\"opened_at_ms\":7,"
	       "\"probe_started_ms\":0,\"state\":\"open\"}},\"version\":1}\n",
	       "without the bad entries");

	err = load_bad(path,
		       "{\"version\":1,\"breakers\":{\"redis://:pw@h\":"
		       "{\"state\":\"open\",\"failures\":5,\"opened_at_ms\":7,"
		       "\"probe_started_ms\":0}}}\n", &st);
	is_str(err, "", "a password written by hand loads without a warning");
	ok(breaker_store_get(st, "redis://:zz@h")->state == BREAKER_OPEN,
	   "under its masked name");
	breaker_store_save(st);
	breaker_store_free(st);
	ok(strstr(slurp(path), "pw") == NULL && strstr(slurp(path), ":***@h") != NULL,
	   "and the next save removes the password from the file");

	err = load_bad(path, "", &st);
	is_str(err, "", "an empty file is an empty store, silently");
	breaker_store_free(st);

	tap_path(path, sizeof(path), "adir");
	mkdir(path, 0700);
	tap_capture_begin();
	is_int(breaker_store_load(path, &st), 0, "a directory in the file's place still loads");
	err = tap_capture_end();
	ok(strstr(err, "not a regular file") != NULL, "with a warning");
	breaker_store_free(st);

	tap_path(path, sizeof(path), "no/such/dir/b.json");
	breaker_store_load(path, &st);
	breaker_failure(breaker_store_get(st, "x"), &(struct breaker_config){ 1, 0 }, 0);
	tap_capture_begin();
	is_int(breaker_store_save(st), -CODE_EXIT_IOERR, "a save that cannot write is exit 74");
	err = tap_capture_end();
	ok(strstr(err, path) != NULL, "with the path in the message");
	breaker_store_free(st);
	ok(stat(path, &sb) < 0, "and nothing is left behind");
}

static void
test_store_many(void)
{
	char path[4200], name[64];
	struct breaker_store *st;
	int i, good = 0;

	tap_path(path, sizeof(path), "many.json");
	breaker_store_load(path, &st);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "target-%03d", i);
		fail_n(breaker_store_get(st, name), NULL, 1 + i % 5, i);
	}
	/* Not UTF-8: kept under a name JSON can hold. */
	fail_n(breaker_store_get(st, "bad\xff" "name"), NULL, 5, 0);
	is_int(breaker_store_save(st), 0, "200 endpoints and a non-UTF-8 one save");
	breaker_store_free(st);
	tap_capture_begin();
	breaker_store_load(path, &st);
	is_str(tap_capture_end(), "", "and load back without a warning");
	for (i = 0; i < 200; i++) {
		struct breaker *b;

		snprintf(name, sizeof(name), "target-%03d", i);
		b = breaker_store_get(st, name);
		good += (i % 5 == 4) ? b->state == BREAKER_OPEN
				     : b->failures == (unsigned)(1 + i % 5);
	}
	is_int(good, 200, "every one with its own state");
	ok(breaker_store_get(st, "bad\xff" "name")->state == BREAKER_OPEN,
	   "the non-UTF-8 endpoint finds its breaker again");
	breaker_store_free(st);
}

int
main(void)
{
	diag_setup("test-breaker");
	test_closed_to_open();
	test_success_resets();
	test_half_open();
	test_config();
	test_clock_edges();
	test_mask();
	test_store_roundtrip();
	test_store_unchanged();
	test_store_malformed();
	test_store_many();
	return tap_done();
}
