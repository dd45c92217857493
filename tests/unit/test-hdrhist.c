/* test-hdrhist.c: unit tests of the HDR histogram: layout, precision, statistics, merge, text form. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "libcommon/hdrhist.h"
#include "libcommon/strbuf.h"
#include "tests/lib/tap.h"

/* The SPEC's histogram: 1 us .. 60 s at 3 digits. */
#define LOW 1
#define HIGH 60000000
#define DIGITS 3

/* xorshift64*: reproducible values without libc's global state. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* Latency-like values: log-uniform over 1..HIGH, a few past it. */
static int64_t
rnd_value(uint64_t *s)
{
	int shift = (int)(rnd(s) % 27);
	int64_t v = (int64_t)(rnd(s) & ((UINT64_C(1) << shift) - 1)) + 1;

	return v;
}

static void
new_hist(struct hdrhist *h)
{
	if (hdrhist_init(h, LOW, HIGH, DIGITS) != 0)
		abort();
}

static int
same_hist(const struct hdrhist *a, const struct hdrhist *b)
{
	return a->lowest == b->lowest && a->highest == b->highest &&
	       a->sig_digits == b->sig_digits && a->unit_magnitude == b->unit_magnitude &&
	       a->sub_bucket_half_count_magnitude == b->sub_bucket_half_count_magnitude &&
	       a->sub_bucket_count == b->sub_bucket_count &&
	       a->sub_bucket_half_count == b->sub_bucket_half_count &&
	       a->sub_bucket_mask == b->sub_bucket_mask && a->bucket_count == b->bucket_count &&
	       a->counts_len == b->counts_len && a->total == b->total && a->min == b->min &&
	       a->max == b->max && a->clamped == b->clamped &&
	       memcmp(a->counts, b->counts, (size_t)a->counts_len * sizeof(*a->counts)) == 0;
}

static void
test_init(void)
{
	struct hdrhist h;

	is_int(hdrhist_init(&h, 0, 1000, 3), -1, "init: lowest 0");
	is_int(hdrhist_init(&h, -5, 1000, 3), -1, "init: negative lowest");
	is_int(hdrhist_init(&h, 10, 19, 3), -1, "init: highest below 2 * lowest");
	is_int(hdrhist_init(&h, 1, 1000, 0), -1, "init: 0 digits");
	is_int(hdrhist_init(&h, 1, 1000, 6), -1, "init: 6 digits");
	is_int(hdrhist_init(&h, 1, (INT64_C(1) << 62) + 1, 3), -1, "init: highest past 2^62");
	is_int(hdrhist_init(&h, INT64_C(1) << 55, INT64_C(1) << 62, 3), -1,
	       "init: lowest too large for 3 digits");
	is_int(hdrhist_init(&h, 10, 20, 3), 0, "init: highest exactly 2 * lowest");
	hdrhist_release(&h);
	is_int(hdrhist_init(&h, 1, INT64_C(1) << 62, 5), 0, "init: widest bounds");
	hdrhist_release(&h);

	/*
	 * By hand: 2 * 10^3 = 2000 needs 11 bits, so 2048 sub-buckets
	 * (1024 per half); 2048 << 15 = 67108864 is the first power past
	 * 60 s, so 16 buckets and (16 + 1) * 1024 counts.
	 */
	is_int(hdrhist_init(&h, LOW, HIGH, DIGITS), 0, "init: 1 us .. 60 s, 3 digits");
	is_int(h.sub_bucket_count, 2048, "sub-bucket count");
	is_int(h.sub_bucket_half_count_magnitude, 10, "half-count magnitude");
	is_int(h.unit_magnitude, 0, "unit magnitude");
	is_int(h.bucket_count, 16, "bucket count");
	is_int(h.counts_len, 17408, "counts length");
	is_int(h.min, INT64_MAX, "empty min");
	is_int(h.max, 0, "empty max");
	is_int(hdrhist_percentile(&h, 50), 0, "empty percentile is 0");
	ok(hdrhist_mean(&h) == 0.0 && hdrhist_stddev(&h) == 0.0, "empty mean and stddev are 0");
	hdrhist_release(&h);

	/* lowest 1000: unit 2^9, so 512 us steps in the first bucket. */
	is_int(hdrhist_init(&h, 1000, HIGH, DIGITS), 0, "init: lowest 1000");
	is_int(h.unit_magnitude, 9, "unit magnitude of 1000");
	hdrhist_release(&h);
}

