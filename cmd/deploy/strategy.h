/* strategy.h: one service's deployment (rolling, all at once, blue-green, canary, monitor) and its rollback. */
#ifndef DEPLOY_STRATEGY_H
#define DEPLOY_STRATEGY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/deploy/events.h"
#include "cmd/deploy/httpcheck.h"
#include "cmd/deploy/plan.h"
#include "cmd/deploy/proc.h"
#include "cmd/deploy/resume.h"
#include "libcommon/backoff.h"
#include "libcommon/breaker.h"

/* What every service of a run shares; the locks guard what they name. */
struct deploy_shared {
	const char *run_id;
	struct events *ev;
	struct proc_options popts;
	const char *log_dir;            /* this run's log directory; NULL: no logs */
	struct breaker_store *breakers; /* NULL: dry run */
	pthread_mutex_t *breakers_lock;
	int64_t retry_delay_ms;         /* deploy command retries: backoff base */
};

/* One service in a run. */
struct svc_ctx {
	const struct deploy_shared *sh;
	const struct deploy_service *svc;
	struct svc_progress *pg;
	char **env;                     /* "NAME=value" of the service, ${VAR} resolved; NULL-ended */
	struct httpcheck_body *body;    /* compiled health body pattern; NULL none */
	struct backoff backoff;
};

enum svc_outcome {
	SVC_OK,
	SVC_FAILED,
	SVC_INTERRUPTED,
	SVC_IOERR                       /* the journal failed: stop */
};

/*
 * Deploys the service by its strategy, health-checks it, moves traffic,
 * runs its gates and its monitor window, emitting events (not the final
 * service-wide one: the scheduler does that).
 */
enum svc_outcome strategy_deploy(struct svc_ctx *sc);

enum rollback_result {
	ROLLBACK_OK,
	ROLLBACK_SKIPPED,       /* nothing to undo */
	ROLLBACK_LEFT,          /* something to undo, but no command to undo it */
	ROLLBACK_FAILED,
	ROLLBACK_INTERRUPTED,
	ROLLBACK_IOERR
};

/*
 * Undoes what pg says was done, emitting the bracketing rollback events
 * (start, then ok|fail|skipped) and the commands' own.
 */
enum rollback_result strategy_rollback(struct svc_ctx *sc);

/*
 * The environment for a command: ours, minus what the service sets, plus
 * the service's env and CODE_DEPLOY_RUN/SERVICE/TARGET/PHASE(/WEIGHT).
 * Malloc'd; free with command_argv_free.
 */
char **strategy_build_env(const struct svc_ctx *sc, const char *target, const char *phase,
			  int weight);

#endif
