/* entry.c: encodes and checks the bytes of a cache entry and of a `run` record, which may come from a corrupt disk or a shared Redis. */
#include "cmd/cache/entry.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>

#include "libcommon/xalloc.h"

/* Byte offsets of the header fields (see entry.h). */
#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_FLAGS 5
#define OFF_RESERVED 6
#define OFF_CREATED 8
#define OFF_EXPIRES 16
#define OFF_KEY_LEN 24
#define OFF_VALUE_LEN 28
#define OFF_STORED_LEN 36
#define OFF_CHECKSUM 44

#define ENTRY_VERSION 1
#define FLAG_ZSTD 0x01
#define FLAGS_KNOWN FLAG_ZSTD
#define ZSTD_LEVEL 1
/* 0 as max_value: the largest value the format is meant for. */
#define DEFAULT_MAX_VALUE (UINT64_C(4) << 30)
/*
 * Entries up to this size are checksummed through one copy on the stack:
 * one XXH3 call beats the streaming state for the small values that
 * dominate a cache (the result is the same).
 */
#define SUM_STACK_MAX 4096

#define RUN_MAGIC "CCR1"
/* A file costs at least its three fixed fields and one path byte. */
#define RUN_FILE_MIN (4 + 4 + 8 + 1)
#define RUN_MODE_MASK 0777u

static void
put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t
get_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t
get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Two's complement both ways without implementation-defined conversions. */
static uint64_t
i64_to_u64(int64_t v)
{
	return (uint64_t)v;
}

static int64_t
u64_to_i64(uint64_t v)
{
	if (v <= (uint64_t)INT64_MAX)
		return (int64_t)v;
	return -(int64_t)(~v) - 1;
}

static int32_t
u32_to_i32(uint32_t v)
{
	if (v <= (uint32_t)INT32_MAX)
		return (int32_t)v;
	return -(int32_t)(~v) - 1;
}

/* Makes n more bytes of sb its own (contents left to the caller to fill). */
static unsigned char *
extend(struct strbuf *sb, size_t n)
{
	unsigned char *at;

	strbuf_grow(sb, n);
	at = (unsigned char *)sb->buf + sb->len;
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return at;
}

/* XXH3-64 of the entry p[0, len) without its checksum field. */
static uint64_t
entry_sum(const unsigned char *p, size_t len)
{
	unsigned char tmp[SUM_STACK_MAX];
	XXH3_state_t *st;
	uint64_t sum;

	if (len - 8 <= sizeof(tmp)) {
		memcpy(tmp, p, OFF_CHECKSUM);
		memcpy(tmp + OFF_CHECKSUM, p + ENTRY_HEADER_SIZE, len - ENTRY_HEADER_SIZE);
		return XXH3_64bits(tmp, len - 8);
	}
	st = XXH3_createState();
	if (st == NULL)
		xmalloc(SIZE_MAX); /* reports out of memory and exits */
	XXH3_64bits_reset(st);
	XXH3_64bits_update(st, p, OFF_CHECKSUM);
	XXH3_64bits_update(st, p + ENTRY_HEADER_SIZE, len - ENTRY_HEADER_SIZE);
	sum = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return sum;
}

struct entry_zctx {
	ZSTD_CCtx *cctx;   /* created on first use */
	ZSTD_DCtx *dctx;
};

struct entry_zctx *
entry_zctx_new(void)
{
	return xcalloc(1, sizeof(struct entry_zctx));
}

void
entry_zctx_free(struct entry_zctx *z)
{
	if (z == NULL)
		return;
	ZSTD_freeCCtx(z->cctx);
	ZSTD_freeDCtx(z->dctx);
	free(z);
}

/*
 * Compresses the value into out after its current end; returns the
 * compressed size, or 0 when that would not make it smaller.
 */
static size_t
compress_value(struct entry_zctx *z, const struct cache_entry *e, struct strbuf *out)
{
	size_t bound = ZSTD_compressBound(e->value_len);
	size_t n;

	if (ZSTD_isError(bound))
		return 0;
	strbuf_grow(out, bound);
	if (z != NULL && z->cctx == NULL)
		z->cctx = ZSTD_createCCtx();
	if (z != NULL && z->cctx != NULL)
		n = ZSTD_compressCCtx(z->cctx, out->buf + out->len, bound, e->value,
				      e->value_len, ZSTD_LEVEL);
	else
		n = ZSTD_compress(out->buf + out->len, bound, e->value, e->value_len,
				  ZSTD_LEVEL);
	if (ZSTD_isError(n) || n >= e->value_len)
		return 0;
	return n;
}