/* Whether got is v's equivalent value: not below it, within 0.1 %. */
static int
equivalent(int64_t got, int64_t v)
{
	return got >= v && got - v <= v / 1000;
}

/*
 * Recording v and a larger value, the median is v's bucket's highest
 * equivalent value: within 0.1 % of v for every v (exact below 2048).
 */
static void
test_precision(void)
{
	static const int primes[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43,
				      47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
				      211, 307, 401, 503, 601, 701, 809, 907, 997 };
	struct hdrhist h;
	int64_t v, p, bad = -1, got = 0;
	size_t i = 0;
	int n = 0, exact = 1;

	new_hist(&h);
	for (v = 1; v <= 1000000; v += primes[i++ % (sizeof(primes) / sizeof(primes[0]))]) {
		hdrhist_reset(&h);
		hdrhist_record(&h, v);
		hdrhist_record(&h, HIGH);
		got = hdrhist_percentile(&h, 50);
		if (!equivalent(got, v) && bad < 0)
			bad = v;
		if (v < 2048 && got != v)
			exact = 0;
		n++;
	}
	for (p = 1; p < HIGH; p *= 10) {
		hdrhist_reset(&h);
		hdrhist_record(&h, p);
		hdrhist_record(&h, HIGH);
		got = hdrhist_percentile(&h, 50);
		if (!equivalent(got, p) && bad < 0)
			bad = p;
		n++;
	}
	for (p = 1; p <= HIGH; p *= 2) {
		hdrhist_reset(&h);
		hdrhist_record(&h, p);
		hdrhist_record(&h, HIGH);
		got = hdrhist_percentile(&h, 50);
		if (!equivalent(got, p) && bad < 0)
			bad = p;
		n++;
	}
	ok(bad < 0, "precision: %d values each within 0.1 %% (first bad: %lld)", n,
	   (long long)bad);
	ok(exact, "precision: values below 2048 are exact");
	hdrhist_release(&h);
}

static void
test_percentiles(void)
{
	struct hdrhist h;
	int64_t v;

	new_hist(&h);
	for (v = 1; v <= 10000; v++)
		hdrhist_record(&h, v);
	is_int((long long)h.total, 10000, "1..10000: total");
	is_int(hdrhist_percentile(&h, 0), 1, "p0 is min");
	/* 4096..8191 in steps of 4: 5000 is in 5000..5003. */
	is_int(hdrhist_percentile(&h, 50), 5003, "p50 of 1..10000 (5000's bucket, 5000..5003)");
	/* 8192..16383 in steps of 8: 9000..9007, 9896..9903, 9984..9991. */
	is_int(hdrhist_percentile(&h, 90), 9007, "p90 of 1..10000");
	is_int(hdrhist_percentile(&h, 99), 9903, "p99 of 1..10000 (9900's bucket, 9896..9903)");
	is_int(hdrhist_percentile(&h, 99.9), 9991, "p99.9 of 1..10000");
	/* 10000's bucket is 10000..10007, but nothing above max is reported. */
	is_int(hdrhist_percentile(&h, 99.999), 10000, "p99.999 capped at max");
	is_int(hdrhist_percentile(&h, 100), 10000, "p100 is max");
	is_int(hdrhist_percentile(&h, 250), 10000, "p250 is max");
	is_int(hdrhist_percentile(&h, -3), 1, "negative p is min");
	is_int(hdrhist_percentile(&h, 0.005), 1, "p0.005: first value");
	is_int(hdrhist_percentile(&h, 0.01), 1, "p0.01: first value");
	is_int(hdrhist_percentile(&h, 0.02), 2, "p0.02: second value");
	hdrhist_release(&h);
}

