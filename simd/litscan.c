/* litscan.c: a literal-set prefilter, AVX2 with a scalar fallback that agrees byte for byte. */
#include "simd/litscan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/xalloc.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define LITSCAN_HAVE_AVX2 1
#include <immintrin.h>
#endif

/*
 * Three filters find candidate positions: for one or two needles, AVX2
 * compares each needle's two least common bytes (by COMMON_BYTES) over
 * 32-byte blocks; for more, Teddy's nibble tables; the scalar path looks up
 * the first two bytes in a bitmap.  Only the filters differ between the
 * paths: every candidate goes through the same verify, which is why they
 * agree, position and id.
 */
struct needle {
	unsigned char *bytes;	/* lower-cased when nocase */
	size_t len;
	size_t off1, off2;	/* the filter bytes' offsets */
	unsigned char byte1, byte2;	/* their values, lower-cased if folded */
	unsigned char or1, or2;	/* 0x20 when that byte is a folded letter */
	int nocase;
	int id;
};

/*
 * From this many needles on, Teddy's fixed three-byte fingerprint (ripgrep's
 * approach: needles in 8 buckets, pshufb on nibbles) beats two compares per
 * needle: on generated logs 9.2 against 6.5 GB/s at 4 words, 1.9 against
 * 1.2 at 16.  For one or two needles the rare-byte pair is as fast or faster.
 */
#define TEDDY_MIN_NEEDLES 3
#define TEDDY_BYTES 3

typedef int litscan_find_fn(const struct litscan *ls, const unsigned char *buf,
			    size_t len, size_t start, struct litscan_match *m);

struct litscan {
	struct needle *needles;
	size_t n;
	size_t max_off;		/* the largest filter offset of any needle */
	/*
	 * The needles that may start with byte c are starts[c] ... starts[c+1]
	 * in ascending index, so a verify tries only those and the first hit is
	 * the lowest index.
	 */
	size_t *by_first;
	size_t starts[257];
	/* Bit (c0 << 8 | c1): some needle may start with bytes c0 c1. */
	unsigned char pairs[65536 / 8];
	/*
	 * Teddy's nibble tables for sets of TEDDY_MIN_NEEDLES or more: entry [j][x] has bit b set
	 * when a needle of bucket b may have a byte with low (high) nibble x
	 * at offset j.  Each 16-byte table appears twice, once per AVX2 lane.
	 */
	unsigned char teddy_lo[TEDDY_BYTES][32], teddy_hi[TEDDY_BYTES][32];
	litscan_find_fn *find;
	const char *path;
};

/*
 * Bytes from most to least common in English text and log lines; a byte's
 * place here is its commonness.  Bytes not listed count as rarest.
 */
static const char COMMON_BYTES[] =
	" etaoinsrhldcum0123456789:-.pfgwybvkTEASRIONLCD=/_,x\"jqzPMUFGHBWYKVXJQZ";

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

static int
is_letter(unsigned char c)
{
	return fold(c) >= 'a' && fold(c) <= 'z';
}

/* Higher is more common; a folded letter is as common as its commoner case. */
static int
byte_commonness(unsigned char c, int nocase)
{
	const char *p;
	int best = 0;

	if (c == 0)
		return 0;
	p = strchr(COMMON_BYTES, c);
	if (p)
		best = (int)sizeof(COMMON_BYTES) - (int)(p - COMMON_BYTES);
	if (nocase && is_letter(c)) {
		unsigned char other = (unsigned char)(c ^ 0x20);

		p = strchr(COMMON_BYTES, other);
		if (p && (int)sizeof(COMMON_BYTES) - (int)(p - COMMON_BYTES) > best)
			best = (int)sizeof(COMMON_BYTES) - (int)(p - COMMON_BYTES);
	}
	return best;
}