void
entry_encode(const struct cache_entry *e, struct strbuf *out)
{
	entry_encode_z(NULL, e, out);
}

void
entry_encode_z(struct entry_zctx *z, const struct cache_entry *e, struct strbuf *out)
{
	size_t start = out->len, stored = 0;
	unsigned char *h;
	unsigned flags = 0;

	/* Decode refuses key_len 0, the likeliest value of a zeroed header. */
	assert(e->key_len > 0 && e->key_len <= UINT32_MAX);
	strbuf_grow(out, ENTRY_HEADER_SIZE + e->key_len);
	extend(out, ENTRY_HEADER_SIZE);
	strbuf_add(out, e->key, e->key_len);
	if (e->value_len >= ENTRY_COMPRESS_MIN) {
		stored = compress_value(z, e, out);
		if (stored > 0) {
			flags |= FLAG_ZSTD;
			extend(out, stored);
		}
	}
	if (!(flags & FLAG_ZSTD)) {
		stored = e->value_len;
		strbuf_add(out, e->value, e->value_len);
	}

	h = (unsigned char *)out->buf + start;
	memcpy(h + OFF_MAGIC, "CCE1", 4);
	h[OFF_VERSION] = ENTRY_VERSION;
	h[OFF_FLAGS] = (unsigned char)flags;
	put_u16(h + OFF_RESERVED, 0);
	put_u64(h + OFF_CREATED, i64_to_u64(e->created_ms));
	put_u64(h + OFF_EXPIRES, i64_to_u64(e->expires_ms));
	put_u32(h + OFF_KEY_LEN, (uint32_t)e->key_len);
	put_u64(h + OFF_VALUE_LEN, (uint64_t)e->value_len);
	put_u64(h + OFF_STORED_LEN, (uint64_t)stored);
	put_u64(h + OFF_CHECKSUM, entry_sum(h, out->len - start));
}

/*
 * The header checks shared by decode and peek. With exact set, len must be
 * the whole entry; otherwise buf may be just a prefix of it.
 */
static int
check_header(const unsigned char *p, size_t len, bool exact, struct cache_entry *out,
	     uint64_t *stored_len, unsigned *flags, const char **why)
{
	uint64_t key_len, value_len, stored, rest;

	if (len < ENTRY_HEADER_SIZE) {
		/* A short prefix of something else is still not ours. */
		*why = len > 0 && memcmp(p, "CCE1", len < 4 ? len : 4) != 0 ? "bad magic" :
									     "truncated";
		return -1;
	}
	if (memcmp(p + OFF_MAGIC, "CCE1", 4) != 0) {
		*why = "bad magic";
		return -1;
	}
	if (p[OFF_VERSION] != ENTRY_VERSION) {
		*why = "unsupported version";
		return -1;
	}
	if (p[OFF_FLAGS] & ~FLAGS_KNOWN) {
		*why = "unknown flags";
		return -1;
	}
	if (get_u16(p + OFF_RESERVED) != 0) {
		*why = "reserved field not zero";
		return -1;
	}
	key_len = get_u32(p + OFF_KEY_LEN);
	value_len = get_u64(p + OFF_VALUE_LEN);
	stored = get_u64(p + OFF_STORED_LEN);
	if (key_len == 0) {
		*why = "empty key";
		return -1;
	}
	if (!(p[OFF_FLAGS] & FLAG_ZSTD) && stored != value_len) {
		*why = "stored length mismatch";
		return -1;
	}
	/* Lengths compared by subtraction: a huge field cannot wrap around. */
	rest = (uint64_t)(len - ENTRY_HEADER_SIZE);
	if (exact) {
		if (key_len > rest || stored > rest - key_len) {
			*why = "truncated";
			return -1;
		}
		if (stored < rest - key_len) {
			*why = "trailing bytes";
			return -1;
		}
	} else if (stored > UINT64_MAX - ENTRY_HEADER_SIZE - key_len) {
		*why = "bad length";
		return -1;
	}
	out->key = key_len <= rest ? (const char *)p + ENTRY_HEADER_SIZE : NULL;
	out->key_len = (size_t)key_len;
	out->value = NULL;
	out->value_len = (size_t)value_len;
#if SIZE_MAX < UINT64_MAX
	if (value_len > SIZE_MAX) {
		*why = "value too large";
		return -1;
	}
#endif
	out->created_ms = u64_to_i64(get_u64(p + OFF_CREATED));
	out->expires_ms = u64_to_i64(get_u64(p + OFF_EXPIRES));
	*stored_len = stored;
	*flags = p[OFF_FLAGS];
	return 0;
}

