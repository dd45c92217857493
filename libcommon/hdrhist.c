/* hdrhist.c: HDR histograms (HdrHistogram's bucket layout), their statistics and their compact text form. */
#include "libcommon/hdrhist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

/*
 * The largest highest value: with it every bucket boundary, and the
 * highest equivalent value of the top bucket, fits in an int64_t.
 */
#define HDRHIST_MAX_HIGHEST (INT64_C(1) << 62)

#define HDRHIST_PREFIX "HDR1:"
#define HDRHIST_PREFIX_LEN 5
/* The first byte of the compressed payload: the format's version. */
#define HDRHIST_VERSION 1
/* A version byte and seven varints of at most ten bytes each. */
#define HDRHIST_HEADER_MAX (1 + 7 * 10)
/* The most a count (a zig-zag varint) or a run of zeros takes. */
#define HDRHIST_VARINT_MAX 10
/*
 * Bounds any payload before its header is read: the largest histogram
 * init accepts (1..2^62 at 5 digits) has about 6.2 million counts.
 */
#define HDRHIST_RAW_MAX (HDRHIST_HEADER_MAX + (size_t)HDRHIST_VARINT_MAX * (7u << 20))
/*
 * Caps the window a decoder may allocate while peeking at the header;
 * encode's level-3 frames use at most 2^21.
 */
#define HDRHIST_WINDOW_LOG_MAX 22
#define HDRHIST_ZSTD_LEVEL 3

int
hdrhist_init(struct hdrhist *h, int64_t lowest, int64_t highest, int sig_digits)
{
	int64_t exact = 2;
	uint64_t untrackable;
	int i, count_mag = 0;

	memset(h, 0, sizeof(*h));
	if (lowest < 1 || highest > HDRHIST_MAX_HIGHEST || lowest > highest / 2 ||
	    sig_digits < 1 || sig_digits > 5)
		return -1;
	/* Values below 2 * 10^digits get sub-buckets of width one unit. */
	for (i = 0; i < sig_digits; i++)
		exact *= 10;
	while ((INT64_C(1) << count_mag) < exact)
		count_mag++;
	h->sub_bucket_half_count_magnitude = count_mag - 1;
	h->unit_magnitude = 63 - __builtin_clzll((unsigned long long)lowest);
	/* Keeps sub_bucket_mask and the first bucket's top inside 2^62. */
	if (h->unit_magnitude + h->sub_bucket_half_count_magnitude > 61)
		return -1;
	h->lowest = lowest;
	h->highest = highest;
	h->sig_digits = sig_digits;
	h->sub_bucket_count = INT32_C(1) << count_mag;
	h->sub_bucket_half_count = h->sub_bucket_count / 2;
	h->sub_bucket_mask = ((int64_t)h->sub_bucket_count - 1) << h->unit_magnitude;
	untrackable = (uint64_t)h->sub_bucket_count << h->unit_magnitude;
	h->bucket_count = 1;
	while (untrackable <= (uint64_t)highest) {
		untrackable <<= 1;
		h->bucket_count++;
	}
	h->counts_len = (h->bucket_count + 1) * h->sub_bucket_half_count;
	h->counts = xcalloc((size_t)h->counts_len, sizeof(*h->counts));
	h->min = INT64_MAX;
	return 0;
}

void
hdrhist_release(struct hdrhist *h)
{
	free(h->counts);
	memset(h, 0, sizeof(*h));
	h->min = INT64_MAX;
}

void
hdrhist_reset(struct hdrhist *h)
{
	if (h->counts != NULL)
		memset(h->counts, 0, (size_t)h->counts_len * sizeof(*h->counts));
	h->total = 0;
	h->min = INT64_MAX;
	h->max = 0;
	h->clamped = 0;
}

/*
 * The counts index of a value in lowest..highest: the bucket is found
 * from the value's top bit (values below the first bucket's top all
 * land in bucket 0, which the mask ensures), the sub-bucket by a shift.
 */