static void
needle_pick_filter(struct needle *nd)
{
	size_t i, a = 0, b = 0;
	int ca = 1 << 30, cb = 1 << 30;

	/* The two rarest offsets; ties keep the earlier one. */
	for (i = 0; i < nd->len; i++) {
		int c = byte_commonness(nd->bytes[i], nd->nocase);

		if (c < ca) {
			b = a, cb = ca;
			a = i, ca = c;
		} else if (c < cb) {
			b = i, cb = c;
		}
	}
	if (nd->len == 1)
		b = a;
	nd->off1 = a;
	nd->off2 = b;
	nd->byte1 = nd->bytes[a];
	nd->byte2 = nd->bytes[b];
	nd->or1 = nd->nocase && is_letter(nd->byte1) ? 0x20 : 0;
	nd->or2 = nd->nocase && is_letter(nd->byte2) ? 0x20 : 0;
}

static int
needle_at(const struct needle *nd, const unsigned char *buf, size_t len,
	  size_t pos)
{
	size_t i;

	if (nd->len > len - pos)
		return 0;
	if (!nd->nocase)
		return memcmp(buf + pos, nd->bytes, nd->len) == 0;
	for (i = 0; i < nd->len; i++)
		if (fold(buf[pos + i]) != nd->bytes[i])
			return 0;
	return 1;
}

static int
match_at(const struct litscan *ls, const unsigned char *buf, size_t len,
	 size_t pos, size_t from, struct litscan_match *m)
{
	size_t i, end = ls->starts[buf[pos] + 1];

	for (i = ls->starts[buf[pos]]; i < end; i++) {
		size_t k = ls->by_first[i];
		const struct needle *nd = &ls->needles[k];

		if (k < from)
			continue;
		if (needle_at(nd, buf, len, pos)) {
			m->pos = pos;
			m->len = nd->len;
			m->index = k;
			m->id = nd->id;
			return 1;
		}
	}
	return 0;
}

static int
find_scalar(const struct litscan *ls, const unsigned char *buf, size_t len,
	    size_t start, struct litscan_match *m)
{
	size_t pos;

	for (pos = start; pos + 1 < len; pos++) {
		unsigned pair = (unsigned)buf[pos] << 8 | buf[pos + 1];

		if ((ls->pairs[pair >> 3] >> (pair & 7) & 1) &&
		    match_at(ls, buf, len, pos, 0, m))
			return 1;
	}
	/* The last byte can only start a 1-byte needle. */
	return pos < len && match_at(ls, buf, len, pos, 0, m);
}

#ifdef LITSCAN_HAVE_AVX2
/*
 * Blocks of 32 start positions while every filter load stays inside the
 * buffer; the rest goes to the scalar loop, so nothing is read past len.
 */
__attribute__((target("avx2"))) static int
find_avx2(const struct litscan *ls, const unsigned char *buf, size_t len,
	  size_t start, struct litscan_match *m)
{
	const struct needle *nds = ls->needles;
	size_t n = ls->n, p = start;

	if (len < ls->max_off + 32)
		return find_scalar(ls, buf, len, start, m);
	for (; p <= len - 32 - ls->max_off; p += 32) {
		__m256i acc = _mm256_setzero_si256();
		uint32_t mask;
		size_t k;

		for (k = 0; k < n; k++) {
			const struct needle *nd = &nds[k];
			__m256i h1 = _mm256_loadu_si256(
				(const __m256i *)(buf + p + nd->off1));
			__m256i h2 = _mm256_loadu_si256(
				(const __m256i *)(buf + p + nd->off2));
			__m256i e1 = _mm256_cmpeq_epi8(
				_mm256_or_si256(h1, _mm256_set1_epi8((char)nd->or1)),
				_mm256_set1_epi8((char)nd->byte1));
			__m256i e2 = _mm256_cmpeq_epi8(
				_mm256_or_si256(h2, _mm256_set1_epi8((char)nd->or2)),
				_mm256_set1_epi8((char)nd->byte2));

			acc = _mm256_or_si256(acc, _mm256_and_si256(e1, e2));
		}
		mask = (uint32_t)_mm256_movemask_epi8(acc);
		while (mask) {
			size_t pos = p + (size_t)__builtin_ctz(mask);

			if (match_at(ls, buf, len, pos, 0, m))
				return 1;
			mask &= mask - 1;
		}
	}
	return find_scalar(ls, buf, len, p, m);
}

