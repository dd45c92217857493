/* test-cache-entry.c: cache entries and run records round-trip, and any corrupt, torn or hostile bytes are refused, never read as another value. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cmd/cache/entry.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"
#include "tests/lib/tap.h"

#define T0 INT64_C(1795428000000) /* 2026-11-23T10:00:00.000Z */

/* Header offsets, as entry.h lays them out. */
#define OFF_FLAGS 5
#define OFF_RESERVED 6
#define OFF_KEY_LEN 24
#define OFF_VALUE_LEN 28
#define OFF_STORED_LEN 36
#define OFF_CHECKSUM 44

/* ---------------------------------------------------------------- helpers */

/* A reproducible byte stream (xorshift64), so failures can be replayed. */
static void
fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

/* Text-like bytes that zstd shrinks a lot. */
static void
fill_text(unsigned char *p, size_t n)
{
	static const char words[] = "the quick brown fox jumps over the lazy dog ";
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)words[(i + i / 97) % (sizeof(words) - 1)];
}

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Recomputes the checksum after a test edits a header on purpose. */
static void
fix_sum(unsigned char *p, size_t len)
{
	XXH3_state_t *st = XXH3_createState();

	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, p, OFF_CHECKSUM);
	XXH3_64bits_update(st, p + ENTRY_HEADER_SIZE, len - ENTRY_HEADER_SIZE);
	put_le(p + OFF_CHECKSUM, XXH3_64bits_digest(st), 8);
	XXH3_freeState(st);
}

static void
encode(struct strbuf *sb, const char *key, const void *value, size_t value_len, int64_t created,
       int64_t expires)
{
	struct cache_entry e = { key, strlen(key), value, value_len, created, expires };

	strbuf_reset(sb);
	entry_encode(&e, sb);
}

/* Decodes a copy of exactly len bytes, so any read past the end shows under valgrind and ASan. */
static int
decode_exact(const void *buf, size_t len, size_t max_value, struct cache_entry *e,
	     struct strbuf *vb, const char **why)
{
	void *copy = xmalloc(len ? len : 1);
	int r;

	memcpy(copy, buf, len);
	*why = NULL;
	r = entry_decode(copy, len, max_value, e, vb, why);
	/* The decoded pointers die with the copy: callers only look at r, why, lengths. */
	free(copy);
	return r;
}

/* Encodes, decodes and compares everything; returns the encoded flags byte or -1. */
static int
round_trip(const char *name, const char *key, const void *value, size_t value_len,
	   int64_t created, int64_t expires, size_t *encoded_len)
{
	struct strbuf sb = STRBUF_INIT, vb = STRBUF_INIT;
	struct cache_entry d;
	const char *why = NULL;
	int r, flags = -1;

	encode(&sb, key, value, value_len, created, expires);
	r = entry_decode(sb.buf, sb.len, 0, &d, &vb, &why);
	if (!ok(r == 0, "%s: decodes (%s)", name, why ? why : "ok"))
		goto out;
	ok(d.key_len == strlen(key) && memcmp(d.key, key, d.key_len) == 0 &&
		   d.value_len == value_len &&
		   (value_len == 0 || memcmp(d.value, value, value_len) == 0) &&
		   d.created_ms == created && d.expires_ms == expires,
	   "%s: key, value and times come back", name);
	flags = (unsigned char)sb.buf[OFF_FLAGS];
	if (encoded_len != NULL)
		*encoded_len = sb.len;
out:
	strbuf_release(&sb);
	strbuf_release(&vb);
	return flags;
}

/* ---------------------------------------------------------------- round trips */

