/* test-redact.c: secrets masked leftmost-longest, the same whole or in any chunks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/redact.h"
#include "libcommon/strbuf.h"
#include "tests/lib/tap.h"

/* Redacts s whole into a malloc'd string (length in *len). */
static char *
whole(const struct redact *r, const char *s, size_t n, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;

	redact_append(r, &sb, s, n);
	return strbuf_detach(&sb, len);
}

static void
check(const struct redact *r, const char *in, const char *want,
      const char *name)
{
	char *got = redact_string(r, in);

	is_str(got, want, name);
	free(got);
}

/*
 * The obvious leftmost-longest definition, slow on purpose, to hold the
 * fast one to.
 */
static char *
reference(const char *const *secrets, size_t nsec, const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0, k, best, sl;

	while (i < n) {
		best = 0;
		for (k = 0; k < nsec; k++) {
			sl = strlen(secrets[k]);
			if (sl > 0 && sl <= n - i && sl > best &&
			    memcmp(s + i, secrets[k], sl) == 0)
				best = sl;
		}
		if (best > 0) {
			strbuf_addstr(&sb, "***");
			i += best;
		} else {
			strbuf_addch(&sb, s[i]);
			i++;
		}
	}
	return strbuf_detach(&sb, NULL);
}

/*
 * Streams s in the chunks that end at the cut positions (sorted) and
 * returns the output; *held_ok turns false if a feed ever kept back
 * max_len bytes or more.
 */
static char *
streamed(const struct redact *r, const char *s, size_t n, const size_t *cuts,
	 size_t ncuts, int *held_ok)
{
	struct redact_stream st;
	struct strbuf out = STRBUF_INIT;
	size_t prev = 0, i, max = redact_max_len(r);

	redact_stream_init(&st, r);
	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : n;

		redact_stream_feed(&st, s + prev, end - prev, &out);
		if (st.pending.len > (max > 0 ? max - 1 : 0))
			*held_ok = 0;
		prev = end;
	}
	redact_stream_finish(&st, &out);
	redact_stream_release(&st);
	return strbuf_detach(&out, NULL);
}

static void
test_basics(void)
{
	struct redact *r = redact_new(), *r2;
	char *s;

	is_int((long long)redact_count(r), 0, "a new set is empty");
	is_int((long long)redact_max_len(r), 0, "max_len of an empty set is 0");
	check(r, "hunter2 here", "hunter2 here", "no secrets: copied");
	check(NULL, "hunter2", "hunter2", "NULL set: copied");
	redact_add(r, NULL);
	redact_add(r, "");
	is_int((long long)redact_count(r), 0, "NULL and \"\" are no secrets");
	redact_add(r, "hunter2");
	redact_add(r, "hunter2");
	is_int((long long)redact_count(r), 1, "a secret added twice counts once");
	check(r, "pw=hunter2 and hunter2!", "pw=*** and ***!",
	      "each occurrence masked");
	check(r, "hunter2", "***", "the whole text a secret");
	check(r, "hunter", "hunter", "a prefix of a secret is kept");
	check(r, "", "", "empty text");
	ok(redact_contains(r, "xxhunter2", 9), "contains finds a secret at the end");
	ok(!redact_contains(r, "xxhunter", 8), "contains: a prefix is no secret");
	ok(!redact_contains(r, "hunter2", 6), "contains looks at len bytes only");

	redact_add(r, "ab");
	redact_add(r, "abcd");
	is_int((long long)redact_count(r), 3, "three secrets");
	is_int((long long)redact_max_len(r), 7, "max_len is the longest");
	check(r, "xabcdx", "x***x", "the longer of two at one place");
	check(r, "xabcx", "x***cx", "the shorter when the longer does not match");
	check(r, "abab", "******", "the text after a mask is searched again");

	r2 = redact_new();
	redact_add(r2, "aba");
	redact_add(r2, "bab");
	check(r2, "ababab", "******", "overlapping: leftmost first, then after it");
	check(r2, "xbaba", "x***a", "overlapping: the leftmost wins");
	redact_add_all(r2, r);
	is_int((long long)redact_count(r2), 5, "add_all adds each secret");
	check(r2, "hunter2 abcd", "*** ***", "add_all: the added secrets mask");

	s = redact_string(r, "\x01\xff" "hunter2\xff");
	is_str(s, "\x01\xff***\xff", "bytes >= 0x80 pass through");
	free(s);
	{
		/* Text is bytes with a length, not a C string. */
		struct strbuf sb = STRBUF_INIT;

		redact_append(r, &sb, "a\0hunter2\0b", 11);
		ok(sb.len == 7 && memcmp(sb.buf, "a\0***\0b", 7) == 0,
		   "NUL bytes in text are kept and do not stop the scan");
		strbuf_release(&sb);
	}
	redact_free(r2);
	redact_free(r);
	redact_free(NULL);
}