static void
test_mean_stddev(void)
{
	static const int64_t classic[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct hdrhist h;
	size_t i;

	new_hist(&h);
	for (i = 1; i <= 4; i++)
		hdrhist_record(&h, (int64_t)i);
	ok(hdrhist_mean(&h) == 2.5, "mean of 1..4 is 2.5 (got %g)", hdrhist_mean(&h));
	ok(fabs(hdrhist_stddev(&h) - sqrt(1.25)) < 1e-12, "stddev of 1..4 is sqrt(1.25) (got %.15g)",
	   hdrhist_stddev(&h));
	hdrhist_reset(&h);
	for (i = 0; i < sizeof(classic) / sizeof(classic[0]); i++)
		hdrhist_record(&h, classic[i]);
	ok(hdrhist_mean(&h) == 5.0, "mean of 2,4,4,4,5,5,7,9 is 5");
	ok(fabs(hdrhist_stddev(&h) - 2.0) < 1e-12, "stddev of 2,4,4,4,5,5,7,9 is 2 (got %.17g)",
	   hdrhist_stddev(&h));
	hdrhist_reset(&h);
	/* One value far past the exact range: its bucket is kept to min..max. */
	hdrhist_record_n(&h, 1234567, 3);
	ok(hdrhist_mean(&h) == 1234567.0, "mean of a single repeated value is that value");
	ok(hdrhist_stddev(&h) == 0.0, "stddev of a single repeated value is 0");
	hdrhist_reset(&h);
	/* 3000's bucket is 3000..3001, its middle 3001 kept to max 3000. */
	hdrhist_record(&h, 1000);
	hdrhist_record(&h, 3000);
	ok(hdrhist_mean(&h) == 2000.0, "mean of 1000 and 3000");
	ok(fabs(hdrhist_stddev(&h) - 1000.0) < 1e-9, "stddev of 1000 and 3000 is 1000 (got %.17g)",
	   hdrhist_stddev(&h));
	hdrhist_reset(&h);
	/* Newton's square root over a wide range (sd of {0, 2x} is x). */
	hdrhist_record(&h, 1);
	hdrhist_record(&h, 59999999);
	ok(fabs(hdrhist_stddev(&h) - (59999999 - 1) / 2.0) < 1e-6 * 59999999,
	   "stddev of 1 and 59999999 (got %.17g)", hdrhist_stddev(&h));
	hdrhist_release(&h);
}

static void
test_clamp_and_record_n(void)
{
	struct hdrhist h;
	struct hdrhist_iter it;

	new_hist(&h);
	hdrhist_record(&h, HIGH + 1);
	hdrhist_record(&h, INT64_MAX);
	hdrhist_record(&h, HIGH);
	is_int((long long)h.clamped, 2, "clamped: two values above highest");
	is_int((long long)h.total, 3, "clamped: all three counted");
	is_int(h.max, HIGH, "clamped: max is highest");
	is_int(hdrhist_percentile(&h, 100), HIGH, "clamped: p100 is highest");
	hdrhist_record(&h, 0);
	hdrhist_record(&h, -7);
	is_int(h.min, LOW, "below lowest: counted as lowest");
	is_int((long long)h.clamped, 2, "below lowest: not counted as clamped");
	is_int(hdrhist_percentile(&h, 0), LOW, "below lowest: p0 is lowest");
	hdrhist_reset(&h);
	is_int((long long)h.total + (long long)h.clamped + h.max, 0, "reset empties");
	is_int(h.min, INT64_MAX, "reset: min back to INT64_MAX");

	hdrhist_record_n(&h, 100, 0);
	is_int((long long)h.total, 0, "record_n of 0: nothing");
	is_int(h.min, INT64_MAX, "record_n of 0: min untouched");
	hdrhist_record_n(&h, 100, 5);
	hdrhist_record_n(&h, 70000, 2);
	is_int((long long)h.total, 7, "record_n: total");
	is_int(hdrhist_percentile(&h, 50), 100, "record_n: p50");
	hdrhist_iter_init(&it, &h);
	ok(hdrhist_iter_next(&it) && it.value == 100 && it.count == 5, "record_n: 100 x 5");
	/* 65536..131071 in steps of 64: 70000 is in 69952..70015. */
	ok(hdrhist_iter_next(&it), "record_n: a second bucket");
	ok(it.value == 70015 && it.count == 2, "record_n: 70000 x 2 in 69952..70015 (got %lld)",
	   (long long)it.value);
	ok(!hdrhist_iter_next(&it), "record_n: two buckets");
	hdrhist_release(&h);
}

static void
test_corrected(void)
{
	struct hdrhist h;
	struct hdrhist_iter it;
	int64_t want = 10;
	int n = 0, good = 1;

	new_hist(&h);
	/* HdrHistogram's example: 100 us at a 10 us interval stands for 10 requests. */
	hdrhist_record_corrected(&h, 100, 10);
	is_int((long long)h.total, 10, "corrected: 10 values");
	hdrhist_iter_init(&it, &h);
	while (hdrhist_iter_next(&it)) {
		if (it.value != want || it.count != 1)
			good = 0;
		want += 10;
		n++;
	}
	ok(good && n == 10, "corrected: 10, 20, .. 100 once each");
	hdrhist_reset(&h);
	hdrhist_record_corrected(&h, 100, 0);
	hdrhist_record_corrected(&h, 100, -1);
	hdrhist_record_corrected(&h, 5, 10);
	hdrhist_record_corrected(&h, 10, 10);
	is_int((long long)h.total, 4, "corrected: no interval or value within it is one value");
	hdrhist_reset(&h);
	hdrhist_record_corrected(&h, INT64_MAX, HIGH / 4);
	is_int((long long)h.total, 4, "corrected: a clamped value fills in from highest");
	is_int((long long)h.clamped, 1, "corrected: only the value itself is clamped");
	hdrhist_release(&h);
}

static void
test_merge(void)
{
	static const double ps[] = { 50, 90, 99, 99.9, 99.99, 100 };
	struct hdrhist a, b, u, other;
	uint64_t s = 42;
	size_t i;
	int round, same = 1, pct = 1;

	for (round = 0; round < 5; round++) {
		int na = (int)(rnd(&s) % 20000), nb = (int)(rnd(&s) % 20000);

		new_hist(&a);
		new_hist(&b);
		new_hist(&u);
		while (na-- > 0) {
			int64_t v = rnd_value(&s);

			hdrhist_record(&a, v);
			hdrhist_record(&u, v);
		}
		while (nb-- > 0) {
			int64_t v = rnd_value(&s) * (round + 1);

			hdrhist_record(&b, v);
			hdrhist_record(&u, v);
		}
		if (hdrhist_merge(&a, &b) != 0)
			same = 0;
		if (!same_hist(&a, &u))
			same = 0;
		for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
			if (hdrhist_percentile(&a, ps[i]) != hdrhist_percentile(&u, ps[i]))
				pct = 0;
		if (hdrhist_mean(&a) != hdrhist_mean(&u))
			pct = 0;
		hdrhist_release(&a);
		hdrhist_release(&b);
		hdrhist_release(&u);
	}
	ok(same, "merge: equals the histogram of the union (5 random rounds)");
	ok(pct, "merge: same percentiles 50..100 and mean as the union");

	new_hist(&a);
	hdrhist_record(&a, 5);
	new_hist(&b);
	hdrhist_merge(&b, &a);
	is_int(b.min, 5, "merge into empty: min");
	is_int(b.max, 5, "merge into empty: max");
	hdrhist_init(&other, LOW, HIGH * 2, DIGITS);
	is_int(hdrhist_merge(&a, &other), -1, "merge: other highest");
	hdrhist_release(&other);
	hdrhist_init(&other, 2, HIGH, DIGITS);
	is_int(hdrhist_merge(&a, &other), -1, "merge: other lowest");
	hdrhist_release(&other);
	hdrhist_init(&other, LOW, HIGH, 2);
	is_int(hdrhist_merge(&a, &other), -1, "merge: other digits");
	hdrhist_release(&other);
	is_int((long long)a.total, 1, "merge: a failed merge changes nothing");
	hdrhist_release(&a);
	hdrhist_release(&b);
}

static int
json_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '+' || *s == '/' || *s == '=' ||
		      *s == ':'))
			return 0;
	return 1;
}

