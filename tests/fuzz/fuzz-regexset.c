/* fuzz-regexset.c: libFuzzer target compiling arbitrary pattern text and checking that every line it matches holds one of its literals. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/diag.h"
#include "libcommon/regexset.h"
#include "libcommon/xalloc.h"

/* Small, so a catastrophic pattern costs little before it hits the limit. */
#define FUZZ_MATCH_LIMIT 100000
#define FUZZ_DEPTH_LIMIT 10000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	diag_setup("fuzz-regexset");
	diag_set_level(DIAG_QUIET);
	return 0;
}

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool
contains(const uint8_t *hay, size_t hlen, const char *needle, size_t nlen, bool caseless)
{
	size_t i, j;

	for (i = 0; i + nlen <= hlen; i++) {
		for (j = 0; j < nlen; j++) {
			unsigned char a = hay[i + j], b = (unsigned char)needle[j];

			if (caseless ? fold(a) != fold(b) : a != b)
				break;
		}
		if (j == nlen)
			return true;
	}
	return false;
}

/* A matching line must contain a literal; a set with none promises nothing. */
static void
fuzz_check_line(struct regexset *set, struct regexset_matcher *m, const uint8_t *line,
		size_t len)
{
	size_t n = regexset_literal_count(set, 0), k, ll;
	bool found = n == 0;
	const char *lit;

	if (!regexset_match_pattern(m, 0, (const char *)line, len))
		return;
	for (k = 0; k < n && !found; k++) {
		lit = regexset_literal(set, 0, k, &ll);
		assert(ll > 0 && ll <= REGEXSET_LITERAL_MAX);
		found = contains(line, len, lit, ll, regexset_caseless(set, 0));
	}
	assert(found);
}

/*
 * Input: flags byte, pattern text, NUL, line. Without a NUL the whole
 * input is the pattern and also the line (a pattern often matches itself).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct regexset_pattern p = { "fuzz", NULL, false, { "fuzz", 1, 1 } };
	struct regexset_options opts = { 0 };
	struct regexset *set;
	struct regexset_matcher *m;
	const uint8_t *nul, *line;
	size_t plen, llen;
	char *pattern;
	uint8_t *copy;
	json_t *fields;

	if (size < 1)
		return 0;
	p.caseless = data[0] & 1;
	opts.no_jit = (data[0] & 2) != 0;
	opts.match_limit = FUZZ_MATCH_LIMIT;
	opts.depth_limit = FUZZ_DEPTH_LIMIT;
	data++;
	size--;
	nul = memchr(data, '\0', size);
	plen = nul != NULL ? (size_t)(nul - data) : size;
	pattern = xstrndup((const char *)data, plen);
	line = nul != NULL ? nul + 1 : data;
	llen = nul != NULL ? size - plen - 1 : size;
	p.regex = pattern;
	if (regexset_compile(&p, 1, &opts, &set) == 0) {
		m = regexset_matcher_new(set);
		/* A heap copy of exactly the line, so ASan sees any read past it. */
		copy = xmalloc(llen > 0 ? llen : 1);
		memcpy(copy, line, llen);
		fuzz_check_line(set, m, copy, llen);
		fuzz_check_line(set, m, (const uint8_t *)pattern, plen);
		fields = regexset_matcher_fields(m, 0, (const char *)copy, llen);
		assert(fields == NULL || json_is_object(fields));
		json_decref(fields);
		free(copy);
		regexset_matcher_free(m);
		regexset_free(set);
	}
	free(pattern);
	return 0;
}
