/* test-litscan.c: the literal scanner finds what a naive search finds, on both paths. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd/litscan.h"
#include "tests/lib/tap.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: deterministic, so a failure reproduces. */
static uint32_t
rnd(uint32_t bound)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32) % bound;
}

static struct litscan *
build(const struct litscan_needle *nds, size_t n, int scalar)
{
	struct litscan *ls = NULL;

	if (scalar)
		setenv("CODE_SIMD", "scalar", 1);
	else
		unsetenv("CODE_SIMD");
	if (litscan_new(&ls, nds, n) != 0)
		return NULL;
	unsetenv("CODE_SIMD");
	return ls;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* The reference: every position, every needle, in order. */
static int
naive_find(const struct litscan_needle *nds, size_t n, const char *buf,
	   size_t len, size_t start, struct litscan_match *m)
{
	size_t pos, k, i;

	for (pos = start; pos < len; pos++) {
		for (k = 0; k < n; k++) {
			const unsigned char *a = (const unsigned char *)buf + pos;
			const unsigned char *b = (const unsigned char *)nds[k].bytes;

			if (nds[k].len > len - pos)
				continue;
			for (i = 0; i < nds[k].len; i++)
				if (nds[k].nocase ? ascii_lower(a[i]) != ascii_lower(b[i])
						  : a[i] != b[i])
					break;
			if (i == nds[k].len) {
				m->pos = pos;
				m->len = nds[k].len;
				m->index = k;
				m->id = nds[k].id;
				return 1;
			}
		}
	}
	return 0;
}

/* Exact copy in a heap block of its own size, so ASan sees any over-read. */
static char *
exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	memcpy(p, s, len);
	return p;
}

/* Position of the first match (or -1) and its id, through the API. */
static long long
first_pos(struct litscan *ls, const char *s, size_t len, size_t start, int *id)
{
	struct litscan_match m;
	char *p = exact_copy(s, len);
	long long r = -1;

	if (litscan_find(ls, p, len, start, &m)) {
		r = (long long)m.pos;
		if (id)
			*id = m.id;
	}
	free(p);
	return r;
}