int
entry_peek(const void *buf, size_t len, struct cache_entry *out, const char **why)
{
	struct cache_entry e;
	uint64_t stored;
	unsigned flags;

	if (check_header(buf, len, false, &e, &stored, &flags, why) < 0)
		return -1;
	*out = e;
	return 0;
}

/* Inflates the one zstd frame src[0, n) of exactly want bytes into value_buf. */
static int
decompress_value(struct entry_zctx *z, const unsigned char *src, size_t n, size_t want,
		 struct strbuf *value_buf, const char **why)
{
	unsigned long long content = ZSTD_getFrameContentSize(src, n);
	size_t got;

	if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN) {
		*why = "bad compressed value";
		return -1;
	}
	if (content != want) {
		*why = "compressed size mismatch";
		return -1;
	}
	/* A second frame after the first would decode more than was promised. */
	got = ZSTD_findFrameCompressedSize(src, n);
	if (ZSTD_isError(got) || got != n) {
		*why = "bad compressed value";
		return -1;
	}
	strbuf_reset(value_buf);
	if (z != NULL && z->dctx == NULL)
		z->dctx = ZSTD_createDCtx();
	if (z != NULL && z->dctx != NULL)
		got = ZSTD_decompressDCtx(z->dctx, extend(value_buf, want), want, src, n);
	else
		got = ZSTD_decompress(extend(value_buf, want), want, src, n);
	if (ZSTD_isError(got) || got != want) {
		strbuf_reset(value_buf);
		*why = ZSTD_isError(got) ? "bad compressed value" : "compressed size mismatch";
		return -1;
	}
	return 0;
}

int
entry_decode(const void *buf, size_t len, size_t max_value, struct cache_entry *out,
	     struct strbuf *value_buf, const char **why)
{
	return entry_decode_z(NULL, buf, len, max_value, out, value_buf, why);
}

int
entry_decode_z(struct entry_zctx *z, const void *buf, size_t len, size_t max_value,
	       struct cache_entry *out, struct strbuf *value_buf, const char **why)
{
	const unsigned char *p = buf;
	const unsigned char *stored_at;
	struct cache_entry e;
	uint64_t stored, limit = max_value ? (uint64_t)max_value : DEFAULT_MAX_VALUE;
	unsigned flags;

	if (check_header(p, len, true, &e, &stored, &flags, why) < 0)
		return -1;
	if (get_u64(p + OFF_CHECKSUM) != entry_sum(p, len)) {
		*why = "checksum mismatch";
		return -1;
	}
	if ((uint64_t)e.value_len > limit) {
		*why = "value too large";
		return -1;
	}
	stored_at = p + ENTRY_HEADER_SIZE + e.key_len;
	if (flags & FLAG_ZSTD) {
		if (decompress_value(z, stored_at, (size_t)stored, e.value_len, value_buf,
				     why) < 0)
			return -1;
		e.value = value_buf->buf;
	} else {
		e.value = stored_at;
	}
	*out = e;
	return 0;
}

/* ---------------------------------------------------------------- run records */

static void
add_u32(struct strbuf *out, uint32_t v)
{
	unsigned char b[4];

	put_u32(b, v);
	strbuf_add(out, b, sizeof(b));
}

static void
add_u64(struct strbuf *out, uint64_t v)
{
	unsigned char b[8];

	put_u64(b, v);
	strbuf_add(out, b, sizeof(b));
}

