/* rtier.h: the shared Redis tier of code-cache, behind a circuit breaker, never in the way. */
#ifndef CODE_CACHE_RTIER_H
#define CODE_CACHE_RTIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/strbuf.h"

/*
 * URL: redis://[[user]:password@]host[:port][/db] (port 6379, db 0), or
 * unix:///path/to/redis.sock[?db=N]. Values stored are encoded entries
 * (cmd/cache/entry.h) under the key "code-cache:v1:<32 hex of the key
 * hash>", with Redis expiry (SET ... PX) for TTLs. A user or password
 * holding '/', '?' or '#' (or a user holding ':') is %-encoded; a
 * userinfo without ':' is refused (it would be unclear whether it is a
 * user or a password). TLS (rediss://) and Redis Cluster redirections
 * (MOVED/ASK, which come back as failures) are not supported.
 *
 * The breaker's endpoint is the canonical display URL
 * (redis://[USER]:***@HOST:PORT/DB), so spellings of one endpoint share
 * it. Its open period is SPEC section 3's 60 s; the environment variable
 * CODE_CACHE_BREAKER_OPEN_MS (a positive number of milliseconds) replaces
 * it, for tests.
 */
struct rtier_options {
	const char *url;
	int connect_timeout_ms;   /* 0 = 200 */
	int command_timeout_ms;   /* 0 = 500 */
	/*
	 * Where the breaker of this endpoint is kept between processes (a file
	 * in the cache dir), or NULL for an in-memory one only.
	 */
	const char *breaker_path;
};

struct rtier;

/*
 * Parses the URL (a bad one is -CODE_EXIT_USAGE, with the password masked
 * as *** in the message) and prepares; the connection is made on first use.
 */
int rtier_open(const struct rtier_options *opts, struct rtier **out);
/* Saves the breaker state and closes. */
void rtier_close(struct rtier *rt);

/*
 * Every call below degrades instead of failing: when the breaker is open,
 * or connecting or the command fails or times out, it returns
 * RTIER_UNAVAILABLE, counts the failure in the breaker and (once per
 * outage in a process: on its first failed or refused call) warns "redis
 * URL unavailable (REASON); going on with the local cache" with the
 * password masked; under -v each failure's reason is
 * shown. The caller just goes on locally. A connection that broke since
 * its last use is reopened once before a call counts as failed; a call
 * takes at most about one connect timeout plus one command timeout per
 * command sent (AUTH, SELECT, then the call itself).
 */
enum rtier_result { RTIER_OK = 0, RTIER_MISS = 1, RTIER_UNAVAILABLE = 2 };

/* GET: the encoded entry into value (reset first) on RTIER_OK. */
enum rtier_result rtier_get(struct rtier *rt, const char *hash_hex, struct strbuf *value);
/* SET with PX when ttl_ms > 0. */
enum rtier_result rtier_put(struct rtier *rt, const char *hash_hex, const void *data, size_t len,
			    int64_t ttl_ms);
/* RTIER_MISS when there was no such key. */
enum rtier_result rtier_del(struct rtier *rt, const char *hash_hex);
/*
 * Pipelined GET of n keys (batch and prefetch): values[i] is filled and
 * found[i] set for each hit (all false unless RTIER_OK). One round
 * trip; RTIER_OK even when nothing was found.
 */
enum rtier_result rtier_get_many(struct rtier *rt, const char *const *hash_hex, size_t n,
				 struct strbuf *values, bool *found);
/* "closed", "open" or "half-open", for stats. */
const char *rtier_breaker_state(const struct rtier *rt);
/* The URL with any password shown as ***. */
const char *rtier_display_url(const struct rtier *rt);

#endif