static void
test_round_trips(void)
{
	unsigned char *big = xmalloc(1 << 20);
	unsigned char rnd[4096];
	size_t n;

	is_int(round_trip("small", "k", "hello", 5, T0, T0 + 60000, &n), 0,
	       "small: stored as is");
	is_int((long long)n, ENTRY_HEADER_SIZE + 1 + 5, "small: header + key + value bytes");
	is_int(round_trip("empty value", "empty", "", 0, T0, 0, &n), 0,
	       "empty value: stored as is");
	is_int((long long)n, ENTRY_HEADER_SIZE + 5, "empty value: header and key only");
	is_int(round_trip("binary key", "a\nb\tc\xff", "\0\1\2", 3, 0, 0, NULL), 0,
	       "binary key and value with NUL bytes");
	round_trip("time extremes", "t", "v", 1, INT64_MIN, INT64_MAX, NULL);
	round_trip("negative times", "t", "v", 1, -1, -T0, NULL);

	fill_text(big, 1 << 20);
	is_int(round_trip("1023 bytes", "k1023", big, 1023, T0, 0, &n), 0,
	       "1023 bytes: under the threshold, stored as is");
	is_int((long long)n, ENTRY_HEADER_SIZE + 5 + 1023, "1023 bytes: full size");
	is_int(round_trip("1024 bytes", "k1024", big, 1024, T0, 0, &n), 1,
	       "1024 compressible bytes: zstd");
	ok(n < ENTRY_HEADER_SIZE + 5 + 1024, "1024 bytes: the entry is smaller (%zu)", n);
	is_int(round_trip("1 MiB text", "kmib", big, 1 << 20, T0, T0 + 1, &n), 1,
	       "1 MiB text: zstd");
	ok(n < (1 << 18), "1 MiB text: shrinks to %zu bytes", n);

	fill_random(rnd, sizeof(rnd), 42);
	is_int(round_trip("4 KiB random", "krnd", rnd, sizeof(rnd), T0, 0, &n), 0,
	       "4 KiB random: zstd would not shrink it, stored as is");
	is_int((long long)n, ENTRY_HEADER_SIZE + 4 + 4096, "4 KiB random: full size");
	fill_random(big, 1 << 20, 7);
	is_int(round_trip("1 MiB random", "kbig", big, 1 << 20, T0, 0, &n), 0,
	       "1 MiB random: stored as is");
	free(big);
}

static void
test_append_and_reuse(void)
{
	struct strbuf sb = STRBUF_INIT, vb = STRBUF_INIT;
	struct cache_entry e = { "key", 3, NULL, 0, T0, 0 }, d;
	unsigned char text[3000];
	const char *why = NULL;
	size_t first;

	/* Entries appended after other bytes, as a batch writer would. */
	fill_text(text, sizeof(text));
	strbuf_addstr(&sb, "prefix");
	e.value = text;
	e.value_len = sizeof(text);
	entry_encode(&e, &sb);
	first = sb.len;
	e.value = "second";
	e.value_len = 6;
	entry_encode(&e, &sb);
	ok(entry_decode(sb.buf + 6, first - 6, 0, &d, &vb, &why) == 0 &&
		   d.value_len == sizeof(text) && memcmp(d.value, text, sizeof(text)) == 0,
	   "an entry appended after other bytes decodes");
	ok(entry_decode(sb.buf + first, sb.len - first, 0, &d, &vb, &why) == 0 &&
		   d.value_len == 6 && memcmp(d.value, "second", 6) == 0 &&
		   d.value == sb.buf + sb.len - 6,
	   "an uncompressed value points into the buffer");
	/* value_buf is reused: a second compressed decode replaces the first. */
	ok(entry_decode(sb.buf + 6, first - 6, 0, &d, &vb, &why) == 0 &&
		   entry_decode(sb.buf + 6, first - 6, 0, &d, &vb, &why) == 0 &&
		   vb.len == sizeof(text) && d.value == vb.buf,
	   "value_buf holds exactly the last decompressed value");
	strbuf_release(&sb);
	strbuf_release(&vb);
}

/* Reused zstd contexts give the same bytes, and survive hostile frames. */
static void
test_zctx(void)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, vb = STRBUF_INIT, bad = STRBUF_INIT;
	struct entry_zctx *z = entry_zctx_new();
	unsigned char text[5000];
	struct cache_entry e = { "zkey", 4, text, sizeof(text), T0, 7 }, d;
	const char *why = NULL;
	int i, good = 0;

	fill_text(text, sizeof(text));
	entry_encode(&e, &a);
	entry_encode_z(z, &e, &b);
	entry_encode_z(z, &e, &b);
	ok(b.len == 2 * a.len && memcmp(a.buf, b.buf, a.len) == 0 &&
		   memcmp(a.buf, b.buf + a.len, a.len) == 0,
	   "encoding with a reused context gives the same bytes, twice");
	/* A frame with one corrupt byte inside, re-signed so zstd has to judge it. */
	strbuf_add(&bad, a.buf, a.len);
	bad.buf[bad.len - 5] ^= 0x55;
	fix_sum((unsigned char *)bad.buf, bad.len);
	for (i = 0; i < 3; i++) {
		if (entry_decode_z(z, bad.buf, bad.len, 0, &d, &vb, &why) == 0)
			tap_diag("corrupt frame accepted (%zu bytes)", d.value_len);
		if (entry_decode_z(z, a.buf, a.len, 0, &d, &vb, &why) == 0 &&
		    d.value_len == sizeof(text) && memcmp(d.value, text, sizeof(text)) == 0 &&
		    d.expires_ms == 7)
			good++;
	}
	is_int(good, 3, "a reused context decodes after refusing a corrupt frame");
	ok(entry_decode_z(NULL, a.buf, a.len, 0, &d, &vb, &why) == 0 &&
		   d.value_len == sizeof(text),
	   "a NULL context works too");
	entry_zctx_free(z);
	entry_zctx_free(NULL);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&vb);
	strbuf_release(&bad);
}

