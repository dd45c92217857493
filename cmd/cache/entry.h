/* entry.h: the bytes of one cache entry on disk or in Redis: key, value, times, checksum. */
#ifndef CODE_CACHE_ENTRY_H
#define CODE_CACHE_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/strbuf.h"

/*
 * Layout (little-endian), designed so a torn or flipped entry is always
 * detected and never read as another value:
 *   magic "CCE1" | u8 version (1) | u8 flags (bit 0: zstd) | u16 reserved 0
 *   i64 created_ms | i64 expires_ms (0: never) | u32 key_len
 *   u64 value_len (decoded) | u64 stored_len (bytes that follow the key)
 *   u64 checksum: XXH3-64 of everything before it and everything after it
 *   key bytes | stored value bytes
 * Values of 1 KiB and more are zstd-compressed (level 1) when that makes
 * them smaller.
 */
#define ENTRY_COMPRESS_MIN 1024
#define ENTRY_HEADER_SIZE 52

struct cache_entry {
	const char *key;
	size_t key_len;
	const void *value;
	size_t value_len;
	int64_t created_ms;
	int64_t expires_ms;   /* 0: never */
};

/* Appends the encoded entry to out. */
void entry_encode(const struct cache_entry *e, struct strbuf *out);

/*
 * Decodes buf[0, len) into *out. The key and value point into buf, or (a
 * compressed value) into value_buf, which the caller releases. Returns 0,
 * or -1 with *why set to a static reason ("bad magic", "checksum
 * mismatch", "truncated", "value too large", ...): corrupt entries are a
 * miss, reported under --verbose, never an error exit. Never reads outside
 * buf; refuses a decoded value over max_value bytes (0 = 4 GiB).
 */
int entry_decode(const void *buf, size_t len, size_t max_value, struct cache_entry *out,
		 struct strbuf *value_buf, const char **why);

/*
 * zstd contexts kept across entries by a caller that codes many of them
 * (batch): building fresh ones costs ~15 us per compressed value, reusing
 * them ~1-3 us. Optional: NULL works wherever one is taken.
 */
struct entry_zctx;
struct entry_zctx *entry_zctx_new(void);
void entry_zctx_free(struct entry_zctx *z);
/* entry_encode and entry_decode with reusable contexts (z may be NULL). */
void entry_encode_z(struct entry_zctx *z, const struct cache_entry *e, struct strbuf *out);
int entry_decode_z(struct entry_zctx *z, const void *buf, size_t len, size_t max_value,
		   struct cache_entry *out, struct strbuf *value_buf, const char **why);

/* Only the header: times and lengths, without checking or decoding the value (gc, stats). */
int entry_peek(const void *buf, size_t len, struct cache_entry *out, const char **why);

/*
 * What `code-cache run` stores as an entry's value: the command's exit
 * status, its stdout and stderr, and its --output files.
 *   "CCR1" | i32 exit | u32 nfiles | u64 stdout_len | bytes | u64 stderr_len | bytes
 *   then per file: u32 path_len | path | u32 mode | u64 len | bytes
 */
struct run_file {
	const char *path;     /* as given to --output, relative or absolute */
	size_t path_len;
	uint32_t mode;        /* permission bits */
	const void *data;
	size_t len;
};

struct run_record {
	int exit_status;
	const void *out;
	size_t out_len;
	const void *err;
	size_t err_len;
	struct run_file *files;   /* decode: malloc'd array (caller frees), data point into buf */
	size_t nfiles;
};

void run_record_encode(const struct run_record *r, struct strbuf *out);
/*
 * 0, or -1 with *why (paths with NUL bytes are refused). Replay writes only
 * the paths the current run names with --output, which are part of the key.
 */
int run_record_decode(const void *buf, size_t len, struct run_record *out, const char **why);

#endif