__attribute__((target("avx2"))) static int
find_teddy(const struct litscan *ls, const unsigned char *buf, size_t len,
	   size_t start, struct litscan_match *m)
{
	const __m256i nibble = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
	__m256i lo[TEDDY_BYTES], hi[TEDDY_BYTES];
	size_t p = start;
	int j;

	if (len < TEDDY_BYTES - 1 + 32)
		return find_scalar(ls, buf, len, start, m);
	for (j = 0; j < TEDDY_BYTES; j++) {
		lo[j] = _mm256_loadu_si256((const __m256i *)ls->teddy_lo[j]);
		hi[j] = _mm256_loadu_si256((const __m256i *)ls->teddy_hi[j]);
	}
	for (; p <= len - 32 - (TEDDY_BYTES - 1); p += 32) {
		__m256i res = _mm256_set1_epi8(-1);
		uint32_t mask;

		for (j = 0; j < TEDDY_BYTES; j++) {
			__m256i h = _mm256_loadu_si256(
				(const __m256i *)(buf + p + (size_t)j));
			__m256i l = _mm256_and_si256(h, nibble);
			__m256i u = _mm256_and_si256(_mm256_srli_epi16(h, 4), nibble);

			res = _mm256_and_si256(res, _mm256_and_si256(
				_mm256_shuffle_epi8(lo[j], l),
				_mm256_shuffle_epi8(hi[j], u)));
		}
		mask = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(res, zero));
		while (mask) {
			size_t pos = p + (size_t)__builtin_ctz(mask);

			if (match_at(ls, buf, len, pos, 0, m))
				return 1;
			mask &= mask - 1;
		}
	}
	return find_scalar(ls, buf, len, p, m);
}
#endif

/* Whether a needle byte b (folded when nocase) matches haystack byte c. */
static int
byte_matches(unsigned char b, int nocase, unsigned char c)
{
	return nocase ? fold(c) == b : c == b;
}

static void
index_first_bytes(struct litscan *ls)
{
	size_t k, used = 0;
	unsigned c, d;

	ls->by_first = xcalloc(2 * ls->n, sizeof(*ls->by_first));
	for (c = 0; c < 256; c++) {
		ls->starts[c] = used;
		for (k = 0; k < ls->n; k++) {
			const struct needle *nd = &ls->needles[k];

			if (!byte_matches(nd->bytes[0], nd->nocase, (unsigned char)c))
				continue;
			ls->by_first[used++] = k;
			for (d = 0; d < 256; d++) {
				unsigned pair = c << 8 | d;

				if (nd->len == 1 ||
				    byte_matches(nd->bytes[1], nd->nocase,
						 (unsigned char)d))
					ls->pairs[pair >> 3] |=
						(unsigned char)(1u << (pair & 7));
			}
		}
	}
	ls->starts[256] = used;
}

/*
 * Needles sharing their first two bytes share a bucket, so a busy prefix
 * widens one bucket's tables rather than all of them.
 */