static const char *const small_secrets[] = { "ab", "abc", "bca", "c", "cab" };
#define NSMALL (sizeof(small_secrets) / sizeof(small_secrets[0]))

/*
 * Every string of up to 6 letters over {a,b,c,d}, split in every one of
 * its 2^(n-1) ways, must stream to what redacting it whole gives, and
 * that must match the reference.
 */
static void
test_stream_exhaustive(void)
{
	struct redact *r = redact_new();
	const char alpha[] = "abcd";
	char s[8];
	size_t cuts[8];
	unsigned long strings = 0, splits = 0, bad_ref = 0, bad_split = 0;
	int held_ok = 1;
	size_t n, k, ncuts;
	unsigned long code, codes, mask;

	for (k = 0; k < NSMALL; k++)
		redact_add(r, small_secrets[k]);
	for (n = 0; n <= 6; n++) {
		codes = 1;
		for (k = 0; k < n; k++)
			codes *= 4;
		for (code = 0; code < codes; code++) {
			unsigned long c = code;
			char *want, *ref;
			size_t wlen;

			for (k = 0; k < n; k++) {
				s[k] = alpha[c % 4];
				c /= 4;
			}
			s[n] = '\0';
			want = whole(r, s, n, &wlen);
			ref = reference(small_secrets, NSMALL, s, n);
			if (strcmp(want, ref) != 0 && bad_ref++ == 0)
				tap_diag("'%s': got '%s', want '%s'", s, want,
					 ref);
			strings++;
			for (mask = 0; mask < (n > 0 ? 1UL << (n - 1) : 1);
			     mask++) {
				char *got;

				ncuts = 0;
				for (k = 0; k + 1 < n; k++)
					if (mask & (1UL << k))
						cuts[ncuts++] = k + 1;
				got = streamed(r, s, n, cuts, ncuts, &held_ok);
				if (strcmp(got, want) != 0 && bad_split++ == 0)
					tap_diag("'%s' mask %lu: got '%s', want '%s'",
						 s, mask, got, want);
				splits++;
				free(got);
			}
			free(want);
			free(ref);
		}
	}
	is_int((long long)bad_ref, 0, "whole-text redaction equals the reference");
	is_int((long long)bad_split, 0, "every split streams as the whole text");
	ok(held_ok, "a feed never keeps back max_len bytes or more");
	ok(strings == 5461 && splits > 40000, "%lu strings, %lu splits tried",
	   strings, splits);
	redact_free(r);
}

static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

