/* resume.h: how far a run got, kept live and rebuilt from the journal for --resume. */
#ifndef DEPLOY_RESUME_H
#define DEPLOY_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/deploy/plan.h"

enum rollback_state {
	RB_NONE,        /* not begun */
	RB_STARTED,     /* begun, not ended (a crash in the middle) */
	RB_OK,
	RB_FAILED,
	RB_SKIPPED      /* nothing to undo, or rollback_on_failure false */
};

/* One service's progress in the run; one per plan service, in plan order. */
struct svc_progress {
	bool done;                  /* deployed and verified in this run */
	unsigned long done_seq;     /* completion order, for the cascade */
	bool failed;                /* its deployment failed: it is rolled back first */
	unsigned long failed_seq;
	enum rollback_state rollback;
	bool left;                  /* nothing could undo it (no rollback command) */
	bool switched;              /* traffic was moved to it (a switch started) */
	bool *touched;              /* per target: a deploy command started there */
};

struct run_info {
	bool found;                 /* the journal holds a run */
	char *run_id;
	char *plan_digest;
	char *status;               /* the summary's status; NULL when it never ended */
	int64_t started_ms;         /* the first run record's time */
	unsigned long next_seq;     /* the next done_seq/failed_seq to hand out */
};

/* Allocates n progress entries with their touched arrays (zeroed). */
struct svc_progress *progress_new(const struct deploy_plan *plan);
void progress_free(struct svc_progress *pg, size_t n);

/*
 * Reads the journal at path and replays its last run into pg (from
 * progress_new) and info. Events naming services or targets not in plan
 * are ignored (the caller has compared the plan digests). A missing
 * journal gives info->found false. Returns 0, or -CODE_EXIT_DATAERR /
 * -CODE_EXIT_NOINPUT from journal_read.
 */
int resume_load(const char *path, const struct deploy_plan *plan,
		struct svc_progress *pg, struct run_info *info);
/* True when the run can be resumed: found and never ended, or ended interrupted. */
bool resume_wanted(const struct run_info *info);
/* True when the run had failed and was rolling back when it stopped. */
bool resume_rolling_back(const struct deploy_plan *plan, const struct svc_progress *pg);
void run_info_release(struct run_info *info);

#endif