static void
test_hand_cases(int scalar)
{
	const char *tag = scalar ? "scalar" : "auto";
	struct litscan_needle one[] = { { "error", 5, 1, 7 } };
	struct litscan_needle pair[] = {
		{ "abcd", 4, 0, 1 }, { "bc", 2, 0, 2 }, { "abc", 3, 0, 3 },
	};
	struct litscan_needle bytes[] = {
		{ "\xc3\xa9t\xc3\xa9", 5, 1, 1 }, { "x", 1, 0, 2 },
	};
	struct litscan_needle nul[] = { { "a\0b", 3, 0, 4 } };
	struct litscan_needle longn[] = {
		{ "0123456789012345678901234567890123456789xyz", 43, 0, 9 },
	};
	char big[200];
	struct litscan *ls;
	struct litscan_match m;
	int id = -1;
	size_t i;
	char note[64];

	ls = build(one, 1, scalar);
	ok(ls != NULL, "%s: a one-needle scanner builds", tag);
	is_int(first_pos(ls, "error at start", 14, 0, &id), 0, "needle at start");
	is_int(id, 7, "the needle's id is reported");
	is_int(first_pos(ls, "at the end: ERROR", 17, 0, NULL), 12,
	       "case-insensitive needle at the end");
	is_int(first_pos(ls, "eRrOr", 5, 1, NULL), -1, "start past the only match");
	is_int(first_pos(ls, "erro", 4, 0, NULL), -1,
	       "needle longer than the rest of the buffer");
	is_int(first_pos(ls, "", 0, 0, NULL), -1, "empty buffer");
	is_int(first_pos(ls, "xx", 2, 5, NULL), -1, "start beyond the end");
	memset(big, '.', sizeof(big));
	for (i = 0; i + 5 <= sizeof(big); i += 13) {
		memcpy(big + i, "ErRoR", 5);
		snprintf(note, sizeof(note), "%s: mixed case at offset %zu", tag, i);
		ok(first_pos(ls, big, sizeof(big), 0, NULL) == (long long)i, "%s",
		   note);
		memset(big + i, '.', 5);
	}
	/* Across every 32-byte block edge, and partly past the end. */
	for (i = 25; i < 72; i++) {
		memset(big, 'e', sizeof(big));
		memcpy(big + i, "error", 5);
		if (first_pos(ls, big, i + 5, 0, NULL) != (long long)i ||
		    first_pos(ls, big, i + 4, 0, NULL) != -1)
			break;
	}
	ok(i == 72, "%s: needles straddling 32-byte edges (stopped at %zu)",
	   tag, i);
	litscan_free(ls);

	ls = build(pair, 3, scalar);
	is_int(first_pos(ls, "xabcd", 5, 0, &id), 1, "overlapping needles: earliest");
	is_int(id, 1, "lowest index wins at a shared position");
	is_int(first_pos(ls, "xabc", 4, 0, &id), 1, "shorter needle when longer cannot fit");
	is_int(id, 3, "id of the needle that fits");
	is_int(first_pos(ls, "xabcd", 5, 2, &id), 2, "start inside a match");
	is_int(id, 2, "the inner needle");
	ok(litscan_match_at(ls, "xabcd", 5, 1, 0, &m) && m.index == 0 &&
	   litscan_match_at(ls, "xabcd", 5, 1, m.index + 1, &m) && m.index == 2 &&
	   !litscan_match_at(ls, "xabcd", 5, 1, m.index + 1, &m),
	   "%s: match_at lists every needle at one position", tag);
	ok(first_pos(ls, "ABCD", 4, 0, NULL) == -1,
	   "%s: a case-sensitive needle does not fold", tag);
	litscan_free(ls);

	ls = build(bytes, 2, scalar);
	is_int(first_pos(ls, "\xc3\xa9T\xc3\xa9", 5, 0, NULL), 0,
	       "high bytes match themselves, ASCII around them folds");
	is_int(first_pos(ls, "\xe3\x89t\xe3\x89", 5, 0, NULL), -1,
	       "bytes >= 0x80 never case-fold");
	is_int(first_pos(ls, "X", 1, 0, NULL), -1, "a 1-byte case-sensitive needle");
	is_int(first_pos(ls, "Xx", 2, 0, &id), 1, "a 1-byte needle at the end");
	litscan_free(ls);

	ls = build(nul, 1, scalar);
	memset(big, 0, sizeof(big));
	memcpy(big + 100, "a\0b", 3);
	is_int(first_pos(ls, big, sizeof(big), 0, NULL), 100,
	       "NUL bytes in haystack and needle");
	litscan_free(ls);

	ls = build(longn, 1, scalar);
	is_int(first_pos(ls, "0123456789", 10, 0, NULL), -1,
	       "needle longer than the buffer");
	memset(big, '0', sizeof(big));
	memcpy(big + 150, longn[0].bytes, 43);
	is_int(first_pos(ls, big, 193, 0, NULL), 150, "long needle ending at the end");
	is_int(first_pos(ls, big, 192, 0, NULL), -1, "long needle cut by one byte");
	litscan_free(ls);
}

static void
test_count_lines(int scalar)
{
	struct litscan_needle words[] = {
		{ "error", 5, 1, 0 }, { "timeout", 7, 1, 1 },
	};
	const char *text = "ok\nan Error and a TIMEOUT\nfine\n\ntimeout\nerr\nERROR";
	struct litscan *ls = build(words, 2, scalar);
	char *p = exact_copy(text, strlen(text));

	is_int((long long)litscan_count_lines(ls, p, strlen(text)), 3,
	       scalar ? "scalar: count_lines counts each line once"
		      : "auto: count_lines counts each line once");
	is_int((long long)litscan_count_lines(ls, p, 0), 0, "no lines in nothing");
	free(p);
	litscan_free(ls);
}

static int
naive_count_lines(const struct litscan_needle *nds, size_t n, const char *buf,
		  size_t len)
{
	struct litscan_match m;
	size_t pos = 0;
	int count = 0;

	while (naive_find(nds, n, buf, len, pos, &m)) {
		const char *nl = memchr(buf + m.pos, '\n', len - m.pos);

		count++;
		if (!nl)
			break;
		pos = (size_t)(nl - buf) + 1;
	}
	return count;
}

