/* store.h: code-cache's local tier: 64 shards of append-only packs with mmapped indexes. */
#ifndef CODE_CACHE_STORE_H
#define CODE_CACHE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/strbuf.h"

/*
 * The design (layout, formats, crash safety, compaction) is described at
 * the top of store.c. In short: DIR/v1/NN.idx (mmapped open-addressing
 * index) + DIR/v1/NN.GEN.pack (append-only records in the entry.h
 * format) per shard, DIR/v1/ctl (per-shard OFD locks and shared counters).
 * Readers never lock; a writer locks one shard for a pwrite and a few
 * stores, or one compaction. Any number of processes may use one DIR;
 * kill -9 at any instant never leaves a readable half-written value.
 */

struct store_options {
	const char *dir;        /* created 0700 when missing; checked with dirs_check_private */
	uint64_t max_size;      /* 0 = 5 GiB; each shard keeps to max_size / 64 */
};

struct store;

/* Opens (creating the layout) DIR. Errors: -CODE_EXIT_NOINPUT (unsafe or unusable dir), -CODE_EXIT_IOERR. */
int store_open(const struct store_options *opts, struct store **out);
/* Commits anything pending, adds this process's counters to the shared ones, unmaps. */
int store_close(struct store *st);

enum store_result { STORE_HIT = 0, STORE_MISS = 1 };

/*
 * Looks key up at now_ms: STORE_HIT with the value in value (reset first),
 * or STORE_MISS (absent, expired, or a corrupt record — which is then
 * tombstoned and reported under -v). Never an error for bad data.
 * Does not count hits or misses itself (see store_count).
 */
int store_get(struct store *st, const char *key, size_t key_len, int64_t now_ms,
	      struct strbuf *value);

/*
 * Stores value under key (ttl_ms > 0: expires at now_ms + ttl_ms). Outside
 * batch mode it is committed before returning; in batch mode it is
 * pending (visible to this process's store_get) until store_commit.
 * A value too big for a shard is refused with a warning (returns 1).
 */
int store_put(struct store *st, const char *key, size_t key_len, const void *value,
	      size_t value_len, int64_t now_ms, int64_t ttl_ms);
/* 0 when it was there, STORE_MISS (1) when not. */
int store_del(struct store *st, const char *key, size_t key_len);

/* Batch mode: puts and dels are grouped per shard until store_commit. */
void store_set_batch(struct store *st, bool on);
int store_commit(struct store *st);

enum store_counter {
	STORE_COUNT_HITS, STORE_COUNT_MISSES, STORE_COUNT_PREFETCH_HITS, STORE_COUNT_N
};
/* Process-local, added to the shared counters at commit/close. */
void store_count(struct store *st, enum store_counter c, uint64_t n);

struct store_stats {
	uint64_t entries;       /* live entries */
	uint64_t bytes;         /* disk used by packs and indexes */
	uint64_t live_bytes;    /* bytes of live records */
	uint64_t hits, misses, evictions, expired, corrupt, prefetch_hits, puts;
};
int store_stats(struct store *st, struct store_stats *out);

struct store_gc_result {
	uint64_t removed_expired, removed_corrupt, evicted, reclaimed_bytes, tmp_files_removed;
	unsigned rebuilt_indexes;
};
/* Compacts every shard (expired and dead records out, size enforced), sweeps leftovers, rebuilds bad indexes. */
int store_gc(struct store *st, int64_t now_ms, struct store_gc_result *out);
/* Empties the cache and zeroes the counters. */
int store_clear(struct store *st);

#endif