void
run_record_encode(const struct run_record *r, struct strbuf *out)
{
	size_t i;

	assert(r->nfiles <= UINT32_MAX);
	strbuf_add(out, RUN_MAGIC, 4);
	add_u32(out, (uint32_t)r->exit_status);
	add_u32(out, (uint32_t)r->nfiles);
	add_u64(out, (uint64_t)r->out_len);
	strbuf_add(out, r->out, r->out_len);
	add_u64(out, (uint64_t)r->err_len);
	strbuf_add(out, r->err, r->err_len);
	for (i = 0; i < r->nfiles; i++) {
		const struct run_file *f = &r->files[i];

		/* Decode refuses these, so never write them. */
		assert(f->path_len > 0 && f->path_len <= UINT32_MAX);
		assert(memchr(f->path, '\0', f->path_len) == NULL);
		assert((f->mode & ~RUN_MODE_MASK) == 0);
		add_u32(out, (uint32_t)f->path_len);
		strbuf_add(out, f->path, f->path_len);
		add_u32(out, f->mode);
		add_u64(out, (uint64_t)f->len);
		strbuf_add(out, f->data, f->len);
	}
}

/* A cursor over untrusted bytes: every take checks what is left first. */
struct reader {
	const unsigned char *p;
	size_t left;
};

static int
take(struct reader *rd, size_t n, const unsigned char **at)
{
	if (n > rd->left)
		return -1;
	*at = rd->p;
	rd->p += n;
	rd->left -= n;
	return 0;
}

static int
take_u32(struct reader *rd, uint32_t *v)
{
	const unsigned char *at;

	if (take(rd, 4, &at) < 0)
		return -1;
	*v = get_u32(at);
	return 0;
}

/* A u64 length followed by that many bytes. */
static int
take_blob(struct reader *rd, const void **data, size_t *len)
{
	const unsigned char *at;
	uint64_t n;

	if (take(rd, 8, &at) < 0)
		return -1;
	n = get_u64(at);
	if (n > rd->left || take(rd, (size_t)n, &at) < 0)
		return -1;
	*data = at;
	*len = (size_t)n;
	return 0;
}

static int
take_file(struct reader *rd, struct run_file *f, const char **why)
{
	const unsigned char *at;
	uint32_t n;

	*why = "truncated";
	if (take_u32(rd, &n) < 0 || take(rd, n, &at) < 0)
		return -1;
	if (n == 0) {
		*why = "empty path";
		return -1;
	}
	if (memchr(at, '\0', n) != NULL) {
		*why = "NUL byte in path";
		return -1;
	}
	f->path = (const char *)at;
	f->path_len = n;
	if (take_u32(rd, &f->mode) < 0)
		return -1;
	if (f->mode & ~RUN_MODE_MASK) {
		*why = "bad file mode";
		return -1;
	}
	return take_blob(rd, &f->data, &f->len);
}

int
run_record_decode(const void *buf, size_t len, struct run_record *out, const char **why)
{
	struct reader rd = { buf, len };
	const unsigned char *at;
	struct run_record r = { 0 };
	uint32_t status, nfiles;
	size_t i;

	if (take(&rd, 4, &at) < 0 || memcmp(at, RUN_MAGIC, 4) != 0) {
		*why = len < 4 && (len == 0 || memcmp(buf, RUN_MAGIC, len) == 0) ? "truncated" :
										   "bad magic";
		return -1;
	}
	*why = "truncated";
	if (take_u32(&rd, &status) < 0 || take_u32(&rd, &nfiles) < 0 ||
	    take_blob(&rd, &r.out, &r.out_len) < 0 || take_blob(&rd, &r.err, &r.err_len) < 0)
		return -1;
	r.exit_status = u32_to_i32(status);
	/* The count is believed only as far as the bytes left can hold. */
	if (nfiles > rd.left / RUN_FILE_MIN)
		return -1;
	r.nfiles = nfiles;
	if (nfiles > 0)
		r.files = xcalloc(nfiles, sizeof(*r.files));
	for (i = 0; i < r.nfiles; i++) {
		if (take_file(&rd, &r.files[i], why) < 0)
			goto fail;
	}
	if (rd.left != 0) {
		*why = "trailing bytes";
		goto fail;
	}
	*out = r;
	return 0;
fail:
	free(r.files);
	return -1;
}