static void
teddy_build(struct litscan *ls)
{
	size_t k;
	int j;

	for (k = 0; k < ls->n; k++) {
		const struct needle *nd = &ls->needles[k];
		unsigned b = (unsigned)(nd->bytes[0] * 31u +
					(nd->len > 1 ? nd->bytes[1] : 0)) % 8;
		unsigned char bit = (unsigned char)(1u << b);

		for (j = 0; j < TEDDY_BYTES; j++) {
			unsigned char c, variant[2];
			int v, nv = 1, x;

			if ((size_t)j >= nd->len) {
				/* A short needle accepts anything past its end. */
				for (x = 0; x < 32; x++) {
					ls->teddy_lo[j][x] |= bit;
					ls->teddy_hi[j][x] |= bit;
				}
				continue;
			}
			c = nd->bytes[j];
			variant[0] = c;
			if (nd->nocase && is_letter(c))
				variant[nv++] = (unsigned char)(c ^ 0x20);
			for (v = 0; v < nv; v++) {
				ls->teddy_lo[j][variant[v] & 15] |= bit;
				ls->teddy_lo[j][16 + (variant[v] & 15)] |= bit;
				ls->teddy_hi[j][variant[v] >> 4] |= bit;
				ls->teddy_hi[j][16 + (variant[v] >> 4)] |= bit;
			}
		}
	}
}

int
litscan_new(struct litscan **out, const struct litscan_needle *needles,
	    size_t n)
{
	struct litscan *ls;
	const char *env;
	size_t k, i;

	if (n == 0)
		return -1;
	for (k = 0; k < n; k++)
		if (needles[k].len == 0 || !needles[k].bytes)
			return -1;
	ls = xcalloc(1, sizeof(*ls));
	ls->needles = xcalloc(n, sizeof(*ls->needles));
	ls->n = n;
	for (k = 0; k < n; k++) {
		struct needle *nd = &ls->needles[k];

		nd->len = needles[k].len;
		nd->nocase = needles[k].nocase != 0;
		nd->id = needles[k].id;
		nd->bytes = xmalloc(nd->len);
		memcpy(nd->bytes, needles[k].bytes, nd->len);
		if (nd->nocase)
			for (i = 0; i < nd->len; i++)
				nd->bytes[i] = fold(nd->bytes[i]);
		needle_pick_filter(nd);
		if (nd->off1 > ls->max_off)
			ls->max_off = nd->off1;
		if (nd->off2 > ls->max_off)
			ls->max_off = nd->off2;
	}
	index_first_bytes(ls);
	ls->find = find_scalar;
	ls->path = "scalar";
#ifdef LITSCAN_HAVE_AVX2
	env = getenv("CODE_SIMD");
	if (!(env && strcmp(env, "scalar") == 0)) {
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx2")) {
			ls->find = find_avx2;
			ls->path = "avx2";
			if (n >= TEDDY_MIN_NEEDLES) {
				teddy_build(ls);
				ls->find = find_teddy;
			}
		}
	}
#else
	(void)env;
#endif
	*out = ls;
	return 0;
}

void
litscan_free(struct litscan *ls)
{
	size_t k;

	if (!ls)
		return;
	for (k = 0; k < ls->n; k++)
		free(ls->needles[k].bytes);
	free(ls->needles);
	free(ls->by_first);
	free(ls);
}

const char *
litscan_path(const struct litscan *ls)
{
	return ls->path;
}

int
litscan_find(const struct litscan *ls, const char *buf, size_t len,
	     size_t start, struct litscan_match *m)
{
	if (start >= len)
		return 0;
	return ls->find(ls, (const unsigned char *)buf, len, start, m);
}

int
litscan_match_at(const struct litscan *ls, const char *buf, size_t len,
		 size_t pos, size_t from, struct litscan_match *m)
{
	if (pos >= len)
		return 0;
	return match_at(ls, (const unsigned char *)buf, len, pos, from, m);
}

size_t
litscan_count_lines(const struct litscan *ls, const char *buf, size_t len)
{
	const unsigned char *ubuf = (const unsigned char *)buf;
	struct litscan_match m;
	size_t pos = 0, count = 0;

	while (pos < len && ls->find(ls, ubuf, len, pos, &m)) {
		const char *nl = memchr(buf + m.pos, '\n', len - m.pos);

		count++;
		if (!nl)
			break;
		pos = (size_t)(nl - buf) + 1;
	}
	return count;
}
