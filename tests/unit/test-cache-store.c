/* test-cache-store.c: the local cache tier keeps values byte for byte, evicts by LRU, turns corruption into misses, and survives 8 writers plus one killed mid-put. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cache/store.h"
#include "libcommon/diag.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"
#include "tests/lib/tap.h"

#define T0 INT64_C(1795428000000) /* 2026-11-23T10:00:00.000Z */
#define NKEYS 200

/* ---------------------------------------------------------------- helpers */

static uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void
fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull | 1;
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(xorshift(&x) >> 24);
}

static struct store *
open_at(const char *dir, uint64_t max_size)
{
	struct store_options o = { dir, max_size };
	struct store *st = NULL;

	if (store_open(&o, &st) != 0 || st == NULL) {
		printf("Bail out! cannot open a store in %s\n", dir);
		exit(1);
	}
	return st;
}

static const char *
fresh_dir(const char *name)
{
	static char buf[4][512];
	static int n;
	char *b = buf[n++ % 4];

	return tap_path(b, sizeof(buf[0]), name);
}

static int
put_s(struct store *st, const char *key, const char *value)
{
	return store_put(st, key, strlen(key), value, strlen(value), T0, 0);
}

/* 1 when key holds exactly value. */
static int
has_value(struct store *st, const char *key, const void *value, size_t len, int64_t now)
{
	struct strbuf sb = STRBUF_INIT;
	int r = store_get(st, key, strlen(key), now, &sb);
	int same = r == STORE_HIT && sb.len == len && (len == 0 || memcmp(sb.buf, value, len) == 0);

	strbuf_release(&sb);
	return same;
}

static int
is_miss(struct store *st, const char *key, int64_t now)
{
	struct strbuf sb = STRBUF_INIT;
	int r = store_get(st, key, strlen(key), now, &sb);

	strbuf_release(&sb);
	return r == STORE_MISS;
}

/* The path of the largest pack in dir/v1 (the one a test damages). */
static int
largest_pack(const char *dir, char *out, size_t size)
{
	char v1[600], p[1024];
	struct dirent *de;
	struct stat sb;
	off_t best = 0;
	DIR *d;

	snprintf(v1, sizeof(v1), "%s/v1", dir);
	if ((d = opendir(v1)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 5, ".pack") != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", v1, de->d_name);
		if (stat(p, &sb) == 0 && sb.st_size > best) {
			best = sb.st_size;
			snprintf(out, size, "%s", p);
		}
	}
	closedir(d);
	return best > 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- basics */

static void
test_layout(void)
{
	const char *dir = fresh_dir("layout");
	struct store *st = open_at(dir, 0);
	char p[1024];
	struct stat sb;

	ok(put_s(st, "a", "1") == 0, "put into a new store");
	ok(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700, "the dir is 0700");
	snprintf(p, sizeof(p), "%s/v1/ctl", dir);
	ok(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600, "ctl is 0600");
	ok(largest_pack(dir, p, sizeof(p)) == 0 && stat(p, &sb) == 0 &&
	   (sb.st_mode & 0777) == 0600, "the pack is 0600");
	snprintf(p, sizeof(p), "%s/CACHEDIR.TAG", dir);
	ok(access(p, F_OK) == 0, "CACHEDIR.TAG is there");
	store_close(st);

	snprintf(p, sizeof(p), "%s/v1/meta", dir);
	tap_write_file(p, "something else\n", 15);
	{
		struct store_options o = { dir, 0 };
		struct store *bad = NULL;
		int r;

		tap_capture_begin();
		r = store_open(&o, &bad);
		ok(strstr(tap_capture_end(), "not a code-cache store") != NULL,
		   "a foreign meta file is named");
		is_int(r, -66, "and refused with exit 66");
		ok(bad == NULL, "no store is returned");
	}
}

static void
test_round_trips(void)
{
	const char *dir = fresh_dir("rt");
	struct store *st = open_at(dir, 0);
	unsigned char bin[256], *big = xmalloc(1u << 20), *text = xmalloc(100000);
	size_t i;

	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)i;
	fill_random(big, 1u << 20, 7);
	for (i = 0; i < 100000; i++)
		text[i] = "abcdefgh "[i % 9];
	ok(store_put(st, "bin", 3, bin, sizeof(bin), T0, 0) == 0, "put 256 binary bytes");
	ok(store_put(st, "empty", 5, "", 0, T0, 0) == 0, "put a 0-byte value");
	ok(store_put(st, "big", 3, big, 1u << 20, T0, 0) == 0, "put 1 MiB of random bytes");
	ok(store_put(st, "text", 4, text, 100000, T0, 0) == 0, "put 100 KB that compress");
	ok(store_put(st, "k\0nul", 5, "v", 1, T0, 0) == 0, "a key with a NUL byte");
	ok(has_value(st, "bin", bin, sizeof(bin), T0), "binary value comes back");
	ok(has_value(st, "empty", "", 0, T0), "0-byte value is a hit with 0 bytes");
	ok(has_value(st, "big", big, 1u << 20, T0), "1 MiB value comes back");
	ok(has_value(st, "text", text, 100000, T0), "compressed value comes back");
	ok(is_miss(st, "k", T0), "a prefix of a key is another key");
	ok(is_miss(st, "nothing", T0), "an absent key is a miss");
	tap_capture_begin();
	is_int(store_put(st, "", 0, "v", 1, T0, 0), 1, "an empty key is refused with 1");
	ok(strstr(tap_capture_end(), "empty key") != NULL, "with a warning");
	ok(is_miss(st, "", T0), "an empty key is a miss");
	is_int(store_del(st, "", 0), STORE_MISS, "and del of it is 1");
	store_close(st);

	st = open_at(dir, 0);
	ok(has_value(st, "big", big, 1u << 20, T0), "1 MiB value after reopening");
	ok(has_value(st, "bin", bin, sizeof(bin), T0), "binary value after reopening");
	{
		struct strbuf sb = STRBUF_INIT;

		ok(store_get(st, "k\0nul", 5, T0, &sb) == STORE_HIT && sb.len == 1,
		   "key with NUL after reopening");
		strbuf_release(&sb);
	}
	ok(put_s(st, "bin", "second") == 0, "overwrite");
	ok(has_value(st, "bin", "second", 6, T0), "the overwrite wins");
	is_int(store_del(st, "bin", 3), 0, "del of a present key is 0");
	ok(is_miss(st, "bin", T0), "a deleted key is a miss");
	is_int(store_del(st, "bin", 3), STORE_MISS, "del of an absent key is 1");
	is_int(store_del(st, "never", 5), STORE_MISS, "del of a never-seen key is 1");
	store_close(st);
	st = open_at(dir, 0);
	ok(is_miss(st, "bin", T0), "the delete persists");
	store_close(st);
	free(big);
	free(text);
}