/* Encodes h, checks the text's characters, decodes it and compares. */
static void
round_trip(const struct hdrhist *h, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	struct hdrhist back;
	char msg[200] = "";
	int ret;

	strbuf_addstr(&sb, "keep");
	hdrhist_encode(h, &sb);
	ok(strncmp(sb.buf, "keepHDR1:", 9) == 0, "%s: appended after existing text", name);
	ok(json_safe(sb.buf + 4), "%s: JSON-safe characters only", name);
	ret = hdrhist_decode(sb.buf + 4, sb.len - 4, &back, msg, sizeof(msg));
	is_int(ret, 0, name);
	if (ret != 0)
		tap_diag("%s", msg);
	ok(ret == 0 && same_hist(h, &back), "%s: decodes to an equal histogram", name);
	hdrhist_release(&back);
	strbuf_release(&sb);
}

static void
test_round_trip(void)
{
	struct hdrhist h;
	struct strbuf sb = STRBUF_INIT;
	uint64_t s = 7;
	int i;

	new_hist(&h);
	round_trip(&h, "round trip: empty");
	hdrhist_record(&h, 1234);
	round_trip(&h, "round trip: one value");
	for (i = 0; i < 100000; i++)
		hdrhist_record(&h, rnd_value(&s));
	hdrhist_record_n(&h, HIGH * 3, 17);
	hdrhist_record_n(&h, 777, UINT64_C(1) << 40);
	round_trip(&h, "round trip: 1e5 random values, clamped and large counts");
	hdrhist_encode(&h, &sb);
	tap_diag("1e5 random values encode to %zu characters", sb.len);
	strbuf_release(&sb);
	hdrhist_release(&h);

	if (hdrhist_init(&h, 1000, INT64_C(1) << 40, 5) != 0)
		abort();
	hdrhist_record(&h, INT64_C(1) << 39);
	hdrhist_record(&h, 1);
	round_trip(&h, "round trip: other bounds and digits");
	hdrhist_release(&h);
}