/* Random texts sprinkled with secrets and their prefixes, random chunks. */
static void
test_stream_random(void)
{
	static const char *const secrets[] = {
		"s3cr3t", "s3cr3t-token", "token", "xyzzy", "zz", "en-s3"
	};
	const size_t nsec = sizeof(secrets) / sizeof(secrets[0]);
	struct redact *r = redact_new();
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned long bad = 0, bad_bytes = 0, bad_at = 0, bad_ref = 0;
	int held_ok = 1;
	size_t k;
	int iter;

	for (k = 0; k < nsec; k++)
		redact_add(r, secrets[k]);
	for (iter = 0; iter < 300; iter++) {
		struct strbuf in = STRBUF_INIT;
		size_t n, *cuts, ncuts = 0, pos;
		char *want, *ref, *got;

		n = rnd(&x) % 3000;
		while (in.len < n) {
			unsigned long what = rnd(&x) % 10;
			const char *sec = secrets[rnd(&x) % nsec];

			if (what < 2)
				strbuf_addstr(&in, sec);
			else if (what < 4)
				strbuf_add(&in, sec, rnd(&x) % strlen(sec));
			else
				strbuf_addch(&in, "s3crtoken-xyz \n"[rnd(&x) % 15]);
		}
		if (iter % 3 == 0)
			strbuf_addstr(&in, secrets[iter % nsec]);
		want = whole(r, in.buf, in.len, NULL);
		ref = reference(secrets, nsec, in.buf, in.len);
		if (strcmp(want, ref) != 0)
			bad_ref++;
		cuts = malloc((in.len + 1) * sizeof(*cuts));
		if (cuts == NULL)
			abort();
		for (pos = 1; pos < in.len; pos += 1 + rnd(&x) % 17)
			cuts[ncuts++] = pos;
		got = streamed(r, in.buf, in.len, cuts, ncuts, &held_ok);
		if (strcmp(got, want) != 0)
			bad++;
		free(got);
		for (ncuts = 0, pos = 1; pos < in.len; pos++)
			cuts[ncuts++] = pos;
		got = streamed(r, in.buf, in.len, cuts, ncuts, &held_ok);
		if (strcmp(got, want) != 0)
			bad_bytes++;
		free(got);
		/* Two chunks, cut at a few positions. */
		for (pos = 0; pos <= in.len; pos += 1 + in.len / 7) {
			cuts[0] = pos;
			got = streamed(r, in.buf, in.len, cuts, 1, &held_ok);
			if (strcmp(got, want) != 0)
				bad_at++;
			free(got);
		}
		free(cuts);
		free(want);
		free(ref);
		strbuf_release(&in);
	}
	is_int((long long)bad_ref, 0, "random: whole text equals the reference");
	is_int((long long)bad, 0, "random: random chunks stream as the whole");
	is_int((long long)bad_bytes, 0, "random: 1-byte chunks stream as the whole");
	is_int((long long)bad_at, 0, "random: two chunks stream as the whole");
	ok(held_ok, "random: a feed never keeps back max_len bytes or more");
	redact_free(r);
}

/* A secret cut across the last two chunks, and one as the last bytes. */
static void
test_stream_edges(void)
{
	struct redact *r = redact_new();
	struct redact_stream st;
	struct strbuf out = STRBUF_INIT;

	redact_add(r, "password1");
	redact_stream_init(&st, r);
	redact_stream_feed(&st, "log: pass", 9, &out);
	is_str(strbuf_str(&out), "log: ", "a possible secret start is held back");
	redact_stream_feed(&st, "word", 4, &out);
	redact_stream_feed(&st, "1 ok pass", 9, &out);
	redact_stream_finish(&st, &out);
	is_str(strbuf_str(&out), "log: *** ok pass",
	       "split secret masked; a prefix at the end is flushed by finish");
	strbuf_reset(&out);
	redact_stream_feed(&st, "", 0, &out);
	redact_stream_feed(&st, "password1", 9, &out);
	redact_stream_finish(&st, &out);
	is_str(strbuf_str(&out), "***", "the stream is reusable after finish");
	redact_stream_release(&st);

	strbuf_reset(&out);
	redact_stream_init(&st, NULL);
	redact_stream_feed(&st, "password1", 9, &out);
	redact_stream_finish(&st, &out);
	redact_stream_release(&st);
	is_str(strbuf_str(&out), "password1", "a stream without a set copies");
	strbuf_release(&out);
	redact_free(r);
}

/* Megabytes of output with a few secrets: correct, and done in a moment. */
static void
test_large(void)
{
	struct redact *r = redact_new();
	size_t n = 8u << 20, i, masks = 0, planted = 0;
	char *text = malloc(n), *p;
	struct strbuf out = STRBUF_INIT;

	if (text == NULL)
		abort();
	for (i = 0; i < n; i++)
		text[i] = "abcdefghij klmnopqrstuvwxyz\n"[i % 28];
	for (i = 1000; i + 40 < n; i += 100003)
		memcpy(text + i, "ghp_SECRETTOKEN", 15), planted++;
	redact_add(r, "ghp_SECRETTOKEN");
	redact_add(r, "hunter2");
	redact_add(r, "s3cr3t");
	redact_append(r, &out, text, n);
	for (p = out.buf; (p = strstr(p, "***")) != NULL; p += 3)
		masks++;
	is_int((long long)masks, (long long)planted,
	       "8 MiB: every planted secret masked");
	ok(strstr(out.buf, "SECRET") == NULL, "8 MiB: no secret left");
	strbuf_release(&out);
	free(text);
	redact_free(r);
}

int
main(void)
{
	test_basics();
	test_stream_exhaustive();
	test_stream_random();
	test_stream_edges();
	test_large();
	return tap_done();
}