static void
test_ttl(void)
{
	const char *dir = fresh_dir("ttl");
	struct store *st = open_at(dir, 0);
	struct store_gc_result g;

	ok(store_put(st, "t", 1, "v", 1, T0, 1000) == 0, "put with a 1 s TTL");
	ok(store_put(st, "forever", 7, "v", 1, T0, 0) == 0, "put without TTL");
	ok(has_value(st, "t", "v", 1, T0 + 999), "hit before expiry");
	ok(is_miss(st, "t", T0 + 1000), "miss at expiry");
	ok(has_value(st, "forever", "v", 1, T0 + 86400000), "no TTL: still there a day later");
	ok(store_gc(st, T0 + 2000, &g) == 0, "gc");
	is_int((long long)g.removed_expired, 1, "gc removed the expired entry");
	ok(has_value(st, "forever", "v", 1, T0 + 2000), "gc kept the other");
	store_close(st);
}

static void
test_batch(void)
{
	const char *dir = fresh_dir("batch");
	struct store *a = open_at(dir, 0), *b = open_at(dir, 0);

	store_set_batch(a, true);
	ok(put_s(a, "p", "pending") == 0, "batch put");
	ok(has_value(a, "p", "pending", 7, T0), "visible to its own process before commit");
	ok(is_miss(b, "p", T0), "invisible to another store before commit");
	ok(put_s(a, "p", "again") == 0, "batch overwrite");
	ok(has_value(a, "p", "again", 5, T0), "the later pending put wins");
	ok(put_s(a, "q", "gone") == 0, "batch put of q");
	is_int(store_del(a, "q", 1), 0, "batch del of a pending key is 0");
	ok(is_miss(a, "q", T0), "a deleted pending key is a miss");
	ok(store_commit(a) == 0, "commit");
	ok(has_value(b, "p", "again", 5, T0), "visible to another store after commit");
	ok(is_miss(b, "q", T0), "the deleted one stays deleted");
	store_set_batch(a, false);
	store_close(a);
	store_close(b);
}