static void
b64(struct strbuf *out, const unsigned char *d, size_t n)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)d[i + 1] << 8;
		if (i + 2 < n)
			v |= d[i + 2];
		strbuf_addch(out, al[v >> 18]);
		strbuf_addch(out, al[(v >> 12) & 63]);
		strbuf_addch(out, i + 1 < n ? al[(v >> 6) & 63] : '=');
		strbuf_addch(out, i + 2 < n ? al[v & 63] : '=');
	}
}

static void
varint(struct strbuf *sb, uint64_t v)
{
	while (v >= 0x80) {
		strbuf_addch(sb, (int)(v | 0x80) & 0xff);
		v >>= 7;
	}
	strbuf_addch(sb, (int)v);
}

/* Decodes "HDR1:" + base64(zstd(raw)): the payload as the encoder would wrap it. */
static int
decode_raw(const struct strbuf *raw, char *msg, size_t size)
{
	struct strbuf text = STRBUF_INIT;
	struct hdrhist h;
	size_t bound = ZSTD_compressBound(raw->len), zlen;
	void *z = malloc(bound);
	int ret;

	zlen = ZSTD_compress(z, bound, raw->buf, raw->len, 1);
	strbuf_addstr(&text, "HDR1:");
	b64(&text, z, zlen);
	ret = hdrhist_decode(text.buf, text.len, &h, msg, size);
	hdrhist_release(&h);
	free(z);
	strbuf_release(&text);
	return ret;
}

