/* fuzz-hdrhist.c: libFuzzer target feeding arbitrary bytes to hdrhist_decode, as text and as the payload inside a well-formed HDR1 wrapper. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "libcommon/hdrhist.h"
#include "libcommon/strbuf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fuzzer-only state: one compressor, made once. */
static ZSTD_CCtx *fuzz_cctx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_cctx = ZSTD_createCCtx();
	if (fuzz_cctx == NULL)
		abort();
	return 0;
}

static void
fuzz_base64(struct strbuf *out, const unsigned char *d, size_t n)
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

static bool
fuzz_same(const struct hdrhist *a, const struct hdrhist *b)
{
	return a->lowest == b->lowest && a->highest == b->highest &&
	       a->sig_digits == b->sig_digits && a->counts_len == b->counts_len &&
	       a->total == b->total && a->min == b->min && a->max == b->max &&
	       a->clamped == b->clamped &&
	       memcmp(a->counts, b->counts, (size_t)a->counts_len * sizeof(*a->counts)) == 0;
}

/* What decode accepted must be a consistent histogram that round-trips. */
static void
fuzz_check(const struct hdrhist *h)
{
	static const double ps[] = { 0, 1, 25, 50, 90, 99, 99.9, 99.999, 100 };
	struct hdrhist_iter it;
	struct strbuf sb = STRBUF_INIT;
	struct hdrhist back, sum;
	uint64_t total = 0;
	int64_t prev = -1, v, last = 0;
	double mean;
	size_t i;
	char msg[256];

	hdrhist_iter_init(&it, h);
	while (hdrhist_iter_next(&it)) {
		assert(it.value > prev && it.count > 0);
		prev = it.value;
		total += it.count;
	}
	assert(total == h->total);
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		v = hdrhist_percentile(h, ps[i]);
		assert(v >= last);
		assert(h->total == 0 ? v == 0 : v >= h->min && v <= h->max);
		last = v;
	}
	mean = hdrhist_mean(h);
	assert(h->total == 0 || (mean >= (double)h->min && mean <= (double)h->max));
	assert(hdrhist_stddev(h) >= 0.0);

	hdrhist_encode(h, &sb);
	assert(hdrhist_decode(sb.buf, sb.len, &back, msg, sizeof(msg)) == 0);
	assert(fuzz_same(h, &back));
	assert(hdrhist_init(&sum, h->lowest, h->highest, h->sig_digits) == 0);
	assert(hdrhist_merge(&sum, h) == 0 && hdrhist_merge(&sum, &back) == 0);
	assert(sum.total == 2 * h->total && sum.min == h->min && sum.max == h->max);
	hdrhist_release(&sum);
	hdrhist_release(&back);
	strbuf_release(&sb);
}

static void
fuzz_decode(const char *text, size_t len)
{
	struct hdrhist h;
	char msg[256];

	msg[0] = '\0';
	if (hdrhist_decode(text, len, &h, msg, sizeof(msg)) == 0)
		fuzz_check(&h);
	else
		assert(msg[0] != '\0' && h.counts == NULL);
	hdrhist_release(&h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf text = STRBUF_INIT;
	size_t bound = ZSTD_compressBound(size), zlen;
	void *z;

	/* As text: base64, prefixes and zstd frames as found. */
	fuzz_decode((const char *)data, size);
	/* As a payload: the header and counts parser proper. */
	z = malloc(bound);
	zlen = ZSTD_compressCCtx(fuzz_cctx, z, bound, data, size, 1);
	assert(!ZSTD_isError(zlen));
	strbuf_addstr(&text, "HDR1:");
	fuzz_base64(&text, z, zlen);
	fuzz_decode(text.buf, text.len);
	free(z);
	strbuf_release(&text);
	return 0;
}