/*
 * Old entries that keep being read survive eviction; untouched ones go
 * first. Seven rounds of new entries, each 0.4 of a shard budget, push every
 * shard through several compactions.
 */
static void
test_lru(void)
{
	const char *dir = fresh_dir("lru");
	uint64_t max = 64 * 32768;
	struct store *st = open_at(dir, max);
	struct store_stats s;
	char key[32], val[200];
	int i, r, touched = 0, untouched = 0, last = 0;
	const int nold = 4000, nround = 3000, rounds = 7;
	int64_t now = T0;

	memset(val, 'x', sizeof(val));
	store_set_batch(st, true);
	for (i = 0; i < nold; i++) {
		snprintf(key, sizeof(key), "old%d", i);
		store_put(st, key, strlen(key), val, sizeof(val), T0, 0);
	}
	store_commit(st);
	for (r = 1; r <= rounds; r++) {
		now = T0 + r * INT64_C(3600000);
		for (i = 0; i < nold; i += 4) {
			snprintf(key, sizeof(key), "old%d", i);
			has_value(st, key, val, sizeof(val), now - 1800000);
		}
		for (i = 0; i < nround; i++) {
			snprintf(key, sizeof(key), "new%d-%d", r, i);
			store_put(st, key, strlen(key), val, sizeof(val), now, 0);
		}
		store_commit(st);
	}
	for (i = 0; i < nold; i++) {
		snprintf(key, sizeof(key), "old%d", i);
		if (!is_miss(st, key, now)) {
			if (i % 4 == 0)
				touched++;
			else
				untouched++;
		}
	}
	for (i = 0; i < nround; i++) {
		snprintf(key, sizeof(key), "new%d-%d", rounds, i);
		last += !is_miss(st, key, now);
	}
	tap_diag("lru survivors: read %d/%d, untouched %d/%d, last round %d/%d", touched,
		 nold / 4, untouched, nold - nold / 4, last, nround);
	ok(untouched * 100 <= nold - nold / 4, "at most 1%% of untouched old entries survive");
	ok(touched * 100 >= nold / 4 * 95, "at least 95%% of the ones kept being read survive");
	ok(last * 10 >= nround * 9, "at least 90%% of the newest survive");
	ok(store_stats(st, &s) == 0, "stats");
	ok(s.evictions > 0, "evictions are counted");
	ok(s.bytes < max + 64 * 200000, "disk use stays near max_size");
	store_set_batch(st, false);
	store_close(st);

	st = open_at(dir, 64 * 1024);
	{
		unsigned char *huge = xmalloc(40000);

		fill_random(huge, 40000, 3);
		tap_capture_begin();
		r = store_put(st, "huge", 4, huge, 40000, T0, 0);
		ok(strstr(tap_capture_end(), "too big") != NULL, "a value over half a shard is refused");
		is_int(r, 1, "with 1");
		ok(is_miss(st, "huge", T0), "and not stored");
		free(huge);
	}
	store_close(st);
}

static void
test_stats_clear(void)
{
	const char *dir = fresh_dir("stats");
	struct store *st = open_at(dir, 0);
	struct store_stats s;
	char key[16];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "s%d", i);
		put_s(st, key, "0123456789");
	}
	put_s(st, "s0", "overwritten");
	store_count(st, STORE_COUNT_HITS, 4);
	store_count(st, STORE_COUNT_MISSES, 1);
	store_count(st, STORE_COUNT_PREFETCH_HITS, 2);
	ok(store_stats(st, &s) == 0, "stats");
	is_int((long long)s.entries, 10, "10 entries");
	is_int((long long)s.puts, 11, "11 puts");
	is_int((long long)s.hits, 4, "4 hits");
	is_int((long long)s.misses, 1, "1 miss");
	is_int((long long)s.prefetch_hits, 2, "2 prefetch hits");
	ok(s.live_bytes >= 10 * (52 + 2 + 10) && s.live_bytes <= 10 * 96, "live bytes");
	ok(s.bytes > s.live_bytes, "bytes include the indexes");
	store_close(st);

	st = open_at(dir, 0);
	store_count(st, STORE_COUNT_HITS, 1);
	store_close(st);
	st = open_at(dir, 0);
	ok(store_stats(st, &s) == 0 && s.hits == 5, "counters add up across processes");
	ok(store_clear(st) == 0, "clear");
	ok(is_miss(st, "s1", T0), "cleared entries are misses");
	ok(store_stats(st, &s) == 0, "stats after clear");
	is_int((long long)s.entries, 0, "no entries");
	is_int((long long)s.hits + (long long)s.puts, 0, "counters zeroed");
	ok(put_s(st, "after", "x") == 0 && has_value(st, "after", "x", 1, T0),
	   "the store works after clear");
	store_close(st);
}