static inline int32_t
index_for(const struct hdrhist *h, int64_t value)
{
	int pow2ceil = 64 - __builtin_clzll((unsigned long long)(value | h->sub_bucket_mask));
	int32_t bucket = pow2ceil - h->unit_magnitude - (h->sub_bucket_half_count_magnitude + 1);
	int32_t sub = (int32_t)(value >> (bucket + h->unit_magnitude));

	return ((bucket + 1) << h->sub_bucket_half_count_magnitude) + sub - h->sub_bucket_half_count;
}

/* The bucket (power-of-two unit) of a counts index. */
static int32_t
index_bucket(const struct hdrhist *h, int32_t index)
{
	int32_t bucket = (index >> h->sub_bucket_half_count_magnitude) - 1;

	return bucket < 0 ? 0 : bucket;
}

/* The lowest value counted at index. */
static int64_t
index_lowest(const struct hdrhist *h, int32_t index)
{
	int32_t bucket = (index >> h->sub_bucket_half_count_magnitude) - 1;
	int32_t sub = (index & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;

	if (bucket < 0) {
		sub -= h->sub_bucket_half_count;
		bucket = 0;
	}
	return (int64_t)sub << (bucket + h->unit_magnitude);
}

/* How many values share index's count. */
static int64_t
index_width(const struct hdrhist *h, int32_t index)
{
	return INT64_C(1) << (index_bucket(h, index) + h->unit_magnitude);
}

static int64_t
index_highest(const struct hdrhist *h, int32_t index)
{
	return index_lowest(h, index) + (index_width(h, index) - 1);
}

/* The value statistics take for index, kept inside what was recorded. */
static int64_t
index_middle(const struct hdrhist *h, int32_t index)
{
	int64_t v = index_lowest(h, index) + (index_width(h, index) >> 1);

	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

/*
 * The load generator's hot path: clamps (compiled to conditional moves),
 * then a count-leading-zeros, shifts and adds; no division, no loop.
 */
void
hdrhist_record_n(struct hdrhist *h, int64_t value, uint64_t count)
{
	uint64_t over = (uint64_t)(value > h->highest);
	int64_t v = value > h->highest ? h->highest : value;

	if (count == 0)
		return;
	v = v < h->lowest ? h->lowest : v;
	h->counts[index_for(h, v)] += count;
	h->total += count;
	h->clamped += -over & count;
	h->min = v < h->min ? v : h->min;
	h->max = v > h->max ? v : h->max;
}

void
hdrhist_record_corrected(struct hdrhist *h, int64_t value, int64_t interval)
{
	int64_t missing;

	hdrhist_record_n(h, value, 1);
	if (interval <= 0 || value <= interval)
		return;
	/* From the clamped value, so a wild value cannot loop for ever. */
	if (value > h->highest)
		value = h->highest;
	for (missing = value - interval; missing >= interval; missing -= interval)
		hdrhist_record_n(h, missing, 1);
}

int64_t
hdrhist_percentile(const struct hdrhist *h, double p)
{
	uint64_t want, seen = 0;
	double rank;
	int32_t i;

	if (h->total == 0)
		return 0;
	if (!(p > 0.0))
		return h->min;
	if (p >= 100.0)
		return h->max;
	/* HdrHistogram's rank: the nearest whole count, at least one. */
	rank = p / 100.0 * (double)h->total + 0.5;
	want = rank >= (double)h->total ? h->total : (uint64_t)rank;
	if (want < 1)
		want = 1;
	for (i = 0; i < h->counts_len; i++) {
		seen += h->counts[i];
		if (seen >= want) {
			int64_t v = index_highest(h, i);

			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}

double
hdrhist_mean(const struct hdrhist *h)
{
	double sum = 0.0, mean;
	int32_t i;

	if (h->total == 0)
		return 0.0;
	for (i = 0; i < h->counts_len; i++)
		if (h->counts[i] != 0)
			sum += (double)h->counts[i] * (double)index_middle(h, i);
	mean = sum / (double)h->total;
	/* Rounding of huge sums must not carry it outside what was recorded. */
	if (mean > (double)h->max)
		mean = (double)h->max;
	if (mean < (double)h->min)
		mean = (double)h->min;
	return mean;
}

/*
 * Square root by Newton's method, so libcommon's users need not link
 * libm: the first guess halves the exponent (within 6 %), and each step
 * doubles the correct digits.
 */
static double
newton_sqrt(double x)
{
	uint64_t bits;
	double r, prev;
	int i;

	if (!(x > 0.0))
		return 0.0;
	memcpy(&bits, &x, sizeof(bits));
	bits = (bits >> 1) + (UINT64_C(1023) << 51);
	memcpy(&r, &bits, sizeof(r));
	for (i = 0; i < 8; i++) {
		prev = r;
		r = 0.5 * (r + x / r);
		if (r == prev)
			break;
	}
	return r;
}

double
hdrhist_stddev(const struct hdrhist *h)
{
	double mean = hdrhist_mean(h), sum = 0.0, dev;
	int32_t i;

	if (h->total == 0)
		return 0.0;
	for (i = 0; i < h->counts_len; i++) {
		if (h->counts[i] == 0)
			continue;
		dev = (double)index_middle(h, i) - mean;
		sum += dev * dev * (double)h->counts[i];
	}
	return newton_sqrt(sum / (double)h->total);
}

int
hdrhist_merge(struct hdrhist *dst, const struct hdrhist *src)
{
	int32_t i;

	if (dst->lowest != src->lowest || dst->highest != src->highest ||
	    dst->sig_digits != src->sig_digits)
		return -1;
	for (i = 0; i < dst->counts_len; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->clamped += src->clamped;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

void
hdrhist_iter_init(struct hdrhist_iter *it, const struct hdrhist *h)
{
	it->h = h;
	it->index = -1;
	it->value = 0;
	it->count = 0;
}

bool
hdrhist_iter_next(struct hdrhist_iter *it)
{
	const struct hdrhist *h = it->h;

	while (++it->index < h->counts_len) {
		if (h->counts[it->index] != 0) {
			it->count = h->counts[it->index];
			it->value = index_highest(h, it->index);
			return true;
		}
	}
	it->index = h->counts_len;
	it->count = 0;
	return false;
}

/* ---------------------------------------------------------------- encoding */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
put_varint(struct strbuf *sb, uint64_t v)
{
	unsigned char buf[HDRHIST_VARINT_MAX];
	size_t n = 0;

	while (v >= 0x80) {
		buf[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	buf[n++] = (unsigned char)v;
	strbuf_add(sb, buf, n);
}

/* Reads one LEB128 varint of at most 64 bits; -1 when cut off or too long. */
static int
get_varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
	uint64_t v = 0;
	int shift;

	for (shift = 0; shift < 64; shift += 7) {
		unsigned b;

		if (*p == end)
			return -1;
		b = *(*p)++;
		if (shift == 63 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static void
base64_add(struct strbuf *out, const unsigned char *data, size_t len)
{
	size_t i;
	char *o;

	strbuf_grow(out, (len + 2) / 3 * 4);
	o = out->buf + out->len;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];

		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = b64_alphabet[(v >> 6) & 63];
		*o++ = b64_alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)data[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		*o++ = b64_alphabet[v >> 18];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	/* strbuf_setlen only shortens; the bytes were reserved by the grow. */
	*o = '\0';
	out->len = (size_t)(o - out->buf);
}

void
hdrhist_encode(const struct hdrhist *h, struct strbuf *out)
{
	struct strbuf raw = STRBUF_INIT;
	int32_t i, end = h->counts_len;
	ZSTD_CCtx *cctx;
	size_t bound, zlen;
	void *z;

	strbuf_addch(&raw, HDRHIST_VERSION);
	put_varint(&raw, (uint64_t)h->lowest);
	put_varint(&raw, (uint64_t)h->highest);
	put_varint(&raw, (uint64_t)h->sig_digits);
	put_varint(&raw, h->total);
	put_varint(&raw, (uint64_t)h->min);
	put_varint(&raw, (uint64_t)h->max);
	put_varint(&raw, h->clamped);
	/* Trailing zeros are implied; runs of zeros are negative lengths. */
	while (end > 0 && h->counts[end - 1] == 0)
		end--;
	for (i = 0; i < end; ) {
		int32_t run = 0;

		while (i + run < end && h->counts[i + run] == 0)
			run++;
		if (run >= 2) {
			put_varint(&raw, 2 * (uint64_t)run - 1);
			i += run;
		} else {
			/* Zig-zag of a count: no count reaches 2^63. */
			put_varint(&raw, h->counts[i] << 1);
			i++;
		}
	}
	bound = ZSTD_compressBound(raw.len);
	z = xmalloc(bound);
	/* A checksum, so a damaged text is refused rather than misread. */
	cctx = ZSTD_createCCtx();
	zlen = cctx == NULL ? 0 : ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	if (!ZSTD_isError(zlen) && cctx != NULL)
		zlen = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, HDRHIST_ZSTD_LEVEL);
	if (!ZSTD_isError(zlen) && cctx != NULL)
		zlen = ZSTD_compress2(cctx, z, bound, raw.buf, raw.len);
	ZSTD_freeCCtx(cctx);
	/* With a big enough buffer only a failed allocation can fail. */
	if (cctx == NULL || ZSTD_isError(zlen)) {
		fprintf(stderr, "hdrhist_encode: %s\n",
			cctx == NULL ? "out of memory" : ZSTD_getErrorName(zlen));
		abort();
	}
	strbuf_addstr(out, HDRHIST_PREFIX);
	base64_add(out, z, zlen);
	free(z);
	strbuf_release(&raw);
}

/* ---------------------------------------------------------------- decoding */

static int
fail(char *msg, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *msg, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (size > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, size, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict base64: whole quads, padding only at the end, unused bits zero
 * (so each payload has one spelling). out holds len / 4 * 3 bytes.
 */
static int
base64_decode(const char *text, size_t len, unsigned char *out, size_t *outlen,
	      char *msg, size_t size)
{
	size_t i, n = 0;

	if (len % 4 != 0)
		return fail(msg, size, "base64 length %zu is not a multiple of 4", len);
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		uint32_t bits = 0;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)text[i + k];

			if (c == '=' && i + 4 == len && k >= 2 &&
			    (k == 3 || text[i + 3] == '=')) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = b64_value(c);
			if (v[k] < 0)
				return fail(msg, size, "bad base64 character at offset %zu",
					    i + k + HDRHIST_PREFIX_LEN);
		}
		for (k = 0; k < 4; k++)
			bits = bits << 6 | (uint32_t)v[k];
		if ((pad == 1 && (bits & 0xff) != 0) || (pad == 2 && (bits & 0xffff) != 0))
			return fail(msg, size, "non-canonical base64 padding at offset %zu",
				    i + HDRHIST_PREFIX_LEN);
		out[n++] = (unsigned char)(bits >> 16);
		if (pad < 2)
			out[n++] = (unsigned char)(bits >> 8);
		if (pad < 1)
			out[n++] = (unsigned char)bits;
	}
	*outlen = n;
	return 0;
}

struct hdr_header {
	uint64_t lowest, highest, digits, total, min, max, clamped;
	size_t len;             /* bytes the header takes */
};

static int
parse_header(const unsigned char *buf, size_t len, struct hdr_header *hd, char *msg,
	     size_t size)
{
	const unsigned char *p = buf, *end = buf + len;
	uint64_t *fields[] = { &hd->lowest, &hd->highest, &hd->digits, &hd->total,
			       &hd->min, &hd->max, &hd->clamped };
	static const char *const names[] = { "lowest", "highest", "digits", "total",
					     "min", "max", "clamped" };
	size_t i;

	if (len < 1)
		return fail(msg, size, "empty payload");
	if (*p++ != HDRHIST_VERSION)
		return fail(msg, size, "unknown histogram version %u", buf[0]);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (get_varint(&p, end, fields[i]) < 0)
			return fail(msg, size, "header cut off or malformed at its %s", names[i]);
	hd->len = (size_t)(p - buf);
	if (hd->lowest < 1 || hd->highest > (uint64_t)HDRHIST_MAX_HIGHEST ||
	    hd->lowest > hd->highest / 2)
		return fail(msg, size, "impossible bounds %llu..%llu",
			    (unsigned long long)hd->lowest, (unsigned long long)hd->highest);
	if (hd->digits < 1 || hd->digits > 5)
		return fail(msg, size, "significant digits %llu not in 1..5",
			    (unsigned long long)hd->digits);
	return 0;
}

/*
 * Decompresses the payload's first bytes only, so its bounds are known
 * before any allocation sized by the frame's claims.
 */
static int
peek_header(ZSTD_DCtx *dctx, const void *z, size_t zlen, unsigned char *buf, size_t want,
	    size_t *got, char *msg, size_t size)
{
	ZSTD_inBuffer in = { z, zlen, 0 };
	ZSTD_outBuffer out = { buf, want, 0 };
	size_t r;

	while (out.pos < out.size) {
		size_t in_before = in.pos, out_before = out.pos;

		r = ZSTD_decompressStream(dctx, &out, &in);
		if (ZSTD_isError(r))
			return fail(msg, size, "bad compressed data: %s", ZSTD_getErrorName(r));
		if (r == 0 || (in.pos == in_before && out.pos == out_before))
			break;
	}
	*got = out.pos;
	return 0;
}

/* Reads the counts after the header, checking them against it. */
static int
parse_counts(struct hdrhist *h, const struct hdr_header *hd, const unsigned char *p,
	     const unsigned char *end, char *msg, size_t size)
{
	uint64_t sum = 0, z, run;
	int32_t idx = 0, first = -1, last = -1, top;

	while (p < end) {
		if (get_varint(&p, end, &z) < 0)
			return fail(msg, size, "count cut off or malformed at bucket %ld",
				    (long)idx);
		if (z & 1) {
			run = (z >> 1) + 1;
			if (run > (uint64_t)(h->counts_len - idx))
				return fail(msg, size, "run of %llu zeros at bucket %ld passes the last bucket %ld",
					    (unsigned long long)run, (long)idx,
					    (long)h->counts_len - 1);
			idx += (int32_t)run;
			continue;
		}
		if (idx >= h->counts_len)
			return fail(msg, size, "more counts than the %ld buckets",
				    (long)h->counts_len);
		z >>= 1;
		if (z != 0) {
			if (sum + z < sum)
				return fail(msg, size, "counts overflow");
			sum += z;
			if (first < 0)
				first = idx;
			last = idx;
		}
		h->counts[idx++] = z;
	}
	if (sum != hd->total)
		return fail(msg, size, "counts add up to %llu, the header says %llu",
			    (unsigned long long)sum, (unsigned long long)hd->total);
	if (sum == 0) {
		if (hd->min != (uint64_t)INT64_MAX || hd->max != 0 || hd->clamped != 0)
			return fail(msg, size, "empty histogram with a min, max or clamped count");
		return 0;
	}
	if (hd->min < hd->lowest || hd->min > hd->max || hd->max > hd->highest)
		return fail(msg, size, "min %llu and max %llu not within %llu..%llu",
			    (unsigned long long)hd->min, (unsigned long long)hd->max,
			    (unsigned long long)hd->lowest, (unsigned long long)hd->highest);
	if (index_for(h, (int64_t)hd->min) != first || index_for(h, (int64_t)hd->max) != last)
		return fail(msg, size, "min %llu or max %llu not in the first or last bucket counted",
			    (unsigned long long)hd->min, (unsigned long long)hd->max);
	top = index_for(h, h->highest);
	if (hd->clamped > h->counts[top] || (hd->clamped > 0 && hd->max != hd->highest))
		return fail(msg, size, "%llu clamped values but %llu counted at the highest value",
			    (unsigned long long)hd->clamped,
			    (unsigned long long)h->counts[top]);
	return 0;
}

int
hdrhist_decode(const char *text, size_t len, struct hdrhist *h, char *msg, size_t size)
{
	unsigned char *z = NULL, *raw = NULL, head[HDRHIST_HEADER_MAX];
	size_t zlen = 0, headlen = 0, bound;
	unsigned long long content;
	struct hdr_header hd;
	ZSTD_DCtx *dctx = NULL;
	int ret = -1;

	memset(h, 0, sizeof(*h));
	h->min = INT64_MAX;
	if (size > 0)
		msg[0] = '\0';
	if (len < HDRHIST_PREFIX_LEN || memcmp(text, HDRHIST_PREFIX, HDRHIST_PREFIX_LEN) != 0)
		return fail(msg, size, "not an HDR histogram (no \"%s\" prefix)", HDRHIST_PREFIX);
	text += HDRHIST_PREFIX_LEN;
	len -= HDRHIST_PREFIX_LEN;
	z = xmalloc(len / 4 * 3 + 1);
	if (base64_decode(text, len, z, &zlen, msg, size) < 0)
		goto out;
	content = ZSTD_getFrameContentSize(z, zlen);
	if (content == ZSTD_CONTENTSIZE_ERROR) {
		fail(msg, size, "not zstd-compressed data");
		goto out;
	}
	if (content == ZSTD_CONTENTSIZE_UNKNOWN || content > HDRHIST_RAW_MAX) {
		fail(msg, size, "compressed payload of unknown or implausible size");
		goto out;
	}
	dctx = ZSTD_createDCtx();
	if (dctx == NULL) {
		fail(msg, size, "out of memory");
		goto out;
	}
	if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax,
						HDRHIST_WINDOW_LOG_MAX))) {
		fail(msg, size, "cannot set up zstd");
		goto out;
	}
	if (peek_header(dctx, z, zlen, head,
			content < sizeof(head) ? (size_t)content : sizeof(head),
			&headlen, msg, size) < 0 ||
	    parse_header(head, headlen, &hd, msg, size) < 0)
		goto out;
	if (hdrhist_init(h, (int64_t)hd.lowest, (int64_t)hd.highest, (int)hd.digits) < 0) {
		fail(msg, size, "impossible bounds %llu..%llu at %llu digits",
		     (unsigned long long)hd.lowest, (unsigned long long)hd.highest,
		     (unsigned long long)hd.digits);
		goto out;
	}
	bound = hd.len + (size_t)HDRHIST_VARINT_MAX * (size_t)h->counts_len;
	if (content > bound) {
		fail(msg, size, "payload of %llu bytes too long for %ld buckets", content,
		     (long)h->counts_len);
		goto out;
	}
	raw = xmalloc((size_t)content + 1);
	ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
	bound = ZSTD_decompressDCtx(dctx, raw, (size_t)content, z, zlen);
	if (ZSTD_isError(bound)) {
		fail(msg, size, "bad compressed data: %s", ZSTD_getErrorName(bound));
		goto out;
	}
	if (bound != content) {
		fail(msg, size, "payload of %zu bytes, its frame says %llu", bound, content);
		goto out;
	}
	if (parse_counts(h, &hd, raw + hd.len, raw + content, msg, size) < 0)
		goto out;
	h->total = hd.total;
	h->min = (int64_t)hd.min;
	h->max = (int64_t)hd.max;
	h->clamped = hd.clamped;
	ret = 0;
out:
	if (ret < 0)
		hdrhist_release(h);
	ZSTD_freeDCtx(dctx);
	free(raw);
	free(z);
	return ret;
}
