/* cache.c: the local store first, the shared Redis tier behind it: read-through, write-through. */
#include "cmd/cache/cache.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/cache/entry.h"
#include "cmd/cache/rtier.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/hash.h"
#include "libcommon/timefmt.h"
#include "libcommon/xalloc.h"

/* An entry from Redis bigger than this is not trusted into memory. */
#define REDIS_MAX_VALUE ((size_t)256 << 20)

struct cache {
	struct store *store;
	struct rtier *rt;
	struct entry_zctx *z;
	struct strbuf raw;
	struct strbuf decoded;
	char *breaker_path;
};

int
cache_open(const struct cache_options *opts, struct cache **out)
{
	struct store_options so = { opts->dir, opts->max_size };
	struct cache *c = xcalloc(1, sizeof(*c));
	int ret;

	if ((ret = store_open(&so, &c->store)) < 0) {
		free(c);
		return ret;
	}
	if (opts->redis_url != NULL) {
		struct rtier_options ro = { 0 };
		struct strbuf bp = STRBUF_INIT;

		strbuf_addf(&bp, "%s/breakers.json", opts->dir);
		c->breaker_path = strbuf_detach(&bp, NULL);
		ro.url = opts->redis_url;
		ro.breaker_path = c->breaker_path;
		if ((ret = rtier_open(&ro, &c->rt)) < 0) {
			store_close(c->store);
			free(c->breaker_path);
			free(c);
			return ret;
		}
	}
	c->z = entry_zctx_new();
	strbuf_init(&c->raw, 0);
	strbuf_init(&c->decoded, 0);
	*out = c;
	return 0;
}

int
cache_close(struct cache *c)
{
	int ret;

	if (c == NULL)
		return 0;
	ret = store_close(c->store);
	if (c->rt != NULL)
		rtier_close(c->rt);
	entry_zctx_free(c->z);
	strbuf_release(&c->raw);
	strbuf_release(&c->decoded);
	free(c->breaker_path);
	free(c);
	return ret;
}

static void
key_hex(const char *key, size_t len, char hex[HASH_HEX_SIZE])
{
	hash_buffer_hex(key, len, hex);
}

/* Redis after a local miss: a verified, unexpired entry for exactly this key fills the local store. */
static int
redis_fill(struct cache *c, const char *key, size_t key_len, struct strbuf *value)
{
	struct cache_entry e;
	const char *why = NULL;
	char hex[HASH_HEX_SIZE];
	int64_t now = timefmt_now_ms(), ttl = 0;

	key_hex(key, key_len, hex);
	if (rtier_get(c->rt, hex, &c->raw) != RTIER_OK)
		return STORE_MISS;
	if (entry_decode_z(c->z, c->raw.buf, c->raw.len, REDIS_MAX_VALUE, &e, &c->decoded,
			   &why) != 0) {
		diag_info(DIAG_VERBOSE, NULL, "redis entry for this key is unusable (%s); a miss",
			  why);
		return STORE_MISS;
	}
	if (e.key_len != key_len || memcmp(e.key, key, key_len) != 0)
		return STORE_MISS;   /* a hash collision: another key's value, never ours */
	if (e.expires_ms != 0 && e.expires_ms <= now)
		return STORE_MISS;
	if (e.expires_ms != 0)
		ttl = e.expires_ms - now;
	strbuf_reset(value);
	strbuf_add(value, e.value, e.value_len);
	store_put(c->store, key, key_len, e.value, e.value_len, now, ttl);
	return STORE_HIT;
}

/* Local, then Redis: the lookup both get and has make. */
static int
lookup(struct cache *c, const char *key, size_t key_len, struct strbuf *value)
{
	int r = store_get(c->store, key, key_len, timefmt_now_ms(), value);

	if (r == STORE_MISS && c->rt != NULL)
		r = redis_fill(c, key, key_len, value);
	return r;
}

int
cache_get(struct cache *c, const char *key, size_t key_len, struct strbuf *value)
{
	int r = lookup(c, key, key_len, value);

	store_count(c->store, r == STORE_HIT ? STORE_COUNT_HITS : STORE_COUNT_MISSES, 1);
	return r;
}

int
cache_has(struct cache *c, const char *key, size_t key_len)
{
	struct strbuf v = STRBUF_INIT;
	int r = lookup(c, key, key_len, &v);

	strbuf_release(&v);
	return r;
}

int
cache_put(struct cache *c, const char *key, size_t key_len, const void *value, size_t len,
	  int64_t ttl_ms)
{
	int64_t now = timefmt_now_ms();
	int ret = store_put(c->store, key, key_len, value, len, now, ttl_ms);

	/* 1: too big for the local store, already warned; a cache may decline. */
	if (ret == 0 && c->rt != NULL) {
		struct cache_entry e = { key, key_len, value, len, now, ttl_ms > 0 ? now + ttl_ms : 0 };
		char hex[HASH_HEX_SIZE];

		strbuf_reset(&c->raw);
		entry_encode_z(c->z, &e, &c->raw);
		key_hex(key, key_len, hex);
		rtier_put(c->rt, hex, c->raw.buf, c->raw.len, ttl_ms);
	}
	return ret < 0 ? ret : 0;
}

int
cache_del(struct cache *c, const char *key, size_t key_len)
{
	int r = store_del(c->store, key, key_len);

	if (r < 0)
		return r;
	if (c->rt != NULL) {
		char hex[HASH_HEX_SIZE];

		key_hex(key, key_len, hex);
		if (rtier_del(c->rt, hex) == RTIER_OK)
			r = 0;
	}
	return r;
}

void
cache_set_batch(struct cache *c, bool on)
{
	store_set_batch(c->store, on);
}

int
cache_commit(struct cache *c)
{
	return store_commit(c->store);
}

struct store *
cache_store(struct cache *c)
{
	return c->store;
}

const char *
cache_redis_state(const struct cache *c)
{
	return c->rt != NULL ? rtier_breaker_state(c->rt) : NULL;
}