/* ---------------------------------------------------------------- corruption */

static void
flip_byte(const char *path, off_t at)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	if (fd < 0 || pread(fd, &c, 1, at) != 1) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	c ^= 0x40;
	if (pwrite(fd, &c, 1, at) != 1)
		exit(1);
	close(fd);
}

static void
test_corruption(void)
{
	const char *dir = fresh_dir("corrupt");
	struct store *st = open_at(dir, 0);
	struct store_stats s;
	char pack[1024], key[16];
	const char *err;
	int i, hits = 0;

	ok(put_s(st, "victim", "the value") == 0, "put");
	ok(largest_pack(dir, pack, sizeof(pack)) == 0, "its pack");
	flip_byte(pack, 60);
	diag_set_level(DIAG_VERBOSE);
	tap_capture_begin();
	ok(is_miss(st, "victim", T0), "a flipped byte is a miss");
	err = tap_capture_end();
	ok(strstr(err, "corrupt entry") != NULL && strstr(err, "checksum") != NULL,
	   "reported under -v: %s", err);
	diag_set_level(DIAG_NORMAL);
	ok(store_stats(st, &s) == 0 && s.corrupt == 1 && s.entries == 0,
	   "counted as corrupt and tombstoned");
	ok(is_miss(st, "victim", T0), "still a miss");
	ok(put_s(st, "victim", "new") == 0 && has_value(st, "victim", "new", 3, T0),
	   "the key can be stored again");
	store_close(st);

	/* gc finds what no get has read yet. */
	dir = fresh_dir("corrupt-gc");
	st = open_at(dir, 0);
	ok(put_s(st, "quiet", "rotting away") == 0 && largest_pack(dir, pack, sizeof(pack)) == 0,
	   "put another");
	flip_byte(pack, 62);
	{
		struct store_gc_result g;

		ok(store_gc(st, T0, &g) == 0, "gc over a flipped byte");
		is_int((long long)g.removed_corrupt, 1, "gc removed the corrupt entry");
	}
	ok(is_miss(st, "quiet", T0), "which is then a miss");
	ok(store_stats(st, &s) == 0 && s.entries == 0 && s.corrupt == 1, "and counted");
	store_close(st);

	/* Truncation under an open store: the cached size says the record is there. */
	dir = fresh_dir("trunc");
	st = open_at(dir, 0);
	for (i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "t%d", i);
		put_s(st, key, "some value that is long enough to matter");
	}
	for (i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "t%d", i);
		hits += !is_miss(st, key, T0);
	}
	is_int(hits, 400, "all there before truncation");
	ok(largest_pack(dir, pack, sizeof(pack)) == 0 && truncate(pack, 0) == 0,
	   "truncate a pack to 0 under the open store");
	hits = 0;
	for (i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "t%d", i);
		hits += !is_miss(st, key, T0);
	}
	ok(hits < 400 && hits > 0, "its entries are misses, the others hits (%d), no crash", hits);
	store_close(st);
	st = open_at(dir, 0);
	ok(largest_pack(dir, pack, sizeof(pack)) == 0 && truncate(pack, 100) == 0,
	   "truncate another pack mid-record");
	hits = 0;
	for (i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "t%d", i);
		hits += !is_miss(st, key, T0);
	}
	ok(hits < 400 && hits > 0, "misses again, no crash (%d hits)", hits);
	{
		struct store_gc_result g;

		ok(store_gc(st, T0, &g) == 0, "gc after truncation");
	}
	store_close(st);
}