/* ---------------------------------------------------------------- corruption */

/* Every single-byte change of buf is refused (and never yields another value). */
static void
flip_every_byte(const char *name, const unsigned char *buf, size_t len)
{
	static const unsigned char masks[] = { 0x01, 0x02, 0x10, 0x80, 0xff, 0x5a };
	struct strbuf vb = STRBUF_INIT;
	unsigned char *copy = xmalloc(len);
	struct cache_entry d;
	const char *why = NULL;
	size_t pos, m, refused = 0, tried = 0;

	for (pos = 0; pos < len; pos++) {
		for (m = 0; m < sizeof(masks); m++) {
			memcpy(copy, buf, len);
			copy[pos] ^= masks[m];
			tried++;
			why = NULL;
			if (entry_decode(copy, len, 0, &d, &vb, &why) < 0 && why != NULL)
				refused++;
			else
				tap_diag("%s: flip 0x%02x at %zu was accepted", name, masks[m],
					 pos);
		}
	}
	is_int((long long)refused, (long long)tried, name);
	free(copy);
	strbuf_release(&vb);
}

static void
test_flips(void)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char text[1500];

	encode(&sb, "key", "value-1234", 10, T0, T0 + 1000);
	flip_every_byte("every flip of a small entry is refused", (unsigned char *)sb.buf,
			sb.len);
	fill_text(text, sizeof(text));
	encode(&sb, "zkey", text, sizeof(text), T0, 0);
	ok(sb.buf[OFF_FLAGS] == 1, "the 1500-byte text is compressed (%zu bytes)", sb.len);
	flip_every_byte("every flip of a compressed entry is refused", (unsigned char *)sb.buf,
			sb.len);
	strbuf_release(&sb);
}

static void
test_truncation(void)
{
	struct strbuf sb = STRBUF_INIT, vb = STRBUF_INIT;
	struct cache_entry d;
	unsigned char text[2000];
	const char *why = NULL;
	size_t n, refused = 0, wrong_reason = 0;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 0) {
			encode(&sb, "key", "value-1234", 10, T0, 0);
		} else {
			fill_text(text, sizeof(text));
			encode(&sb, "key", text, sizeof(text), T0, 0);
		}
		refused = wrong_reason = 0;
		for (n = 0; n < sb.len; n++) {
			if (decode_exact(sb.buf, n, 0, &d, &vb, &why) < 0)
				refused++;
			if (why == NULL || strcmp(why, "truncated") != 0)
				wrong_reason++;
		}
		is_int((long long)refused, (long long)sb.len,
		       pass ? "every truncation of a compressed entry is refused"
			    : "every truncation of an entry is refused");
		is_int((long long)wrong_reason, 0, "... each as \"truncated\"");
		strbuf_addch(&sb, 'x');
		is_int(decode_exact(sb.buf, sb.len, 0, &d, &vb, &why), -1,
		       "one trailing byte is refused");
		is_str(why, "trailing bytes", "... as trailing bytes");
	}
	is_int(entry_decode("", 0, 0, &d, &vb, &why), -1, "zero bytes are refused");
	is_int(entry_decode("XYZ", 3, 0, &d, &vb, &why), -1, "three foreign bytes are refused");
	is_str(why, "bad magic", "... as bad magic");
	strbuf_release(&sb);
	strbuf_release(&vb);
}

