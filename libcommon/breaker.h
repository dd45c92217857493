/* breaker.h: circuit breakers per endpoint: open after N failures in a row, one half-open probe after a cool-down. */
#ifndef CODE_BREAKER_H
#define CODE_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

/* SPEC section 3: 5 consecutive failures open it for 60 s. */
#define BREAKER_DEFAULT_FAILURES 5u
#define BREAKER_DEFAULT_OPEN_MS 60000

struct breaker_config {
	unsigned failures;   /* consecutive failures that open it; 0 = 5 */
	int64_t open_ms;     /* how long it stays open before a probe; 0 = 60 s */
};

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN };

/* Plain data, so callers can embed, copy and persist it. */
struct breaker {
	enum breaker_state state;
	unsigned failures;          /* consecutive, while closed */
	int64_t opened_at_ms;       /* when it last opened */
	int64_t probe_started_ms;   /* half-open: when the probe was let through; 0 none */
};

void breaker_init(struct breaker *b);
/*
 * Whether a call may go ahead at now_ms. Closed: yes. Open: no, until
 * open_ms has passed; then it turns half-open and lets exactly one probe
 * through (another caller asking while the probe is out gets no; a probe
 * that never reports back is given up after open_ms and another allowed).
 */
bool breaker_allow(struct breaker *b, const struct breaker_config *cfg, int64_t now_ms);
/* A call succeeded: closes the breaker and clears the count. */
void breaker_success(struct breaker *b);
/*
 * A call failed: counts it; the failures-th in a row opens the breaker,
 * and a failed half-open probe opens it again for another open_ms.
 * Returns true when this failure opened it (the moment to warn, once).
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
 */
struct breaker_store;

int breaker_store_load(const char *path, struct breaker_store **out);
/* The breaker of endpoint (created closed when new); valid until the store is freed. */
struct breaker *breaker_store_get(struct breaker_store *st, const char *endpoint);
/* Writes the file if any breaker changed since load; 0 or -CODE_EXIT_IOERR. */
int breaker_store_save(struct breaker_store *st);
void breaker_store_free(struct breaker_store *st);

#endif
