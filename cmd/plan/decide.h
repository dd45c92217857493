/* decide.h: which services to deploy, and why. */
#ifndef PLAN_DECIDE_H
#define PLAN_DECIDE_H

#include <stddef.h>

#include "cmd/plan/manifest.h"
#include "libcommon/deploystate.h"

struct plan_selection {
	const char **only;   /* --only names; n_only 0 means all */
	size_t n_only;
	const char **force;  /* --force names */
	size_t n_force;
};

/*
 * Digests every service (its resolved entry and its input files), then
 * walks order (stage order, so dependencies come first) setting action
 * and reason. *changed counts deployments; plan_digest digests the whole
 * plan. Returns 0 or -CODE_EXIT_NOINPUT (an input file is unreadable).
 */
int plan_decide(struct manifest *m, const size_t *order,
		const struct deploy_state *st, const struct plan_selection *sel,
		size_t *changed, char plan_digest[HASH_HEX_SIZE]);

#endif