/* Edits a header field of a valid entry, re-signs it and returns the reason it is refused. */
static const char *
refuse_edit(struct strbuf *sb, int off, int width, uint64_t v, size_t max_value,
	    struct strbuf *vb)
{
	unsigned char *copy = xmalloc(sb->len);
	struct cache_entry d;
	const char *why = NULL;
	int r;

	memcpy(copy, sb->buf, sb->len);
	put_le(copy + off, v, width);
	fix_sum(copy, sb->len);
	r = entry_decode(copy, sb->len, max_value, &d, vb, &why);
	free(copy);
	return r < 0 ? why : "accepted";
}

static void
test_hostile_headers(void)
{
	struct strbuf sb = STRBUF_INIT, vb = STRBUF_INIT, two = STRBUF_INIT;
	struct cache_entry d;
	unsigned char text[1024];
	const char *why = NULL;
	size_t zstart;

	encode(&sb, "key", "value-1234", 10, T0, 0);
	is_str(refuse_edit(&sb, 0, 1, 'X', 0, &vb), "bad magic", "bad magic");
	is_str(refuse_edit(&sb, 4, 1, 2, 0, &vb), "unsupported version", "version 2");
	is_str(refuse_edit(&sb, 4, 1, 0, 0, &vb), "unsupported version", "version 0");
	is_str(refuse_edit(&sb, OFF_FLAGS, 1, 0x02, 0, &vb), "unknown flags", "flag bit 1");
	is_str(refuse_edit(&sb, OFF_FLAGS, 1, 0x80, 0, &vb), "unknown flags", "flag bit 7");
	is_str(refuse_edit(&sb, OFF_RESERVED, 2, 0x100, 0, &vb), "reserved field not zero",
	       "reserved bits");
	is_str(refuse_edit(&sb, OFF_KEY_LEN, 4, 0, 0, &vb), "empty key", "key_len 0");
	is_str(refuse_edit(&sb, OFF_KEY_LEN, 4, UINT32_MAX, 0, &vb), "truncated",
	       "key_len 4 GiB");
	is_str(refuse_edit(&sb, OFF_KEY_LEN, 4, 4, 0, &vb), "truncated", "key_len one more");
	is_str(refuse_edit(&sb, OFF_KEY_LEN, 4, 2, 0, &vb), "trailing bytes", "key_len one less");
	is_str(refuse_edit(&sb, OFF_STORED_LEN, 8, UINT64_MAX, 0, &vb),
	       "stored length mismatch", "stored_len 2^64-1 uncompressed");
	is_str(refuse_edit(&sb, OFF_VALUE_LEN, 8, 11, 0, &vb), "stored length mismatch",
	       "value_len differs from stored_len");
	is_str(refuse_edit(&sb, OFF_FLAGS, 1, 1, 0, &vb), "bad compressed value",
	       "zstd flag on plain bytes");
	is_str(refuse_edit(&sb, OFF_VALUE_LEN, 8, UINT64_MAX, 0, &vb),
	       "stored length mismatch", "value_len 2^64-1");
	is_str(refuse_edit(&sb, 0, 0, 0, 5, &vb), "value too large",
	       "a 10-byte value over max_value 5");
	is_str(refuse_edit(&sb, 0, 0, 0, 10, &vb), "accepted", "a 10-byte value at max_value 10");

	/* A compressed entry whose header promises 1 TiB: refused before allocating. */
	fill_text(text, sizeof(text));
	encode(&sb, "key", text, sizeof(text), T0, 0);
	is_str(refuse_edit(&sb, OFF_VALUE_LEN, 8, UINT64_C(1) << 40, 0, &vb), "value too large",
	       "compressed value_len 1 TiB");
	is_str(refuse_edit(&sb, OFF_VALUE_LEN, 8, UINT64_MAX, 0, &vb), "value too large",
	       "compressed value_len 2^64-1");
	is_int((long long)vb.alloc, 0, "... and nothing was allocated for them");
	is_str(refuse_edit(&sb, OFF_VALUE_LEN, 8, 2000, 0, &vb), "compressed size mismatch",
	       "value_len disagrees with the frame");
	is_str(refuse_edit(&sb, OFF_VALUE_LEN, 8, 1023, 0, &vb), "compressed size mismatch",
	       "value_len one short of the frame");
	is_str(refuse_edit(&sb, 0, 0, 0, 1000, &vb), "value too large",
	       "a 1024-byte compressed value over max_value 1000");
	is_str(refuse_edit(&sb, OFF_FLAGS, 1, 0, 0, &vb), "stored length mismatch",
	       "a compressed value without its flag");

	/* Two frames where one was promised: the second must not be decoded. */
	zstart = ENTRY_HEADER_SIZE + 3;
	strbuf_add(&two, sb.buf, sb.len);
	strbuf_add(&two, sb.buf + zstart, sb.len - zstart);
	put_le((unsigned char *)two.buf + OFF_STORED_LEN, 2 * (sb.len - zstart), 8);
	fix_sum((unsigned char *)two.buf, two.len);
	if (entry_decode(two.buf, two.len, 0, &d, &vb, &why) == 0)
		why = "accepted";
	is_str(why, "bad compressed value", "two concatenated zstd frames are refused");
	strbuf_release(&two);
	strbuf_release(&sb);
	strbuf_release(&vb);
}