static void
test_bad_index(void)
{
	const char *dir = fresh_dir("badidx");
	struct store *st = open_at(dir, 0);
	struct store_gc_result g;
	char key[16], p[1024];
	int i, hits = 0;

	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "b%d", i);
		put_s(st, key, key);
	}
	store_close(st);
	snprintf(p, sizeof(p), "%s/v1/00.idx", dir);
	{
		char garbage[64];
		int fd = open(p, O_WRONLY);

		memset(garbage, 0x5a, sizeof(garbage));
		ok(fd >= 0 && pwrite(fd, garbage, sizeof(garbage), 0) == 64, "garble 00.idx");
		if (fd >= 0)
			close(fd);
	}
	/* Orphans and leftovers of dead processes. */
	snprintf(p, sizeof(p), "%s/v1/tmp/05.999999999.1.pack", dir);
	tap_write_file(p, "x", 1);
	{
		struct timespec old[2] = { { time(NULL) - 120, 0 }, { time(NULL) - 120, 0 } };

		ok(utimensat(AT_FDCWD, p, old, 0) == 0, "a tmp file of a dead process, 2 min old");
	}
	snprintf(p, sizeof(p), "%s/v1/tmp/06.999999999.1.pack", dir);
	tap_write_file(p, "x", 1);
	snprintf(p, sizeof(p), "%s/v1/07.0.pack", dir);
	tap_write_file(p, "orphan", 6);
	st = open_at(dir, 0);
	ok(store_gc(st, T0, &g) == 0, "gc");
	is_int(g.rebuilt_indexes, 1, "gc rebuilt the bad index");
	ok(g.tmp_files_removed >= 2, "the tmp file and the orphan pack are gone (%llu)",
	   (unsigned long long)g.tmp_files_removed);
	snprintf(p, sizeof(p), "%s/v1/07.0.pack", dir);
	ok(access(p, F_OK) != 0, "orphan pack removed");
	snprintf(p, sizeof(p), "%s/v1/tmp/06.999999999.1.pack", dir);
	ok(access(p, F_OK) == 0, "a fresh tmp file is left alone");
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "b%d", i);
		hits += has_value(st, key, key, strlen(key), T0);
	}
	is_int(hits, 300, "every entry is back");
	store_close(st);
}

/* ---------------------------------------------------------------- concurrency */

/* A value for key i that says so: "i:seed:len:" then bytes derived from them. */
static size_t
make_value(unsigned char *buf, int i, uint64_t seed, size_t len)
{
	int n = snprintf((char *)buf, 64, "%d:%llu:%zu:", i, (unsigned long long)seed, len);

	if ((size_t)n < len)
		fill_random(buf + n, len - (size_t)n, seed * 1000003 + (uint64_t)i);
	return len < (size_t)n ? (size_t)n : len;
}

static int
value_ok(const struct strbuf *v, int i)
{
	unsigned long long seed;
	size_t len;
	int k, ok_ = 0;
	unsigned char *want;

	if (v->len < 6 || sscanf(v->buf, "%d:%llu:%zu:", &k, &seed, &len) != 3 || k != i ||
	    len != v->len)
		return 0;
	want = xmalloc(len + 64);
	make_value(want, i, seed, len);
	ok_ = memcmp(want, v->buf, len) == 0;
	free(want);
	return ok_;
}

static void
key_of(char *buf, size_t size, int i)
{
	snprintf(buf, size, "key-%03d", i);
}

/* One of the 8 stress processes: 2,000 random ops; exits with the number of wrong values. */
static void
stress_child(const char *dir, uint64_t max_size, int id)
{
	struct store *st = open_at(dir, max_size);
	struct strbuf v = STRBUF_INIT;
	unsigned char *buf = xmalloc(8192);
	uint64_t x = (uint64_t)id * 7919 + 17;
	int op, bad = 0;
	char key[32];

	for (op = 0; op < 2000; op++) {
		int i = (int)(xorshift(&x) % NKEYS), dice = (int)(xorshift(&x) % 10);
		int64_t now = T0 + op;

		key_of(key, sizeof(key), i);
		if (dice < 4) {
			size_t len = make_value(buf, i, xorshift(&x) % 1000000, 20 + xorshift(&x) % 3000);

			if (store_put(st, key, strlen(key), buf, len, now, 0) < 0)
				bad++;
		} else if (dice < 9) {
			if (store_get(st, key, strlen(key), now, &v) == STORE_HIT && !value_ok(&v, i))
				bad++;
		} else if (store_del(st, key, strlen(key)) < 0) {
			bad++;
		}
	}
	store_close(st);
	strbuf_release(&v);
	free(buf);
	_exit(bad > 100 ? 100 : bad);
}