/*
 * Random buffers over a small alphabet (letters of both cases, a newline, a
 * high byte and NUL) against random sets of 1 to 72 needles; every match
 * position is walked on the scalar path, the dispatched path and the
 * reference.
 */
static void
test_random(int have_avx2)
{
	static const char alphabet[] = "abcABC\n\xe1\0";
	const int rounds = 3000;
	int r, bad_scalar = 0, bad_auto = 0, bad_lines = 0, matches = 0;

	for (r = 0; r < rounds; r++) {
		struct litscan_needle nds[72];
		char nbytes[72][40];
		/* Sets of 9 or more needles take the Teddy path on AVX2. */
		size_t n = 1 + rnd(r % 5 == 0 ? 72 : r % 5 == 1 ? 12 : 4), k, i;
		size_t len = rnd(301), start;
		char *buf = malloc(len ? len : 1);
		struct litscan *s, *a;

		for (i = 0; i < len; i++)
			buf[i] = alphabet[rnd(sizeof(alphabet) - 1)];
		for (k = 0; k < n; k++) {
			size_t nl = 1 + rnd(r % 7 == 0 ? 40 : 4);

			for (i = 0; i < nl; i++)
				nbytes[k][i] = alphabet[rnd(sizeof(alphabet) - 1)];
			/* Sometimes a needle copied from the buffer, so long ones hit. */
			if (len >= nl && rnd(3) == 0)
				memcpy(nbytes[k], buf + rnd((uint32_t)(len - nl + 1)), nl);
			nds[k].bytes = nbytes[k];
			nds[k].len = nl;
			nds[k].nocase = (int)rnd(2);
			nds[k].id = (int)(100 + k);
		}
		s = build(nds, n, 1);
		a = build(nds, n, 0);
		start = 0;
		for (;;) {
			struct litscan_match mr, ms, ma;
			int fr = naive_find(nds, n, buf, len, start, &mr);
			int fs = litscan_find(s, buf, len, start, &ms);
			int fa = litscan_find(a, buf, len, start, &ma);

			if (fs != fr || (fr && (ms.pos != mr.pos || ms.id != mr.id ||
						ms.index != mr.index || ms.len != mr.len)))
				bad_scalar++;
			if (fa != fr || (fr && (ma.pos != mr.pos || ma.id != mr.id ||
						ma.index != mr.index || ma.len != mr.len)))
				bad_auto++;
			if (!fr || fs != fr || fa != fr)
				break;
			matches++;
			start = mr.pos + 1;
		}
		i = litscan_count_lines(s, buf, len);
		if ((int)i != naive_count_lines(nds, n, buf, len) ||
		    litscan_count_lines(a, buf, len) != i)
			bad_lines++;
		litscan_free(s);
		litscan_free(a);
		free(buf);
	}
	tap_diag("%d random rounds, %d matches walked", rounds, matches);
	ok(matches > rounds, "the random inputs hit often (%d matches)", matches);
	is_int(bad_scalar, 0, "scalar path agrees with the reference");
	if (have_avx2)
		is_int(bad_auto, 0, "AVX2 path agrees with the reference and scalar");
	else
		ok(1, "# SKIP no AVX2 on this machine (dispatched path checked: %d)",
		   bad_auto);
	is_int(bad_lines, 0, "line counts agree on all paths");
}

int
main(void)
{
	struct litscan_needle w = { "w", 1, 0, 0 };
	struct litscan *ls = NULL;
	int have_avx2;

	ok(litscan_new(&ls, &w, 0) == -1 && ls == NULL, "an empty set is refused");
	w.len = 0;
	ok(litscan_new(&ls, &w, 1) == -1 && ls == NULL, "an empty needle is refused");
	w.len = 1;
	ls = build(&w, 1, 1);
	is_str(litscan_path(ls), "scalar", "CODE_SIMD=scalar forces the scalar path");
	litscan_free(ls);
	ls = build(&w, 1, 0);
	have_avx2 = strcmp(litscan_path(ls), "avx2") == 0;
	ok(have_avx2 || strcmp(litscan_path(ls), "scalar") == 0,
	   "the dispatched path is '%s'", litscan_path(ls));
	litscan_free(ls);

	test_hand_cases(1);
	test_hand_cases(0);
	test_count_lines(1);
	test_count_lines(0);
	test_random(have_avx2);
	return tap_done();
}
