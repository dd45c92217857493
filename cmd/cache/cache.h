/* cache.h: the two tiers together: the local store, then the shared Redis tier when configured. */
#ifndef CODE_CACHE_CACHE_H
#define CODE_CACHE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/cache/store.h"
#include "libcommon/strbuf.h"

struct cache_options {
	const char *dir;
	uint64_t max_size;
	const char *redis_url;   /* NULL: local only */
};

struct cache;

int cache_open(const struct cache_options *opts, struct cache **out);
/* Commits, saves counters and the breaker; returns the first error. */
int cache_close(struct cache *c);

/*
 * Local first; on a local miss, Redis (the entry is verified: key, checksum,
 * expiry) and a Redis hit fills the local store. Counts the hit or miss.
 * STORE_HIT or STORE_MISS (never an error for a bad or missing entry).
 */
int cache_get(struct cache *c, const char *key, size_t key_len, struct strbuf *value);
/* Like cache_get without counting, for `has`. */
int cache_has(struct cache *c, const char *key, size_t key_len);
/* Write-through: local, then Redis (best effort). ttl_ms 0 = none. */
int cache_put(struct cache *c, const char *key, size_t key_len, const void *value, size_t len,
	      int64_t ttl_ms);
/* 0 removed (from either tier), STORE_MISS when in neither. */
int cache_del(struct cache *c, const char *key, size_t key_len);

void cache_set_batch(struct cache *c, bool on);
int cache_commit(struct cache *c);
struct store *cache_store(struct cache *c);
/* The Redis breaker's state, or NULL without --redis. */
const char *cache_redis_state(const struct cache *c);

#endif