static void
test_peek(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct cache_entry d;
	unsigned char text[5000];
	const char *why = NULL;

	fill_text(text, sizeof(text));
	encode(&sb, "peek-key", text, sizeof(text), T0, T0 + 5);
	ok(entry_peek(sb.buf, sb.len, &d, &why) == 0 && d.created_ms == T0 &&
		   d.expires_ms == T0 + 5 && d.value_len == sizeof(text) && d.key_len == 8 &&
		   d.key != NULL && memcmp(d.key, "peek-key", 8) == 0 && d.value == NULL,
	   "peek on a whole entry: times, lengths and key, no value");
	ok(entry_peek(sb.buf, ENTRY_HEADER_SIZE, &d, &why) == 0 && d.key == NULL &&
		   d.key_len == 8 && d.value_len == sizeof(text) && d.expires_ms == T0 + 5,
	   "peek on the header alone: times and lengths, key NULL");
	ok(entry_peek(sb.buf, ENTRY_HEADER_SIZE - 1, &d, &why) < 0 &&
		   strcmp(why, "truncated") == 0,
	   "peek on less than a header: truncated");
	sb.buf[OFF_FLAGS] = 4;
	ok(entry_peek(sb.buf, sb.len, &d, &why) < 0 && strcmp(why, "unknown flags") == 0,
	   "peek refuses unknown flags");
	sb.buf[0] = 'x';
	ok(entry_peek(sb.buf, sb.len, &d, &why) < 0 && strcmp(why, "bad magic") == 0,
	   "peek refuses a bad magic");
	strbuf_release(&sb);
}

/* ---------------------------------------------------------------- run records */

static int
run_equal(const struct run_record *a, const struct run_record *b)
{
	size_t i;

	if (a->exit_status != b->exit_status || a->out_len != b->out_len ||
	    a->err_len != b->err_len || a->nfiles != b->nfiles ||
	    memcmp(a->out, b->out, a->out_len) != 0 || memcmp(a->err, b->err, a->err_len) != 0)
		return 0;
	for (i = 0; i < a->nfiles; i++) {
		const struct run_file *f = &a->files[i], *g = &b->files[i];

		if (f->path_len != g->path_len || memcmp(f->path, g->path, f->path_len) != 0 ||
		    f->mode != g->mode || f->len != g->len ||
		    (f->len && memcmp(f->data, g->data, f->len) != 0))
			return 0;
	}
	return 1;
}

static const struct run_file sample_files[3] = {
	{ "out/a.o", 7, 0644, "\x7f" "ELF\0\0\1\2", 8 },
	{ "/tmp/abs path", 13, 0755, "", 0 },
	{ "b\xc3\xa9.txt", 7, 0600, "line\n\0tail", 10 },
};