/* A payload header: version 1, then the seven fields. */
static void
header(struct strbuf *sb, uint64_t lo, uint64_t hi, uint64_t dig, uint64_t total,
       uint64_t min, uint64_t max, uint64_t clamped)
{
	strbuf_reset(sb);
	strbuf_addch(sb, 1);
	varint(sb, lo);
	varint(sb, hi);
	varint(sb, dig);
	varint(sb, total);
	varint(sb, min);
	varint(sb, max);
	varint(sb, clamped);
}

static void
expect_bad(const struct strbuf *raw, const char *name)
{
	char msg[200] = "";

	ok(decode_raw(raw, msg, sizeof(msg)) == -1 && msg[0] != '\0', "bad payload: %s (%s)",
	   name, msg);
}

static void
test_bad_payloads(void)
{
	struct strbuf raw = STRBUF_INIT;
	char msg[200] = "";
	int i;

	/* A good one first, so the helpers are known to work: 5 at 5 (index 5), twice. */
	header(&raw, 1, 1000, 2, 2, 5, 5, 0);
	varint(&raw, 2 * 5 - 1);
	varint(&raw, 2 * 2);
	is_int(decode_raw(&raw, msg, sizeof(msg)), 0, "hand-made payload decodes");
	if (msg[0] != '\0')
		tap_diag("%s", msg);

	strbuf_reset(&raw);
	expect_bad(&raw, "empty");
	strbuf_addch(&raw, 2);
	expect_bad(&raw, "version 2");
	header(&raw, 1, 1000, 2, 0, INT64_MAX, 0, 0);
	strbuf_setlen(&raw, raw.len - 1);
	expect_bad(&raw, "header cut off");
	header(&raw, 0, 1000, 2, 0, INT64_MAX, 0, 0);
	expect_bad(&raw, "lowest 0");
	header(&raw, 600, 1000, 2, 0, INT64_MAX, 0, 0);
	expect_bad(&raw, "lowest above highest / 2");
	header(&raw, 1, (UINT64_C(1) << 62) + 1, 2, 0, INT64_MAX, 0, 0);
	expect_bad(&raw, "highest past 2^62");
	header(&raw, 1, UINT64_MAX, 2, 0, INT64_MAX, 0, 0);
	expect_bad(&raw, "highest 2^64 - 1");
	header(&raw, 1, 1000, 6, 0, INT64_MAX, 0, 0);
	expect_bad(&raw, "6 digits");
	header(&raw, 1, 1000, 0, 0, INT64_MAX, 0, 0);
	expect_bad(&raw, "0 digits");
	header(&raw, 1, 1000, 2, 0, 5, 0, 0);
	expect_bad(&raw, "empty with a min");
	header(&raw, 1, 1000, 2, 3, 5, 5, 0);
	varint(&raw, 2 * 5 - 1);
	varint(&raw, 2 * 2);
	expect_bad(&raw, "total 3, counts 2");
	header(&raw, 1, 1000, 2, 2, 4, 5, 0);
	varint(&raw, 2 * 5 - 1);
	varint(&raw, 2 * 2);
	expect_bad(&raw, "min outside the first counted bucket");
	header(&raw, 1, 1000, 2, 2, 5, 900, 0);
	varint(&raw, 2 * 5 - 1);
	varint(&raw, 2 * 2);
	expect_bad(&raw, "max outside the last counted bucket");
	header(&raw, 1, 1000, 2, 2, 5, 5, 1);
	varint(&raw, 2 * 5 - 1);
	varint(&raw, 2 * 2);
	expect_bad(&raw, "clamped but nothing at highest");
	/* 1..1000 at 2 digits: 256 sub-buckets, 3 buckets, 4 * 128 counts. */
	header(&raw, 1, 1000, 2, 0, INT64_MAX, 0, 0);
	varint(&raw, 2 * 600 - 1);
	expect_bad(&raw, "run of zeros past the end");
	header(&raw, 1, 1000, 2, 0, INT64_MAX, 0, 0);
	varint(&raw, UINT64_MAX);
	expect_bad(&raw, "run of 2^63 zeros");
	header(&raw, 1, 1000, 2, 1, 1000, 1000, 0);
	varint(&raw, 2 * 512 - 1);
	varint(&raw, 2);
	expect_bad(&raw, "count past the last bucket");
	header(&raw, 1, 1000, 2, 0, INT64_MAX, 0, 0);
	strbuf_addch(&raw, 0x80);
	expect_bad(&raw, "count cut off");
	header(&raw, 1, 1000, 2, 0, INT64_MAX, 0, 0);
	for (i = 0; i < 11; i++)
		strbuf_addch(&raw, 0xff);
	strbuf_addch(&raw, 0);
	expect_bad(&raw, "varint over 64 bits");
	header(&raw, 1, 1000, 2, 2, 5, 5, 0);
	for (i = 0; i < 3; i++)
		varint(&raw, UINT64_MAX - 1);
	expect_bad(&raw, "counts overflow");
	header(&raw, 1, 1000, 2, 0, INT64_MAX, 0, 0);
	for (i = 0; i < 100000; i++)
		strbuf_addch(&raw, 0);
	expect_bad(&raw, "payload far longer than its buckets allow");
	strbuf_release(&raw);
}