/* The 9th process: large puts in a loop until it is killed. */
static void
killed_child(const char *dir, uint64_t max_size, size_t cap, uint64_t seed)
{
	struct store *st = open_at(dir, max_size);
	unsigned char *buf = xmalloc(cap);
	uint64_t x = seed | 1;
	char key[32];

	for (;;) {
		int i = (int)(xorshift(&x) % NKEYS);
		size_t len = make_value(buf, i, xorshift(&x) % 1000000, 4096 + xorshift(&x) % (cap - 4096));

		key_of(key, sizeof(key), i);
		store_put(st, key, strlen(key), buf, len, T0, 0);
	}
}

/*
 * max_size 0: the default 5 GiB, so compaction runs only for dead bytes;
 * a small one makes every shard compact and evict under the readers.
 */
static void
test_concurrency(const char *name, uint64_t max_size, size_t big)
{
	const char *dir = fresh_dir(name);
	struct store *st = open_at(dir, max_size);
	struct store_gc_result g;
	struct strbuf v = STRBUF_INIT;
	pid_t kids[8];
	int i, status, failed = 0, wrong = 0, kills = 0;
	uint64_t x = (uint64_t)time(NULL) | 1;
	struct timespec t0, t1;
	char key[32];

	store_close(st); /* creates the layout once */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(stdout);
	for (i = 0; i < 8; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			stress_child(dir, max_size, i);
	}
	for (i = 0; i < 30; i++) {
		pid_t k = fork();
		struct timespec d = { 0, (long)(1 + xorshift(&x) % 20) * 1000000L };

		if (k == 0)
			killed_child(dir, max_size, big, xorshift(&x));
		nanosleep(&d, NULL);
		kill(k, SIGKILL);
		if (waitpid(k, &status, 0) == k && WIFSIGNALED(status))
			kills++;
	}
	for (i = 0; i < 8; i++) {
		if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status))
			failed++;
		else
			wrong += WEXITSTATUS(status);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tap_diag("%s: 8 x 2,000 ops with %d kill -9 mid-put: %.2f s", name, kills,
		 (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	is_int(failed, 0, "all 8 stress processes finished");
	is_int(wrong, 0, "zero wrong values read");
	ok(kills >= 25, "the writer was killed mid-put %d times", kills);

	st = open_at(dir, max_size);
	for (i = 0; i < NKEYS; i++) {
		key_of(key, sizeof(key), i);
		if (store_get(st, key, strlen(key), T0, &v) == STORE_HIT && !value_ok(&v, i))
			wrong++;
	}
	is_int(wrong, 0, "every value left is right");
	ok(store_gc(st, T0, &g) == 0, "a final gc succeeds");
	tap_diag("gc: reclaimed %llu bytes, %llu leftovers removed, %llu corrupt",
		 (unsigned long long)g.reclaimed_bytes, (unsigned long long)g.tmp_files_removed,
		 (unsigned long long)g.removed_corrupt);
	for (i = 0; i < NKEYS; i++) {
		key_of(key, sizeof(key), i);
		if (store_get(st, key, strlen(key), T0, &v) == STORE_HIT && !value_ok(&v, i))
			wrong++;
	}
	is_int(wrong, 0, "and after gc");
	strbuf_release(&v);
	store_close(st);
}

/* A reader process: random gets while the parent writes; exits with the number of wrong values. */
static void
growth_reader(const char *dir, uint64_t max_size, int nkeys, int id)
{
	struct store *st = open_at(dir, max_size);
	struct strbuf v = STRBUF_INIT;
	uint64_t x = (uint64_t)id * 104729 + 5;
	char key[32];
	int n, bad = 0;

	for (n = 0; n < 150000; n++) {
		int i = (int)(xorshift(&x) % (uint64_t)nkeys);

		key_of(key, sizeof(key), i);
		if (store_get(st, key, strlen(key), T0, &v) == STORE_HIT && !value_ok(&v, i)) {
			if (bad++ == 0)
				tap_diag("reader %d: %s: %zu bytes '%.20s'", id, key, v.len, v.buf);
		}
	}
	store_close(st);
	strbuf_release(&v);
	fflush(stdout);
	_exit(bad > 100 ? 100 : bad);
}

/* Indexes that start at 256 slots grow twice under two lock-free readers. */
static void
test_growth_under_readers(void)
{
	const char *dir = fresh_dir("grow");
	uint64_t max = 64 * (512u << 10);
	struct store *st;
	unsigned char buf[64];
	const int nkeys = 40000;
	pid_t kids[2];
	int i, status, wrong = 0, failed = 0, hits = 0;
	char key[32];
	struct strbuf v = STRBUF_INIT;

	fflush(stdout);
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			growth_reader(dir, max, nkeys, i);
	}
	/* Opened after the forks: a child must not inherit (and leak) it. */
	st = open_at(dir, max);
	store_set_batch(st, true);
	for (i = 0; i < nkeys; i++) {
		key_of(key, sizeof(key), i);
		store_put(st, key, strlen(key), buf, make_value(buf, i, 9, 40), T0, 0);
		if (i % 500 == 499)
			store_commit(st);
	}
	store_set_batch(st, false);
	for (i = 0; i < 2; i++) {
		if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status))
			failed++;
		else
			wrong += WEXITSTATUS(status);
	}
	is_int(failed, 0, "both readers finished");
	is_int(wrong, 0, "no reader saw a wrong value while the indexes grew");
	for (i = 0; i < nkeys; i++) {
		key_of(key, sizeof(key), i);
		hits += store_get(st, key, strlen(key), T0, &v) == STORE_HIT && value_ok(&v, i);
	}
	is_int(hits, nkeys, "every key reads back after growing");
	strbuf_release(&v);
	store_close(st);
}

