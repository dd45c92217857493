/* resume.c: how far a run got, rebuilt from the journal for --resume. */
#include "cmd/deploy/resume.h"

#include <string.h>

#include "libcommon/journal.h"
#include "libcommon/xalloc.h"

struct svc_progress *
progress_new(const struct deploy_plan *plan)
{
	struct svc_progress *pg = xcalloc(plan->n_services ? plan->n_services : 1, sizeof(*pg));

	for (size_t i = 0; i < plan->n_services; i++)
		pg[i].touched = xcalloc(plan->services[i].n_targets + 1, sizeof(bool));
	return pg;
}

void
progress_free(struct svc_progress *pg, size_t n)
{
	if (pg == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(pg[i].touched);
	free(pg);
}

struct replay {
	const struct deploy_plan *plan;
	struct svc_progress *pg;
	struct run_info *info;
};

static const char *
field(const json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static size_t
find_service(const struct deploy_plan *plan, const char *name)
{
	for (size_t i = 0; name && i < plan->n_services; i++)
		if (strcmp(plan->services[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

static size_t
find_target(const struct deploy_service *s, const char *name)
{
	for (size_t i = 0; name && i < s->n_targets; i++)
		if (strcmp(s->targets[i], name) == 0)
			return i;
	return (size_t)-1;
}

static void
reset(struct replay *rp)
{
	for (size_t i = 0; i < rp->plan->n_services; i++) {
		bool *touched = rp->pg[i].touched;

		memset(touched, 0, rp->plan->services[i].n_targets * sizeof(bool));
		memset(&rp->pg[i], 0, sizeof(rp->pg[i]));
		rp->pg[i].touched = touched;
	}
	free(rp->info->run_id);
	free(rp->info->plan_digest);
	free(rp->info->status);
	memset(rp->info, 0, sizeof(*rp->info));
}

static void
replay_run(struct replay *rp, const json_t *rec)
{
	const char *run = field(rec, "run");

	/* A record of the same run is a resumption of it: progress carries on. */
	if (rp->info->found && run && rp->info->run_id && strcmp(run, rp->info->run_id) == 0) {
		free(rp->info->status);
		rp->info->status = NULL;
		return;
	}
	reset(rp);
	rp->info->found = true;
	rp->info->run_id = xstrdup(run ? run : "");
	rp->info->plan_digest = xstrdup(field(rec, "plan") ? field(rec, "plan") : "");
	rp->info->started_ms = (int64_t)json_integer_value(json_object_get(rec, "started_ms"));
}

static void
replay_event(struct replay *rp, const json_t *rec)
{
	size_t i = find_service(rp->plan, field(rec, "service"));
	const char *target = field(rec, "target"), *phase = field(rec, "phase");
	const char *status = field(rec, "status");
	struct svc_progress *pg;

	if (i == (size_t)-1 || phase == NULL || status == NULL)
		return;
	pg = &rp->pg[i];
	if (target) {
		size_t t = find_target(&rp->plan->services[i], target);

		if (strcmp(phase, "deploy") == 0 && strcmp(status, "start") == 0 &&
		    t != (size_t)-1)
			pg->touched[t] = true;
		if (strcmp(phase, "switch") == 0 && strcmp(status, "start") == 0)
			pg->switched = true;
		return;
	}
	if (strcmp(phase, "switch") == 0 && strcmp(status, "start") == 0) {
		pg->switched = true;
	} else if (strcmp(phase, "deploy") == 0) {
		if (strcmp(status, "ok") == 0 && !pg->done) {
			pg->done = true;
			pg->done_seq = rp->info->next_seq++;
		} else if (strcmp(status, "fail") == 0 && !pg->failed) {
			pg->failed = true;
			pg->failed_seq = rp->info->next_seq++;
		}
	} else if (strcmp(phase, "rollback") == 0) {
		if (strcmp(status, "start") == 0)
			pg->rollback = RB_STARTED;
		else if (strcmp(status, "ok") == 0)
			pg->rollback = RB_OK;
		else if (strcmp(status, "fail") == 0)
			pg->rollback = RB_FAILED;
		else if (strcmp(status, "skipped") == 0)
			pg->rollback = RB_SKIPPED;
	}
}

static int
replay_record(const json_t *rec, unsigned long line, void *ctx)
{
	struct replay *rp = ctx;
	const char *type = field(rec, "type");

	(void)line;
	if (type == NULL)
		return 0;
	if (strcmp(type, "run") == 0) {
		replay_run(rp, rec);
	} else if (!rp->info->found) {
		return 0;
	} else if (strcmp(type, "event") == 0) {
		replay_event(rp, rec);
	} else if (strcmp(type, "summary") == 0) {
		free(rp->info->status);
		rp->info->status = xstrdup(field(rec, "status") ? field(rec, "status") : "");
	}
	return 0;
}

int
resume_load(const char *path, const struct deploy_plan *plan, struct svc_progress *pg,
	    struct run_info *info)
{
	struct replay rp = { plan, pg, info };

	memset(info, 0, sizeof(*info));
	return journal_read(path, replay_record, &rp);
}

bool
resume_wanted(const struct run_info *info)
{
	return info->found && (info->status == NULL || strcmp(info->status, "interrupted") == 0);
}

bool
resume_rolling_back(const struct deploy_plan *plan, const struct svc_progress *pg)
{
	for (size_t i = 0; i < plan->n_services; i++)
		if (pg[i].failed)
			return true;
	return false;
}

void
run_info_release(struct run_info *info)
{
	free(info->run_id);
	free(info->plan_digest);
	free(info->status);
	memset(info, 0, sizeof(*info));
}
