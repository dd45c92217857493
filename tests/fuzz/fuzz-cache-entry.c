/* fuzz-cache-entry.c: libFuzzer target checking that the entry and run-record decoders stay inside their bytes and round-trip what they accept. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cmd/cache/entry.h"
#include "libcommon/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever decoded must encode and decode again to the same fields. */
static void
check_entry_round_trip(const struct cache_entry *e)
{
	struct strbuf sb = STRBUF_INIT, vb = STRBUF_INIT;
	struct cache_entry d;
	const char *why = NULL;

	entry_encode(e, &sb);
	assert(entry_decode(sb.buf, sb.len, 0, &d, &vb, &why) == 0);
	assert(d.key_len == e->key_len && memcmp(d.key, e->key, d.key_len) == 0);
	assert(d.value_len == e->value_len);
	assert(e->value_len == 0 || memcmp(d.value, e->value, e->value_len) == 0);
	assert(d.created_ms == e->created_ms && d.expires_ms == e->expires_ms);
	strbuf_release(&sb);
	strbuf_release(&vb);
}

static void
check_run_record(const void *buf, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	struct run_record r, d;
	const char *why = NULL;
	size_t i;

	if (run_record_decode(buf, len, &r, &why) < 0) {
		assert(why != NULL);
		return;
	}
	assert((r.nfiles == 0) == (r.files == NULL));
	for (i = 0; i < r.nfiles; i++) {
		assert(r.files[i].path_len > 0);
		assert(memchr(r.files[i].path, '\0', r.files[i].path_len) == NULL);
		assert((r.files[i].mode & ~0777u) == 0);
	}
	/* The record format has one spelling per record: bytes must match. */
	run_record_encode(&r, &sb);
	assert(sb.len == len && memcmp(sb.buf, buf, len) == 0);
	assert(run_record_decode(sb.buf, sb.len, &d, &why) == 0);
	assert(d.nfiles == r.nfiles && d.exit_status == r.exit_status);
	free(d.files);
	free(r.files);
	strbuf_release(&sb);
}

/*
 * Writes the right checksum into an entry, so the fuzzer also explores
 * what lies behind it (zstd frames, run records) instead of stopping at
 * "checksum mismatch" on nearly every input.
 */
static void
resign(uint8_t *p, size_t len)
{
	XXH3_state_t *st = XXH3_createState();
	uint64_t sum;
	int i;

	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, p, 44);
	XXH3_64bits_update(st, p + ENTRY_HEADER_SIZE, len - ENTRY_HEADER_SIZE);
	sum = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	for (i = 0; i < 8; i++)
		p[44 + i] = (uint8_t)(sum >> (8 * i));
}

static void
check_entry(struct entry_zctx *z, const uint8_t *buf, size_t size)
{
	struct strbuf vb = STRBUF_INIT;
	struct cache_entry e, p;
	const char *why = NULL;

	/* A small max_value keeps hostile lengths from costing the fuzzer memory. */
	if (entry_decode_z(z, buf, size, 1 << 20, &e, &vb, &why) == 0) {
		assert(e.key_len > 0 && e.value_len <= (1 << 20));
		assert(entry_peek(buf, size, &p, &why) == 0);
		assert(p.key_len == e.key_len && p.value_len == e.value_len &&
		       p.created_ms == e.created_ms && p.expires_ms == e.expires_ms);
		check_entry_round_trip(&e);
		check_run_record(e.value, e.value_len);
	} else {
		assert(why != NULL);
	}
	strbuf_release(&vb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan sees any read past the length. */
	uint8_t *buf = malloc(size ? size : 1);

	memcpy(buf, data, size);
	check_entry(NULL, buf, size);
	if (size >= ENTRY_HEADER_SIZE) {
		/* Twice through one context: a failed frame must not spoil the next. */
		struct entry_zctx *z = entry_zctx_new();

		resign(buf, size);
		check_entry(z, buf, size);
		check_entry(z, buf, size);
		entry_zctx_free(z);
		memcpy(buf, data, size);
	}
	/* Raw bytes as a run record too: it is reached only through a checksum otherwise. */
	check_run_record(buf, size);
	free(buf);
	return 0;
}
