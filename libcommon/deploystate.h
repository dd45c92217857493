/* state.h: what code-deploy last deployed, as code-plan reads it. */
#ifndef PLAN_STATE_H
#define PLAN_STATE_H

#include <jansson.h>

/*
 * The state file, written by code-deploy:
 *   {"version":1,"services":{"db":{"digest":"…","config_digest":"…",
 *    "inputs_digest":"…", …}, …}}
 * A service may also map straight to its digest string.
 */
#define STATE_VERSION 1

struct plan_state {
	json_t *root;            /* owned; NULL when there is no state */
	const json_t *services;  /* borrowed from root */
};

/*
 * Loads path; a missing file is an empty state (the first deploy).
 * Returns 0, -CODE_EXIT_NOINPUT (unreadable) or -CODE_EXIT_DATAERR
 * (malformed, or written by a newer version).
 */
int state_load(const char *path, struct plan_state *st);
/* The digests recorded for service; each out may be set to NULL. */
void state_lookup(const struct plan_state *st, const char *service,
		  const char **digest, const char **config_digest,
		  const char **inputs_digest);
void state_release(struct plan_state *st);

#endif