static void
test_run_records(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct run_record r = { 0 }, d;
	const char *why = NULL;
	size_t n, refused;

	for (n = 0; n <= 3; n++) {
		r.exit_status = n == 2 ? -9 : (int)n;
		r.out = n == 1 ? "" : "compiled\n\0bin";
		r.out_len = n == 1 ? 0 : 13;
		r.err = "warn: x\n";
		r.err_len = n == 3 ? 0 : 8;
		r.files = (struct run_file *)sample_files;
		r.nfiles = n;
		strbuf_reset(&sb);
		run_record_encode(&r, &sb);
		memset(&d, 0, sizeof(d));
		ok(run_record_decode(sb.buf, sb.len, &d, &why) == 0 && run_equal(&r, &d),
		   "run record with %zu files round-trips", n);
		if (n == 0)
			ok(d.files == NULL, "... with no file array");
		else
			free(d.files);
	}

	/* sb holds the 3-file record now. */
	refused = 0;
	for (n = 0; n < sb.len; n++) {
		char *copy = xmalloc(n ? n : 1);

		memcpy(copy, sb.buf, n);
		if (run_record_decode(copy, n, &d, &why) < 0)
			refused++;
		free(copy);
	}
	is_int((long long)refused, (long long)sb.len, "every truncated run record is refused");
	strbuf_addch(&sb, 0);
	ok(run_record_decode(sb.buf, sb.len, &d, &why) < 0 && strcmp(why, "trailing bytes") == 0,
	   "a trailing byte is refused");
	strbuf_setlen(&sb, sb.len - 1);

	/* The first file's fields start at 4 + 4 + 4 + 8 + 13 + 8 + 0 = 41. */
	sb.buf[41 + 4 + 3] = '\0';
	ok(run_record_decode(sb.buf, sb.len, &d, &why) < 0 &&
		   strcmp(why, "NUL byte in path") == 0,
	   "a path with a NUL byte is refused");
	sb.buf[41 + 4 + 3] = '/';
	put_le((unsigned char *)sb.buf + 41 + 4 + 7, 04755, 4);
	ok(run_record_decode(sb.buf, sb.len, &d, &why) < 0 && strcmp(why, "bad file mode") == 0,
	   "a setuid mode is refused");
	put_le((unsigned char *)sb.buf + 41 + 4 + 7, 0644, 4);
	ok(run_record_decode(sb.buf, sb.len, &d, &why) == 0, "restored record decodes");
	free(d.files);

	put_le((unsigned char *)sb.buf + 8, UINT32_MAX, 4);
	ok(run_record_decode(sb.buf, sb.len, &d, &why) < 0 && strcmp(why, "truncated") == 0,
	   "nfiles 4294967295 is refused without allocating");
	put_le((unsigned char *)sb.buf + 8, 4, 4);
	ok(run_record_decode(sb.buf, sb.len, &d, &why) < 0, "nfiles one too many is refused");
	put_le((unsigned char *)sb.buf + 8, 2, 4);
	ok(run_record_decode(sb.buf, sb.len, &d, &why) < 0 && strcmp(why, "trailing bytes") == 0,
	   "nfiles one too few leaves trailing bytes");
	put_le((unsigned char *)sb.buf + 8, 3, 4);
	put_le((unsigned char *)sb.buf + 12, UINT64_MAX, 8);
	ok(run_record_decode(sb.buf, sb.len, &d, &why) < 0 && strcmp(why, "truncated") == 0,
	   "stdout_len 2^64-1 is refused");
	put_le((unsigned char *)sb.buf + 41, 0, 4);
	put_le((unsigned char *)sb.buf + 12, 13, 8);
	ok(run_record_decode(sb.buf, sb.len, &d, &why) < 0 && strcmp(why, "empty path") == 0,
	   "an empty path is refused");
	ok(run_record_decode("CCE1", 4, &d, &why) < 0 && strcmp(why, "bad magic") == 0,
	   "an entry's magic is not a run record");
	strbuf_release(&sb);
}

/* A run record travels as an entry's value, compressed when large. */
static void
test_run_in_entry(void)
{
	struct strbuf rec = STRBUF_INIT, ent = STRBUF_INIT, vb = STRBUF_INIT;
	struct run_file f = { "big.txt", 7, 0644, NULL, 8000 };
	struct run_record r = { 0, "ok\n", 3, "", 0, &f, 1 }, d;
	struct cache_entry e = { "run:abc", 7, NULL, 0, T0, 0 }, de;
	unsigned char text[8000];
	const char *why = NULL;

	fill_text(text, sizeof(text));
	f.data = text;
	run_record_encode(&r, &rec);
	e.value = rec.buf;
	e.value_len = rec.len;
	entry_encode(&e, &ent);
	ok(ent.len < rec.len, "a text-heavy run record is stored compressed");
	ok(entry_decode(ent.buf, ent.len, 0, &de, &vb, &why) == 0 &&
		   run_record_decode(de.value, de.value_len, &d, &why) == 0 && run_equal(&r, &d),
	   "run record through an entry round-trips");
	free(d.files);
	strbuf_release(&rec);
	strbuf_release(&ent);
	strbuf_release(&vb);
}

