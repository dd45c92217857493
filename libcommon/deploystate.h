/* deploystate.h: the deployment state file: what code-deploy last deployed, which code-plan reads. */
#ifndef CODE_DEPLOYSTATE_H
#define CODE_DEPLOYSTATE_H

#include <jansson.h>

/*
 * The state file, written by code-deploy:
 *   {"version":1,"services":{"db":{"digest":"…","config_digest":"…",
 *    "inputs_digest":"…", …}, …}}
 * A service may also map straight to its digest string.
 */
#define STATE_VERSION 1

struct deploy_state {
	json_t *root;            /* owned; NULL when there is no state */
	const json_t *services;  /* borrowed from root */
};

/*
 * Loads path; a missing file is an empty state (the first deploy).
 * Returns 0, -CODE_EXIT_NOINPUT (unreadable) or -CODE_EXIT_DATAERR
 * (malformed, or written by a newer version).
 */
int deploystate_load(const char *path, struct deploy_state *st);
/* The digests recorded for service; each out may be set to NULL. */
void deploystate_lookup(const struct deploy_state *st, const char *service,
		  const char **digest, const char **config_digest,
		  const char **inputs_digest);
/*
 * Records that service was deployed: its entry becomes {"digest",
 * "config_digest", "inputs_digest" (those not NULL), "deployed_at": ts,
 * "run": run}. Creates root and "services" when there was no state.
 */
void deploystate_record(struct deploy_state *st, const char *service, const char *digest,
			const char *config_digest, const char *inputs_digest,
			const char *ts, const char *run);
/* Writes it atomically (temp + fsync + rename), 0600; 0 or -CODE_EXIT_IOERR. */
int deploystate_save(const struct deploy_state *st, const char *path);
void deploystate_release(struct deploy_state *st);

#endif
