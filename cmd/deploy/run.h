/* run.h: a whole deployment: preflight, stages in parallel, cascade rollback, summary, state. */
#ifndef DEPLOY_RUN_H
#define DEPLOY_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/deploy/plan.h"
#include "libcommon/output.h"

struct deploy_options {
	unsigned parallel;          /* 0: the plan's, else 5 */
	const char *state_path;
	const char *journal_path;
	const char *log_root;       /* each run logs into log_root/RUN/ */
	const char *breakers_path;
	bool resume;
	bool dry_run;
	int64_t kill_after_ms;
	int64_t retry_delay_ms;
	int stop_fd;                /* readable once SIGINT/SIGTERM arrived */
	bool progress;              /* a progress line on stderr */
	struct output *out;
};

/*
 * Runs the plan and returns the exit status (SPEC section 3): 0
 * succeeded, 1 rolled back, 3 a rollback failed, 130 interrupted, or
 * 65/69/74/75 when it could not start or the journal failed.
 */
int deploy_run(const struct deploy_options *o, const struct deploy_plan *plan);

#endif