/* Flips, cuts and garbles a good encoding; every result is an error or consistent. */
static void
test_bad_text(void)
{
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=:";
	static const char *const fixed[] = {
		"", "HDR1", "HDR1:", "HDR2:KLUv", "hdr1:KLUv", "HDR1:KLU", "HDR1:!!!!",
		"HDR1:KLUv/Q==", "HDR1:====", "HDR1:A===", "HDR1:AB==", "HDR1:AAAAAAAA",
		"HDR1:KLUv/SAA", "HDR1:QUJD\n",
	};
	struct strbuf sb = STRBUF_INIT;
	struct hdrhist h, back;
	struct hdrhist_iter it;
	uint64_t s = 99, sum;
	char msg[200], *text;
	size_t i, len, cut_ok = 1;
	int k, rejected = 0, accepted = 0, quiet = 1, consistent = 1;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		msg[0] = '\0';
		ok(hdrhist_decode(fixed[i], strlen(fixed[i]), &back, msg, sizeof(msg)) == -1 &&
		   msg[0] != '\0', "garbage %zu rejected: %s", i, msg);
		hdrhist_release(&back);
	}
	ok(hdrhist_decode("HDR1:", 5, &back, NULL, 0) == -1, "no message buffer: still -1");

	new_hist(&h);
	for (k = 0; k < 2000; k++)
		hdrhist_record(&h, rnd_value(&s));
	hdrhist_encode(&h, &sb);
	for (len = 0; len < sb.len; len++) {
		msg[0] = '\0';
		if (hdrhist_decode(sb.buf, len, &back, msg, sizeof(msg)) != -1 || msg[0] == '\0')
			cut_ok = 0;
		hdrhist_release(&back);
	}
	ok(cut_ok, "every one of %zu truncations rejected with a message", sb.len);

	text = malloc(sb.len + 1);
	for (k = 0; k < 20000; k++) {
		int flips = 1 + (int)(rnd(&s) % 4), f;

		memcpy(text, sb.buf, sb.len + 1);
		len = sb.len;
		for (f = 0; f < flips; f++) {
			size_t at = (size_t)(rnd(&s) % len);

			switch (rnd(&s) % 3) {
			case 0:
				text[at] = al[rnd(&s) % (sizeof(al) - 1)];
				break;
			case 1:
				text[at] = (char)(rnd(&s) & 0xff);
				break;
			default:
				len = at + 1;
				break;
			}
		}
		msg[0] = '\0';
		if (hdrhist_decode(text, len, &back, msg, sizeof(msg)) == 0) {
			accepted++;
			sum = 0;
			hdrhist_iter_init(&it, &back);
			while (hdrhist_iter_next(&it))
				sum += it.count;
			if (sum != back.total)
				consistent = 0;
		} else {
			rejected++;
			if (msg[0] == '\0')
				quiet = 0;
		}
		hdrhist_release(&back);
	}
	ok(quiet, "mutations: %d rejected, each with a message", rejected);
	ok(consistent, "mutations: the %d accepted are consistent", accepted);

	for (k = 0; k < 2000; k++) {
		len = (size_t)(rnd(&s) % 64);
		memcpy(text, "HDR1:", 5);
		for (i = 5; i < len && i < sb.len; i++)
			text[i] = al[rnd(&s) % (sizeof(al) - 1)];
		if (hdrhist_decode(text, i < 5 ? 5 : i, &back, msg, sizeof(msg)) == 0)
			accepted++;
		hdrhist_release(&back);
	}
	ok(1, "random base64 garbage: no crash");
	free(text);
	strbuf_release(&sb);
	hdrhist_release(&h);
}