/* ---------------------------------------------------------------- bench and seeds */

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Encode and decode times of one value, as a diagnostic. */
static void
bench_one(const char *name, const void *value, size_t value_len, int iters,
	  struct entry_zctx *z)
{
	struct strbuf sb = STRBUF_INIT, vb = STRBUF_INIT;
	struct cache_entry e = { "bench:0123456789abcdef", 22, value, value_len, T0, 0 }, d;
	const char *why = NULL;
	double t0, t1, t2;
	int i, bad = 0;

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		strbuf_reset(&sb);
		entry_encode_z(z, &e, &sb);
	}
	t1 = now_ns();
	for (i = 0; i < iters; i++)
		bad += entry_decode_z(z, sb.buf, sb.len, 0, &d, &vb, &why) != 0;
	t2 = now_ns();
	tap_diag("%s%s: encode %.0f ns/op, decode %.0f ns/op (%zu bytes stored, %d bad)", name,
		 z ? " (reused zstd contexts)" : "",
		 (t1 - t0) / iters, (t2 - t1) / iters, sb.len, bad);
	strbuf_release(&sb);
	strbuf_release(&vb);
}

/* CACHE_ENTRY_BENCH=1: codec speed for the sizes the benchmark and real caches use. */
static void
bench(void)
{
	static unsigned char value[65536];

	struct entry_zctx *z = entry_zctx_new();

	fill_random(value, 100, 1);
	bench_one("100-byte value", value, 100, 2000000, NULL);
	fill_random(value, 1000, 1);
	bench_one("1000-byte random value", value, 1000, 500000, NULL);
	fill_text(value, 4096);
	bench_one("4 KiB text value (zstd)", value, 4096, 20000, NULL);
	bench_one("4 KiB text value (zstd)", value, 4096, 50000, z);
	fill_text(value, sizeof(value));
	bench_one("64 KiB text value (zstd)", value, sizeof(value), 2000, NULL);
	bench_one("64 KiB text value (zstd)", value, sizeof(value), 5000, z);
	entry_zctx_free(z);
}

static void
write_seed(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		tap_diag("cannot write %s", path);
}

/* CACHE_ENTRY_SEEDS=DIR: writes the fuzz seeds (tests/fuzz/corpus/cache-entry). */
static void
write_seeds(const char *dir)
{
	struct strbuf sb = STRBUF_INIT, rec = STRBUF_INIT;
	struct run_record r = { 0, "out\n", 4, "err\n", 4, (struct run_file *)sample_files, 3 };
	struct cache_entry e = { "run:key", 7, NULL, 0, T0, T0 + 3600000 };
	unsigned char text[2048];

	encode(&sb, "key", "value-1234", 10, T0, 0);
	write_seed(dir, "small", sb.buf, sb.len);
	encode(&sb, "k", "", 0, T0, T0 + 1);
	write_seed(dir, "empty-value", sb.buf, sb.len);
	fill_text(text, sizeof(text));
	encode(&sb, "text", text, sizeof(text), T0, 0);
	write_seed(dir, "compressed", sb.buf, sb.len);
	run_record_encode(&r, &rec);
	e.value = rec.buf;
	e.value_len = rec.len;
	strbuf_reset(&sb);
	entry_encode(&e, &sb);
	write_seed(dir, "run-3-files", sb.buf, sb.len);
	write_seed(dir, "raw-run-record", rec.buf, rec.len);
	strbuf_reset(&rec);
	r.nfiles = 0;
	r.exit_status = 0;
	run_record_encode(&r, &rec);
	e.value = rec.buf;
	e.value_len = rec.len;
	strbuf_reset(&sb);
	entry_encode(&e, &sb);
	write_seed(dir, "run-0-files", sb.buf, sb.len);
	strbuf_release(&sb);
	strbuf_release(&rec);
}

int
main(void)
{
	const char *env;

	test_round_trips();
	test_append_and_reuse();
	test_zctx();
	test_flips();
	test_truncation();
	test_hostile_headers();
	test_peek();
	test_run_records();
	test_run_in_entry();
	env = getenv("CACHE_ENTRY_BENCH");
	if (env != NULL && *env != '\0')
		bench();
	env = getenv("CACHE_ENTRY_SEEDS");
	if (env != NULL && *env != '\0')
		write_seeds(env);
	return tap_done();
}
