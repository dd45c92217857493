/* fuzz-bench-httpparse.c: libFuzzer target feeding arbitrary bytes to code-bench's HTTP response parser, whole, byte by byte and in random splits. */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/bench/httpparse.h"

/* Ways of cutting the input into reads; the first two are fixed, the rest random. */
#define FUZZ_SPLITS 6
/* "HTTP/1.1 200\n\n": no response is shorter. */
#define FUZZ_MIN_RESPONSE 14

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one response came to: all of it must be the same whatever the split. */
struct fuzz_result {
	enum httpparse_state state;
	int status;
	uint64_t body_bytes;
	bool keep_alive;
	bool at_eof;            /* completed or failed by httpparse_eof */
	size_t end;             /* offset just past a DONE response fed whole */
	const char *error;
};

static uint32_t
fuzz_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* The size of the next read for split k: whole, bytes, then random ones of different scales. */
static size_t
fuzz_piece(int k, uint32_t *seed, size_t left)
{
	static const uint32_t scale[FUZZ_SPLITS] = { 0, 1, 3, 17, 100, 1000 };
	size_t n;

	if (k == 0)
		return left;
	n = k == 1 ? 1 : 1 + fuzz_next(seed) % scale[k];
	return n < left ? n : left;
}

/* A DONE or ERROR parser must take nothing more and change nothing. */
static void
fuzz_check_final(struct httpparse *p)
{
	struct httpparse before = *p;

	assert(httpparse_feed(p, "H", 1) == 0);
	assert(p->state == before.state && p->status == before.status &&
	       p->body_bytes == before.body_bytes && p->keep_alive == before.keep_alive &&
	       p->error == before.error);
}

static void
fuzz_check_result(const struct httpparse *p, size_t fed)
{
	assert(p->body_bytes <= fed);
	if (p->state == HTTPPARSE_ERROR) {
		assert(p->error != NULL && !p->keep_alive);
		return;
	}
	assert(p->state == HTTPPARSE_DONE && p->error == NULL);
	assert(p->status >= 100 && p->status <= 999 && p->status != 101);
	assert(p->header_bytes <= HTTPPARSE_MAX_HEADER);
	if (p->head_request || p->status < 200 || p->status == 204 || p->status == 304)
		assert(p->body_bytes == 0);
	else if (p->has_length && !p->chunked && p->keep_alive)
		assert(p->body_bytes == p->content_length);
}

static void
fuzz_log(struct fuzz_result *r, const struct httpparse *p, bool at_eof, size_t end)
{
	r->state = p->state;
	r->status = p->status;
	r->body_bytes = p->body_bytes;
	r->keep_alive = p->keep_alive;
	r->at_eof = at_eof;
	r->end = end;
	r->error = p->error;
}

/*
 * Parses the stream as pipelined responses, each read in its own exact
 * allocation so ASan sees any read past it. Returns the results logged.
 */
static size_t
fuzz_run(const char *in, size_t len, bool head, int k, uint32_t seed, struct fuzz_result *log)
{
	struct httpparse p;
	size_t off = 0, q, n, used, fed = 0, count = 0;
	char *piece;

	httpparse_init(&p, head);
	while (off < len) {
		n = fuzz_piece(k, &seed, len - off);
		piece = malloc(n);
		assert(piece != NULL);
		memcpy(piece, in + off, n);
		for (q = 0; q < n;) {
			used = httpparse_feed(&p, piece + q, n - q);
			assert(used <= n - q);
			q += used;
			fed += used;
			if (p.state == HTTPPARSE_DONE) {
				assert(fed >= FUZZ_MIN_RESPONSE);
				fuzz_check_result(&p, fed);
				fuzz_check_final(&p);
				fuzz_log(&log[count++], &p, false, off + q);
				httpparse_init(&p, head);
				fed = 0;
			} else if (p.state == HTTPPARSE_ERROR) {
				fuzz_check_result(&p, fed);
				fuzz_check_final(&p);
				fuzz_log(&log[count++], &p, false, 0);
				free(piece);
				return count;
			} else {
				assert(q == n);
			}
		}
		free(piece);
		off += n;
	}
	if (fed > 0) {
		bool done = httpparse_eof(&p);

		assert(done == (p.state == HTTPPARSE_DONE));
		fuzz_check_result(&p, fed);
		fuzz_check_final(&p);
		assert(httpparse_eof(&p) == done);
		fuzz_log(&log[count++], &p, true, 0);
	}
	return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_result *whole, *other;
	size_t max, count, n, i;
	bool head;
	int k;

	if (size == 0)
		return 0;
	/* The first byte picks the split seed and whether the request was HEAD. */
	head = (data[0] & 0x80) != 0;
	max = size / FUZZ_MIN_RESPONSE + 2;
	whole = calloc(max, sizeof(*whole));
	other = calloc(max, sizeof(*other));
	assert(whole != NULL && other != NULL);
	count = fuzz_run((const char *)data + 1, size - 1, head, 0, 0, whole);
	assert(count <= max);
	for (k = 1; k < FUZZ_SPLITS; k++) {
		memset(other, 0, max * sizeof(*other));
		n = fuzz_run((const char *)data + 1, size - 1, head, k,
			     ((uint32_t)data[0] << 8 | (uint32_t)k) * 2654435761u | 1, other);
		assert(n == count);
		for (i = 0; i < n; i++) {
			assert(other[i].state == whole[i].state);
			assert(other[i].status == whole[i].status);
			assert(other[i].body_bytes == whole[i].body_bytes);
			assert(other[i].keep_alive == whole[i].keep_alive);
			assert(other[i].at_eof == whole[i].at_eof);
			assert(other[i].end == whole[i].end);
			assert(other[i].error == whole[i].error);
		}
	}
	free(whole);
	free(other);
	return 0;
}