static void
test_iter(void)
{
	struct hdrhist h;
	struct hdrhist_iter it;
	uint64_t s = 3, sum = 0;
	int64_t prev = -1;
	int i, increasing = 1, nonzero = 1, visits = 0, want_visits = 0;

	new_hist(&h);
	hdrhist_iter_init(&it, &h);
	ok(!hdrhist_iter_next(&it), "iter: empty histogram has no buckets");
	for (i = 0; i < 50000; i++)
		hdrhist_record(&h, rnd_value(&s));
	for (i = 0; i < h.counts_len; i++)
		want_visits += h.counts[i] != 0;
	hdrhist_iter_init(&it, &h);
	while (hdrhist_iter_next(&it)) {
		if (it.value <= prev)
			increasing = 0;
		if (it.count == 0 || it.count != h.counts[it.index])
			nonzero = 0;
		prev = it.value;
		sum += it.count;
		visits++;
	}
	ok(increasing, "iter: values strictly increase");
	ok(nonzero, "iter: only nonzero buckets, with their counts");
	is_int(visits, want_visits, "iter: every nonzero bucket visited");
	is_int((long long)sum, (long long)h.total, "iter: counts sum to total");
	ok(!hdrhist_iter_next(&it), "iter: stays at the end");
	hdrhist_release(&h);
}

/* Not asserted: the record cost, for the report and the load generator's budget. */
static void
test_speed(void)
{
	enum { N = 10000000, VALUES = 4096 };
	struct hdrhist h;
	struct timespec t0, t1;
	int64_t *values = malloc(VALUES * sizeof(*values));
	uint64_t s = 5;
	double ns;
	int i;

	for (i = 0; i < VALUES; i++)
		values[i] = rnd_value(&s);
	new_hist(&h);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < N; i++)
		hdrhist_record(&h, values[i & (VALUES - 1)]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / N;
	tap_diag("hdrhist_record: %.2f ns per value (%d random values)", ns, N);
	is_int((long long)h.total, N, "speed loop recorded everything");
	hdrhist_release(&h);
	free(values);
}

int
main(void)
{
	test_init();
	test_precision();
	test_percentiles();
	test_mean_stddev();
	test_clamp_and_record_n();
	test_corrected();
	test_merge();
	test_round_trip();
	test_bad_payloads();
	test_bad_text();
	test_iter();
	test_speed();
	return tap_done();
}