/* ---------------------------------------------------------------- throughput */

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Not a pass/fail test: puts/s and gets/s for the benchmark shape. */
static void
diag_throughput(void)
{
	const char *dir = fresh_dir("bench");
	struct store *st = open_at(dir, 0);
	struct strbuf v = STRBUF_INIT;
	unsigned char val[100];
	char key[32];
	struct timespec t0;
	double tp, tg;
	int i, hits = 0;
	const int n = 100000;

	store_set_batch(st, true);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		int kl = snprintf(key, sizeof(key), "bench-key-%d", i);

		make_value(val, i, 1, sizeof(val));
		store_put(st, key, (size_t)kl, val, sizeof(val), T0, 0);
		if (i % 4096 == 4095)
			store_commit(st);
	}
	store_commit(st);
	tp = seconds_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		int kl = snprintf(key, sizeof(key), "bench-key-%d", i);

		hits += store_get(st, key, (size_t)kl, T0, &v) == STORE_HIT && v.len == sizeof(val);
	}
	tg = seconds_since(&t0);
	tap_diag("store throughput, 100,000 distinct 100-byte values, batch mode: %.0f puts/s, %.0f gets/s",
		 n / tp, n / tg);
	is_int(hits, n, "every benchmark value reads back");

	/* 200,000 entries pass 70 % of every shard's first index: each one grows. */
	for (i = n; i < 2 * n; i++) {
		int kl = snprintf(key, sizeof(key), "bench-key-%d", i);

		make_value(val, i, 1, sizeof(val));
		store_put(st, key, (size_t)kl, val, sizeof(val), T0, 0);
	}
	store_commit(st);
	hits = 0;
	for (i = 0; i < 2 * n; i++) {
		int kl = snprintf(key, sizeof(key), "bench-key-%d", i);

		make_value(val, i, 1, sizeof(val));
		hits += store_get(st, key, (size_t)kl, T0, &v) == STORE_HIT &&
			v.len == sizeof(val) && memcmp(v.buf, val, sizeof(val)) == 0;
	}
	is_int(hits, 2 * n, "after the indexes grew, all 200,000 read back");
	{
		struct store_stats s;

		ok(store_stats(st, &s) == 0 && s.entries == 2 * (uint64_t)n,
		   "stats counts 200,000 entries");
		ok(s.bytes < 2 * (uint64_t)n * 400, "and under 400 bytes each on disk (%llu)",
		   (unsigned long long)s.bytes);
	}
	strbuf_release(&v);
	store_set_batch(st, false);
	store_close(st);
}

int
main(void)
{
	/* TEST_CACHE_STORE_QUICK=1 (for valgrind runs) leaves out the forks and the benchmark. */
	const char *quick = getenv("TEST_CACHE_STORE_QUICK");

	diag_setup("code-cache");
	test_layout();
	test_round_trips();
	test_ttl();
	test_batch();
	test_lru();
	test_stats_clear();
	test_corruption();
	test_bad_index();
	if (quick == NULL || strcmp(quick, "1") != 0) {
		test_concurrency("conc", 0, 1u << 20);
		test_concurrency("conc-small", 64 * 65536, 30000);
		test_growth_under_readers();
		diag_throughput();
	}
	return tap_done();
}
