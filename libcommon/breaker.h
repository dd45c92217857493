/* breaker.h: circuit breakers per endpoint: open after N failures in a row, one half-open probe after a cool-down. */
#ifndef CODE_BREAKER_H
#define CODE_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

/* SPEC section 3: 5 consecutive failures open it for 60 s. */
#define BREAKER_DEFAULT_FAILURES 5u
#define BREAKER_DEFAULT_OPEN_MS 60000

/* A NULL config means the defaults. */
struct breaker_config {
	unsigned failures;   /* consecutive failures that open it; 0 = 5 */
	int64_t open_ms;     /* how long it stays open before a probe; <= 0 = 60 s */
};

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN };

/* Plain data, so callers can embed, copy and persist it. */
struct breaker {
	enum breaker_state state;
	unsigned failures;          /* consecutive, while closed */
	int64_t opened_at_ms;       /* when it last opened */
	int64_t probe_started_ms;   /* half-open: when the probe was let through; 0 none */
};

/*
 * The functions below read no clock: now_ms comes from the caller. A
 * breaker kept in a store is shared by processes, so pass wall-clock
 * milliseconds (CLOCK_REALTIME), not a monotonic clock. A now_ms earlier
 * than the recorded times (the clock stepped back) restarts the wait from
 * now_ms, so a clock step never keeps a breaker open for longer than one
 * more open_ms.
 */
void breaker_init(struct breaker *b);
/*
 * Whether a call may go ahead at now_ms. Closed: yes. Open: no, until
 * open_ms has passed; then it turns half-open and lets exactly one probe
 * through (another caller asking while the probe is out gets no; a probe
 * that never reports back is given up after open_ms and another allowed).
 */
bool breaker_allow(struct breaker *b, const struct breaker_config *cfg, int64_t now_ms);
/* A call succeeded: closes the breaker and clears it (as breaker_init). */
void breaker_success(struct breaker *b);
/*
 * A call failed: counts it; the failures-th in a row opens the breaker,
 * and a failed half-open probe opens it again for another open_ms.
 * Returns true when this failure opened a closed breaker (the moment to
 * warn, once). A failed probe reopens it but returns false, so a caller
 * warns once per outage, not once per open_ms. A failure reported while
 * it is already open (a call that started before it opened) changes
 * nothing.
 */
bool breaker_failure(struct breaker *b, const struct breaker_config *cfg, int64_t now_ms);
const char *breaker_state_name(enum breaker_state s);   /* "closed", "open", "half-open" */

/*
 * Breakers of many endpoints kept in a JSON file, so separate processes
 * (cron runs of code-deploy, one code-cache call after another) respect
 * each other's findings:
 *   {"version":1,"breakers":{"ENDPOINT":{"state":"open","failures":5,
 *    "opened_at_ms":N,"probe_started_ms":N}}}
 * Loading a missing file gives an empty store; a malformed one is a
 * warning and an empty store (a breaker file must never stop the tool).
 * Saving writes atomically (temp + fsync + rename), 0600; the last writer
 * wins, which for breakers is fine.
 *
 * An entry whose state is unknown or whose fields are not what they should
 * be is a warning and that breaker starts closed. A closed breaker with no
 * failures is what a missing entry means, so it is left out of the file
 * (the file holds only endpoints with something to remember).
 *
 * Endpoints are any strings (redis://h:6379/0, a target name). Secrets are
 * never written: an endpoint with userinfo is kept with its password
 * masked (SPEC section 1), "redis://user:pw@h:6379" as
 * "redis://user:***@h:6379", and a userinfo without ':' (redis://pw@h, a
 * token) as a whole. Userinfo is what precedes the last '@' before the
 * first '/', '?' or '#' after "://", as in RFC 3986 (a password holding
 * those must be percent-encoded, as URLs require).
 * Endpoints that differ only in the password share one breaker.
 */
struct breaker_store;

/*
 * Returns 0; a file that cannot be read or parsed is a warning naming it
 * (with the line and column of a syntax error) and an empty store, which
 * the next save replaces. *out is freed with breaker_store_free.
 */
int breaker_store_load(const char *path, struct breaker_store **out);
/* The breaker of endpoint (created closed when new); valid until the store is freed. */
struct breaker *breaker_store_get(struct breaker_store *st, const char *endpoint);
/*
 * Writes the file if any breaker changed since load or the last save (or
 * the file read was malformed or held a secret), and nothing otherwise;
 * 0 or -CODE_EXIT_IOERR.
 */
int breaker_store_save(struct breaker_store *st);
void breaker_store_free(struct breaker_store *st);

/* endpoint with its password masked as above, for messages; malloc'd. */
char *breaker_endpoint_mask(const char *endpoint);

#endif
