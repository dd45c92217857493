/* run.c: a whole deployment: preflight, stages in parallel, cascade rollback, summary, state. */
#include "cmd/deploy/run.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/deploy/events.h"
#include "cmd/deploy/resume.h"
#include "cmd/deploy/strategy.h"
#include "libcommon/deploystate.h"
#include "libcommon/diag.h"
#include "libcommon/dirs.h"
#include "libcommon/exitcodes.h"
#include "libcommon/jsonw.h"
#include "libcommon/lock.h"
#include "libcommon/secret.h"
#include "libcommon/strbuf.h"
#include "libcommon/strmap.h"
#include "libcommon/timefmt.h"
#include "libcommon/xalloc.h"

extern char **environ;

#define DEFAULT_PARALLEL 5
#define LOG_RUNS_KEPT 20

struct deploy_run {
	const struct deploy_options *o;
	const struct deploy_plan *plan;
	struct deploy_shared sh;
	struct svc_ctx *sc;
	struct svc_progress *pg;
	struct run_info info;
	struct redact *redact;
	struct journal *journal;
	struct deploy_state state;
	pthread_mutex_t breakers_lock;
	int lock_fd;
	char *run_id;
	char *log_dir;
	int64_t start_ms;
	unsigned parallel;

	pthread_mutex_t lock;       /* guards the fields below */
	bool stop_launching;
	bool failed;
	bool interrupted;
	bool ioerr;
	size_t n_done;
};

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct diag_loc
step_loc(const struct deploy_run *r, const struct deploy_service *s)
{
	struct diag_loc loc = { r->plan->source, s->line, 0 };

	return loc;
}

/*
 * "${VAR}" in an env value is taken from our environment at deploy time;
 * a variable that is not set stops the run before anything starts (a
 * deploy with an empty token fails later and worse). Values of secret
 * variables join the redaction set.
 */
static int
expand_env_value(struct deploy_run *r, const struct deploy_service *s, const struct deploy_env *e,
		 struct strbuf *out)
{
	bool secret_name = secret_name_matches(e->name, (const char *const *)s->secrets,
					       s->n_secrets);
	const char *p = e->value;

	while (*p) {
		const char *end;
		char var[256];
		const char *val;
		size_t len;

		if (p[0] != '$' || p[1] != '{' || (end = strchr(p + 2, '}')) == NULL) {
			strbuf_addch(out, *p++);
			continue;
		}
		len = (size_t)(end - (p + 2));
		if (len == 0 || len >= sizeof(var)) {
			strbuf_addch(out, *p++);
			continue;
		}
		memcpy(var, p + 2, len);
		var[len] = '\0';
		val = getenv(var);
		if (val == NULL) {
			struct diag_loc loc = step_loc(r, s);

			return diag_error(CODE_EXIT_DATAERR, &loc,
					  "step '%s': env %s refers to ${%s}, which is not set in the environment",
					  s->name, e->name, var);
		}
		if (secret_name || secret_name_matches(var, (const char *const *)s->secrets,
						       s->n_secrets))
			redact_add(r->redact, val);
		strbuf_addstr(out, val);
		p = end + 1;
	}
	if (secret_name)
		redact_add(r->redact, out->buf + strlen(e->name) + 1);
	return 0;
}

static int
prepare_service(struct deploy_run *r, size_t i)
{
	const struct deploy_service *s = &r->plan->services[i];
	struct svc_ctx *sc = &r->sc[i];
	int ret;

	sc->sh = &r->sh;
	sc->svc = s;
	sc->pg = &r->pg[i];
	sc->env = xcalloc(s->n_env + 1, sizeof(char *));
	for (size_t k = 0; k < s->n_secrets; k++)
		redact_add(r->redact, getenv(s->secrets[k]));
	if (!s->deploy)
		return 0;
	for (size_t k = 0; k < s->n_env; k++) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "%s=", s->env[k].name);
		if ((ret = expand_env_value(r, s, &s->env[k], &sb)) < 0) {
			strbuf_release(&sb);
			return ret;
		}
		sc->env[k] = strbuf_detach(&sb, NULL);
	}
	if (s->health.kind == HEALTH_HTTP && s->health.body) {
		char msg[256];

		if (httpcheck_body_compile(s->health.body, &sc->body, msg, sizeof(msg)) < 0) {
			struct diag_loc loc = step_loc(r, s);

			return diag_error(CODE_EXIT_DATAERR, &loc,
					  "step '%s': health body pattern: %s", s->name, msg);
		}
	}
	return 0;
}

/* Secrets of our own environment (SPEC section 1 names) are masked too. */
static void
redact_environment(struct redact *redact)
{
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[256];

		if (eq == NULL || (size_t)(eq - *e) >= sizeof(name))
			continue;
		memcpy(name, *e, (size_t)(eq - *e));
		name[eq - *e] = '\0';
		if (secret_name_matches(name, NULL, 0))
			redact_add(redact, eq + 1);
	}
}

static void
make_run_id(char *buf, size_t size)
{
	char ts[TIMEFMT_RFC3339_SIZE];
	unsigned rnd;
	FILE *f = fopen("/dev/urandom", "re");

	if (f == NULL || fread(&rnd, sizeof(rnd), 1, f) != 1)
		rnd = (unsigned)getpid() ^ (unsigned)monotonic_ms();
	if (f)
		fclose(f);
	timefmt_rfc3339(timefmt_now_ms(), ts);
	/* 2026-11-23T10:00:00.123Z -> 20261123T100000Z-1a2b */
	snprintf(buf, size, "%.4s%.2s%.2sT%.2s%.2s%.2sZ-%04x", ts, ts + 5, ts + 8, ts + 11,
		 ts + 14, ts + 17, rnd & 0xffff);
}

static void
add_string_key(struct strbuf *sb, const char *key, const char *value)
{
	strbuf_addf(sb, ",\"%s\":", key);
	jsonw_append_string(sb, value, strlen(value));
}

static int
emit_run_record(struct deploy_run *r, bool resumed)
{
	struct strbuf sb = STRBUF_INIT;
	char ts[TIMEFMT_RFC3339_SIZE];
	int ret;

	timefmt_rfc3339(timefmt_now_ms(), ts);
	strbuf_addf(&sb, "{\"type\":\"run\",\"ts\":\"%s\"", ts);
	add_string_key(&sb, "run", r->run_id);
	add_string_key(&sb, "plan", r->plan->digest);
	if (r->plan->manifest)
		add_string_key(&sb, "manifest", r->plan->manifest);
	strbuf_addf(&sb, ",\"services\":%zu,\"parallel\":%u,\"resumed\":%s,\"pid\":%ld}",
		    r->plan->n_services, r->parallel, resumed ? "true" : "false", (long)getpid());
	ret = events_emit_raw(r->sh.ev, sb.buf, sb.len, true);
	strbuf_release(&sb);
	return ret;
}

static struct event
service_event(const struct deploy_service *s, const char *phase, const char *status)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.service = s->name;
	e.phase = phase;
	e.status = status;
	e.duration_ms = -1;
	e.exit_code = -1;
	e.weight = -1;
	return e;
}

/* The service-wide event that closes a service, then its progress. */
static void
finish_service(struct deploy_run *r, size_t i, enum svc_outcome o, int64_t duration_ms)
{
	const struct deploy_service *s = &r->plan->services[i];
	struct event e = service_event(s, "deploy", "ok");
	size_t n_done;
	int ret = 0;

	e.duration_ms = duration_ms;
	if (o == SVC_FAILED) {
		e.status = "fail";
		e.message = "deployment failed; rolling back";
	} else if (o == SVC_INTERRUPTED) {
		e.status = "interrupted";
	}
	if (o != SVC_IOERR)
		ret = events_emit(r->sh.ev, &e);
	pthread_mutex_lock(&r->lock);
	if (o == SVC_IOERR || ret < 0) {
		r->ioerr = true;
		r->stop_launching = true;
	} else if (o == SVC_OK) {
		r->pg[i].done = true;
		r->pg[i].done_seq = r->info.next_seq++;
		r->n_done++;
	} else if (o == SVC_FAILED) {
		r->pg[i].failed = true;
		r->pg[i].failed_seq = r->info.next_seq++;
		r->failed = true;
		r->stop_launching = true;
	} else {
		r->interrupted = true;
		r->stop_launching = true;
	}
	n_done = r->n_done;
	pthread_mutex_unlock(&r->lock);
	events_progress(r->sh.ev, n_done, s->name, e.status);
}

/*
 * The scheduler, guarded by r->lock. Stages are launched in order: no
 * service starts before every service of the earlier stages has started.
 * Inside that order a service starts as soon as the services it depends
 * on are done and a slot is free (as make -j does), rather than waiting
 * for the slowest service of the stage before it. A step of a later stage
 * that names no depends_on (a plan written by hand) waits for every
 * earlier stage to be done, as the plan gave nothing finer.
 */
struct sched {
	struct deploy_run *r;
	size_t **deps;          /* per service: its depends_on, as plan indices */
	size_t *n_deps;
	bool *barrier;          /* per service: waits for all earlier stages */
	size_t *stage_start;    /* per service: the index of its stage's first service */
	bool *started;          /* picked: launched, or skipped at once */
	size_t first;           /* the first service not yet picked */
	size_t settled;         /* services [0, settled) are all done or skipped */
	size_t running;
	pthread_cond_t cond;
};

static void
sched_init(struct sched *sc, struct deploy_run *r)
{
	const struct deploy_plan *p = r->plan;
	struct strmap *index = strmap_new(p->n_services);

	memset(sc, 0, sizeof(*sc));
	sc->r = r;
	sc->deps = xcalloc(p->n_services + 1, sizeof(size_t *));
	sc->n_deps = xcalloc(p->n_services + 1, sizeof(size_t));
	sc->started = xcalloc(p->n_services + 1, sizeof(bool));
	sc->barrier = xcalloc(p->n_services + 1, sizeof(bool));
	sc->stage_start = xcalloc(p->n_services + 1, sizeof(size_t));
	pthread_cond_init(&sc->cond, NULL);
	for (size_t i = 0; i < p->n_services; i++)
		strmap_add(index, p->services[i].name, &p->services[i]);
	for (size_t i = 0; i < p->n_services; i++) {
		const struct deploy_service *s = &p->services[i];

		sc->stage_start[i] = i > 0 && p->services[i - 1].stage == s->stage
				     ? sc->stage_start[i - 1] : i;
		sc->barrier[i] = s->stage > 0 && s->n_depends_on == 0;
		sc->deps[i] = xcalloc(s->n_depends_on + 1, sizeof(size_t));
		/* A dependency outside the plan (code-plan --only) is taken as there. */
		for (size_t k = 0; k < s->n_depends_on; k++) {
			const struct deploy_service *d = strmap_get(index, s->depends_on[k]);

			if (d)
				sc->deps[i][sc->n_deps[i]++] = (size_t)(d - p->services);
		}
	}
	strmap_free(index);
}

static void
sched_release(struct sched *sc)
{
	for (size_t i = 0; i < sc->r->plan->n_services; i++)
		free(sc->deps[i]);
	free(sc->deps);
	free(sc->n_deps);
	free(sc->started);
	free(sc->barrier);
	free(sc->stage_start);
	pthread_cond_destroy(&sc->cond);
}

static bool
settled(const struct deploy_run *r, size_t i)
{
	return !r->plan->services[i].deploy || r->pg[i].done;
}

/* The next service to pick, or (size_t)-1 when none may start now. */
static size_t
sched_pick(struct sched *sc)
{
	const struct deploy_plan *p = sc->r->plan;
	unsigned stage;

	while (sc->first < p->n_services && sc->started[sc->first])
		sc->first++;
	if (sc->first == p->n_services)
		return (size_t)-1;
	while (sc->settled < p->n_services && settled(sc->r, sc->settled))
		sc->settled++;
	stage = p->services[sc->first].stage;
	for (size_t i = sc->first; i < p->n_services && p->services[i].stage == stage; i++) {
		bool ready = !sc->started[i] && (!sc->barrier[i] || sc->settled >= sc->stage_start[i]);

		for (size_t k = 0; ready && k < sc->n_deps[i]; k++)
			ready = settled(sc->r, sc->deps[i][k]);
		if (ready)
			return i;
	}
	return (size_t)-1;
}

static int
emit_skipped(struct deploy_run *r, const struct deploy_service *s, const char *why)
{
	struct event e = service_event(s, "deploy", "skipped");

	e.message = why;
	return events_emit(r->sh.ev, &e);
}

/* Handles a picked service; called without the lock. */
static void
run_picked(struct deploy_run *r, size_t i)
{
	const struct deploy_service *s = &r->plan->services[i];
	char why[128];
	int64_t start;
	enum svc_outcome o;

	if (!s->deploy) {
		snprintf(why, sizeof(why), "%s", s->reason && *s->reason ? s->reason : "skip");
		if (emit_skipped(r, s, why) < 0) {
			pthread_mutex_lock(&r->lock);
			r->ioerr = r->stop_launching = true;
			pthread_mutex_unlock(&r->lock);
		}
		return;
	}
	start = monotonic_ms();
	o = strategy_deploy(&r->sc[i]);
	finish_service(r, i, o, monotonic_ms() - start);
}

static void *
sched_worker(void *arg)
{
	struct sched *sc = arg;
	struct deploy_run *r = sc->r;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		size_t i;

		if (!r->stop_launching && proc_stop_requested(r->o->stop_fd))
			r->interrupted = r->stop_launching = true;
		if (r->stop_launching)
			break;
		i = sched_pick(sc);
		if (i == (size_t)-1) {
			/* Nothing left, or nothing can start until a running one ends. */
			if (sc->running == 0)
				break;
			pthread_cond_wait(&sc->cond, &r->lock);
			continue;
		}
		sc->started[i] = true;
		if (r->pg[i].done) {
			diag_info(DIAG_VERBOSE, NULL, "%s: deployed before the resume; skipped",
				  r->plan->services[i].name);
			continue;
		}
		sc->running++;
		/*
		 * Woken one at a time, each waking the next while work is
		 * ready: a broadcast per finished service woke every idle
		 * worker to find nothing, a thousand times a run.
		 */
		if (sched_pick(sc) != (size_t)-1)
			pthread_cond_signal(&sc->cond);
		pthread_mutex_unlock(&r->lock);
		run_picked(r, i);
		pthread_mutex_lock(&r->lock);
		sc->running--;
		pthread_cond_signal(&sc->cond);
	}
	pthread_cond_broadcast(&sc->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void
run_stages(struct deploy_run *r)
{
	const struct deploy_plan *p = r->plan;
	struct sched sc;
	size_t n_work = 0, n_threads, started = 0;
	pthread_t *threads;

	sched_init(&sc, r);
	for (size_t i = 0; i < p->n_services; i++)
		n_work += p->services[i].deploy && !r->pg[i].done;
	n_threads = n_work < r->parallel ? n_work : r->parallel;
	threads = xcalloc(n_threads + 1, sizeof(*threads));
	for (; started < n_threads; started++)
		if (pthread_create(&threads[started], NULL, sched_worker, &sc) != 0)
			break;
	/* With no thread (nothing to deploy, or none could be made), this one works. */
	if (started == 0)
		sched_worker(&sc);
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	/* What never started is said so, unless a resume will start it. */
	for (size_t i = 0; i < p->n_services && r->failed && !r->interrupted && !r->ioerr; i++)
		if (p->services[i].deploy && !sc.started[i] &&
		    emit_skipped(r, &p->services[i], "not started: the run failed") < 0)
			r->ioerr = true;
	sched_release(&sc);
}

static bool
any_touched(const struct deploy_service *s, const struct svc_progress *pg)
{
	for (size_t t = 0; t < s->n_targets; t++)
		if (pg->touched[t])
			return true;
	return pg->switched;
}

static int
cmp_seq_desc(const void *a, const void *b, void *ctx)
{
	const struct svc_progress *pg = ctx;
	unsigned long x = pg[*(const size_t *)a].done_seq, y = pg[*(const size_t *)b].done_seq;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Sorts idx[0..n) by done_seq, newest first (qsort has no context argument). */
static void
sort_newest_first(size_t *idx, size_t n, const struct svc_progress *pg)
{
	for (size_t i = 1; i < n; i++) {
		size_t v = idx[i], j = i;

		while (j > 0 && cmp_seq_desc(&idx[j - 1], &v, (void *)pg) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
}

static bool
rollback_pending(const struct svc_progress *pg)
{
	return pg->rollback != RB_OK && pg->rollback != RB_SKIPPED;
}

/*
 * The failed services first, then any left half-way by a crash, then the
 * cascade: every service completed in this run, newest first.
 */
static size_t
rollback_order(const struct deploy_run *r, size_t *idx)
{
	const struct deploy_plan *p = r->plan;
	size_t n = 0, first_done;

	for (unsigned long seq = 0; seq < r->info.next_seq; seq++)
		for (size_t i = 0; i < p->n_services; i++)
			if (r->pg[i].failed && r->pg[i].failed_seq == seq &&
			    rollback_pending(&r->pg[i]))
				idx[n++] = i;
	for (size_t i = 0; i < p->n_services; i++)
		if (!r->pg[i].failed && !r->pg[i].done && rollback_pending(&r->pg[i]) &&
		    any_touched(&p->services[i], &r->pg[i]))
			idx[n++] = i;
	first_done = n;
	for (size_t i = 0; i < p->n_services; i++)
		if (r->pg[i].done && !r->pg[i].failed && rollback_pending(&r->pg[i]))
			idx[n++] = i;
	sort_newest_first(idx + first_done, n - first_done, r->pg);
	return n;
}

static void
run_rollbacks(struct deploy_run *r)
{
	size_t *idx = xcalloc(r->plan->n_services + 1, sizeof(size_t));
	size_t n = rollback_order(r, idx);

	for (size_t k = 0; k < n && !r->ioerr; k++) {
		enum rollback_result res;

		if (proc_stop_requested(r->o->stop_fd)) {
			r->interrupted = true;
			break;
		}
		res = strategy_rollback(&r->sc[idx[k]]);
		if (res == ROLLBACK_INTERRUPTED)
			r->interrupted = true;
		else if (res == ROLLBACK_IOERR)
			r->ioerr = true;
		if (r->interrupted)
			break;
	}
	free(idx);
}

static void
add_name_list(struct strbuf *sb, const char *key, const struct deploy_run *r,
	      bool (*pick)(const struct svc_progress *))
{
	size_t count = 0;

	for (size_t i = 0; i < r->plan->n_services; i++) {
		const char *name = r->plan->services[i].name;

		if (!pick(&r->pg[i]))
			continue;
		if (count++)
			strbuf_addch(sb, ',');
		else
			strbuf_addf(sb, ",\"%s\":[", key);
		jsonw_append_string(sb, name, strlen(name));
	}
	if (count)
		strbuf_addch(sb, ']');
}

static bool pick_failed(const struct svc_progress *pg) { return pg->failed; }
static bool pick_rolled_back(const struct svc_progress *pg) { return pg->rollback == RB_OK; }
static bool pick_rollback_failed(const struct svc_progress *pg)
{
	return pg->rollback == RB_FAILED || pg->rollback == RB_STARTED;
}
static bool pick_left(const struct svc_progress *pg) { return pg->left; }

static const char *
run_status(const struct deploy_run *r)
{
	bool rb_failed = false;

	if (r->interrupted)
		return "interrupted";
	if (!r->failed)
		return "succeeded";
	for (size_t i = 0; i < r->plan->n_services; i++)
		rb_failed |= pick_rollback_failed(&r->pg[i]);
	return rb_failed ? "rollback_failed" : "rolled_back";
}

static int
emit_summary(struct deploy_run *r, const char *status)
{
	struct strbuf sb = STRBUF_INIT;
	size_t deployed = 0, skipped = 0;
	int ret;

	for (size_t i = 0; i < r->plan->n_services; i++) {
		deployed += r->pg[i].done && r->pg[i].rollback != RB_OK;
		skipped += !r->plan->services[i].deploy;
	}
	strbuf_addstr(&sb, "{\"type\":\"summary\"");
	add_string_key(&sb, "run", r->run_id);
	add_string_key(&sb, "status", status);
	strbuf_addf(&sb, ",\"services\":%zu,\"deployed\":%zu,\"skipped\":%zu,\"duration_ms\":%lld",
		    r->plan->n_services, deployed, skipped,
		    (long long)(monotonic_ms() - r->start_ms));
	add_name_list(&sb, "failed", r, pick_failed);
	add_name_list(&sb, "rolled_back", r, pick_rolled_back);
	add_name_list(&sb, "rollback_failed", r, pick_rollback_failed);
	add_name_list(&sb, "not_rolled_back", r, pick_left);
	strbuf_addch(&sb, '}');
	ret = events_emit_raw(r->sh.ev, sb.buf, sb.len, true);
	strbuf_release(&sb);
	return ret;
}

static int
save_state(struct deploy_run *r)
{
	char ts[TIMEFMT_RFC3339_SIZE];

	timefmt_rfc3339(timefmt_now_ms(), ts);
	for (size_t i = 0; i < r->plan->n_services; i++) {
		const struct deploy_service *s = &r->plan->services[i];

		if (r->pg[i].done)
			deploystate_record(&r->state, s->name, s->digest, s->config_digest,
					   s->inputs_digest, ts, r->run_id);
	}
	return deploystate_save(&r->state, r->o->state_path);
}

/*
 * A target whose breaker is open refuses the run before anything starts:
 * a cron job must not redeploy to a host that failed five times running.
 */
static int
check_breakers(struct deploy_run *r)
{
	struct strbuf names = STRBUF_INIT;
	struct strmap *seen = strmap_new(r->plan->n_services);
	int64_t now = timefmt_now_ms();
	int ret = 0;

	for (size_t i = 0; i < r->plan->n_services; i++) {
		const struct deploy_service *s = &r->plan->services[i];

		if (!s->deploy || r->pg[i].done)
			continue;
		for (size_t t = 0; t < s->n_targets; t++) {
			struct breaker *b;

			/* Asked once per target: a half-open breaker lets one run through. */
			if (strmap_add(seen, s->targets[t], NULL) == 0)
				continue;
			b = breaker_store_get(r->sh.breakers, s->targets[t]);
			if (!breaker_allow(b, NULL, now))
				strbuf_addf(&names, "%s%s (%s)", names.len ? ", " : "",
					    s->targets[t], s->name);
		}
	}
	if (names.len)
		ret = diag_error(CODE_EXIT_UNAVAILABLE, NULL,
				 "circuit open for %s: the last %u deployments there failed; "
				 "not deploying (the breaker lets one try through %lds after it opened)",
				 names.buf, BREAKER_DEFAULT_FAILURES,
				 (long)(BREAKER_DEFAULT_OPEN_MS / 1000));
	strbuf_release(&names);
	strmap_free(seen);
	return ret;
}

static int
open_journal(struct deploy_run *r)
{
	const struct deploy_options *o = r->o;
	bool resuming = false;
	int ret;

	if ((ret = resume_load(o->journal_path, r->plan, r->pg, &r->info)) < 0) {
		if (o->resume)
			return ret;
		/* A fresh run replaces the journal: a bad one must not block every later deploy. */
		diag_warn(NULL, "the journal '%s' cannot be read; starting a new run, which replaces it",
			  o->journal_path);
		run_info_release(&r->info);
	}
	if (o->resume && resume_wanted(&r->info)) {
		if (strcmp(r->info.plan_digest, r->plan->digest) != 0)
			return diag_error(CODE_EXIT_DATAERR, NULL,
					  "cannot resume run %s: it ran plan %s, this is plan %s "
					  "(run without --resume to start afresh)",
					  r->info.run_id, r->info.plan_digest, r->plan->digest);
		resuming = true;
		r->run_id = xstrdup(r->info.run_id);
		diag_info(DIAG_NORMAL, NULL, "resuming run %s", r->run_id);
	} else {
		if (o->resume)
			diag_warn(NULL, "nothing to resume in '%s'%s%s; starting a new run",
				  o->journal_path, r->info.found ? ": run " : "",
				  r->info.found ? r->info.run_id : "");
		else if (resume_wanted(&r->info))
			diag_warn(NULL, "run %s did not finish; starting a new run "
				  "(--resume would have continued it)", r->info.run_id);
		/* Forget the old run's progress. */
		progress_free(r->pg, r->plan->n_services);
		r->pg = progress_new(r->plan);
		for (size_t i = 0; i < r->plan->n_services; i++)
			r->sc[i].pg = &r->pg[i];
		run_info_release(&r->info);
		r->run_id = xcalloc(1, 64);
		make_run_id(r->run_id, 64);
	}
	r->sh.run_id = r->run_id;
	if ((ret = journal_open(o->journal_path, !resuming, &r->journal)) < 0)
		return ret;
	return resuming ? 1 : 0;
}

static int
is_run_dir(const struct dirent *d)
{
	/* 20261123T141455Z-d919 */
	return strlen(d->d_name) == 21 && d->d_name[8] == 'T' && d->d_name[15] == 'Z' &&
	       d->d_name[16] == '-';
}

/* Removes a run's log directory (flat: files only). */
static void
remove_run_logs(const char *root, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	struct dirent *d;
	DIR *dir;

	strbuf_addf(&sb, "%s/%s", root, name);
	if ((dir = opendir(sb.buf)) != NULL) {
		size_t base = sb.len;

		while ((d = readdir(dir)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			strbuf_setlen(&sb, base);
			strbuf_addf(&sb, "/%s", d->d_name);
			unlink(sb.buf);
			strbuf_setlen(&sb, base);
		}
		closedir(dir);
	}
	if (rmdir(sb.buf) < 0 && errno != ENOENT)
		diag_info(DIAG_VERBOSE, NULL, "cannot remove old logs '%s': %s", sb.buf,
			  strerror(errno));
	strbuf_release(&sb);
}

/* Logs of the last LOG_RUNS_KEPT runs are kept; run ids sort by time. */
static void
prune_logs(const char *root)
{
	struct dirent **list = NULL;
	int n = scandir(root, &list, is_run_dir, alphasort);

	for (int i = 0; i < n; i++) {
		if (i < n - LOG_RUNS_KEPT)
			remove_run_logs(root, list[i]->d_name);
		free(list[i]);
	}
	free(list);
}

static int
make_log_dir(struct deploy_run *r)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (r->o->log_root == NULL)
		return 0;
	strbuf_addf(&sb, "%s/%s", r->o->log_root, r->run_id);
	if ((ret = dirs_make(sb.buf, 0700)) < 0) {
		strbuf_release(&sb);
		return ret;
	}
	r->log_dir = strbuf_detach(&sb, NULL);
	r->sh.log_dir = r->log_dir;
	prune_logs(r->o->log_root);
	return 0;
}

static int
exit_status_of(const char *status)
{
	if (strcmp(status, "succeeded") == 0)
		return CODE_EXIT_OK;
	if (strcmp(status, "rolled_back") == 0)
		return CODE_EXIT_NEGATIVE;
	if (strcmp(status, "rollback_failed") == 0)
		return CODE_EXIT_ROLLBACK_FAILED;
	return CODE_EXIT_INTERRUPTED;
}

static int
execute(struct deploy_run *r)
{
	const char *status;
	int resumed, ret;

	if ((ret = deploystate_load(r->o->state_path, &r->state)) < 0)
		return ret;
	if ((ret = open_journal(r)) < 0)
		return ret;
	resumed = ret;
	if ((ret = check_breakers(r)) < 0) {
		breaker_store_save(r->sh.breakers);
		return ret;
	}
	if ((ret = make_log_dir(r)) < 0)
		return ret;
	{
		struct events_config cfg = { r->o->out, r->journal, r->redact, r->run_id,
					     r->plan->n_services, r->o->progress };

		r->sh.ev = events_new(&cfg);
	}
	if (emit_run_record(r, resumed) < 0)
		return -CODE_EXIT_IOERR;
	for (size_t i = 0; i < r->plan->n_services; i++)
		r->n_done += r->pg[i].done;
	if (resumed && resume_rolling_back(r->plan, r->pg))
		r->failed = true;
	else
		run_stages(r);
	if (r->failed && !r->interrupted && !r->ioerr)
		run_rollbacks(r);
	events_progress_end(r->sh.ev);
	if (r->ioerr)
		return -CODE_EXIT_IOERR;
	status = run_status(r);
	/*
	 * The state first: a crash between the two then leaves a journal
	 * whose every service is done, which --resume completes without
	 * redeploying anything.
	 */
	if (strcmp(status, "succeeded") == 0 && (ret = save_state(r)) < 0)
		return ret;
	if (emit_summary(r, status) < 0)
		return -CODE_EXIT_IOERR;
	ret = exit_status_of(status);
	if (ret == CODE_EXIT_OK && events_output_failed(r->sh.ev))
		ret = CODE_EXIT_IOERR;
	return ret;
}

/* --dry-run: each command as a record, in the order a clean run would start them. */
static int
dry_run(struct deploy_run *r)
{
	const struct deploy_plan *p = r->plan;
	struct strbuf sb = STRBUF_INIT;
	size_t would = 0, skipped = 0;
	int ret = 0;

	for (size_t i = 0; i < p->n_services && ret == 0; i++) {
		const struct deploy_service *s = &p->services[i];
		char **argv;

		if (!s->deploy) {
			skipped++;
			continue;
		}
		would++;
		for (size_t t = 0; t < s->n_targets && ret == 0; t++) {
			argv = command_expand(&s->deploy_cmd, s->name, s->targets[t], NULL);
			strbuf_reset(&sb);
			strbuf_addstr(&sb, "{\"type\":\"command\"");
			add_string_key(&sb, "service", s->name);
			add_string_key(&sb, "target", s->targets[t]);
			strbuf_addf(&sb, ",\"stage\":%u", s->stage);
			add_string_key(&sb, "phase", "deploy");
			add_string_key(&sb, "strategy", strategy_name(s->strategy));
			strbuf_addstr(&sb, ",\"argv\":[");
			for (char **a = argv; *a; a++) {
				char *w = redact_string(r->redact, *a);

				if (a != argv)
					strbuf_addch(&sb, ',');
				jsonw_append_string(&sb, w, strlen(w));
				free(w);
			}
			strbuf_addch(&sb, ']');
			if (s->health.kind == HEALTH_HTTP) {
				char *url = placeholder_expand(s->health.url, s->name, s->targets[t], NULL);
				char *u = redact_string(r->redact, url);

				add_string_key(&sb, "health", u);
				free(u);
				free(url);
			}
			strbuf_addch(&sb, '}');
			command_argv_free(argv);
			ret = events_emit_raw(r->sh.ev, sb.buf, sb.len, false);
		}
	}
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "{\"type\":\"summary\"");
	add_string_key(&sb, "run", r->run_id);
	strbuf_addf(&sb, ",\"status\":\"succeeded\",\"dry_run\":true,\"services\":%zu,"
		    "\"deployed\":0,\"would_deploy\":%zu,\"skipped\":%zu,\"duration_ms\":0}",
		    p->n_services, would, skipped);
	if (ret == 0)
		ret = events_emit_raw(r->sh.ev, sb.buf, sb.len, false);
	strbuf_release(&sb);
	if (ret == 0 && events_output_failed(r->sh.ev))
		ret = -CODE_EXIT_IOERR;
	return ret < 0 ? code_exit_status(ret) : CODE_EXIT_OK;
}

int
deploy_run(const struct deploy_options *o, const struct deploy_plan *plan)
{
	struct deploy_run r;
	int ret = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.plan = plan;
	r.lock_fd = -1;
	r.start_ms = monotonic_ms();
	r.parallel = o->parallel ? o->parallel : plan->parallel ? plan->parallel : DEFAULT_PARALLEL;
	pthread_mutex_init(&r.lock, NULL);
	pthread_mutex_init(&r.breakers_lock, NULL);
	r.redact = redact_new();
	redact_environment(r.redact);
	r.pg = progress_new(plan);
	r.sc = xcalloc(plan->n_services + 1, sizeof(*r.sc));
	for (size_t i = 0; i < plan->n_services && ret == 0; i++)
		ret = prepare_service(&r, i);
	r.sh.popts.redact = r.redact;
	r.sh.popts.stop_fd = o->stop_fd;
	r.sh.popts.kill_after_ms = o->kill_after_ms;
	r.sh.breakers_lock = &r.breakers_lock;
	r.sh.retry_delay_ms = o->retry_delay_ms;
	if (ret == 0 && o->dry_run) {
		struct events_config cfg = { o->out, NULL, r.redact, "dry-run", plan->n_services,
					     false };

		r.run_id = xstrdup("dry-run");
		r.sh.run_id = r.run_id;
		r.sh.ev = events_new(&cfg);
		ret = dry_run(&r);
	} else if (ret == 0 && (ret = lock_acquire(o->state_path, &r.lock_fd)) == 0) {
		breaker_store_load(o->breakers_path, &r.sh.breakers);
		ret = execute(&r);
		if (r.sh.breakers && breaker_store_save(r.sh.breakers) < 0 && ret == 0)
			ret = CODE_EXIT_IOERR;
	}
	if (journal_close(r.journal) < 0 && ret == 0)
		ret = CODE_EXIT_IOERR;
	lock_release(r.lock_fd);
	breaker_store_free(r.sh.breakers);
	events_free(r.sh.ev);
	deploystate_release(&r.state);
	for (size_t i = 0; i < plan->n_services; i++) {
		command_argv_free(r.sc[i].env);
		httpcheck_body_free(r.sc[i].body);
	}
	free(r.sc);
	progress_free(r.pg, plan->n_services);
	run_info_release(&r.info);
	redact_free(r.redact);
	free(r.run_id);
	free(r.log_dir);
	pthread_mutex_destroy(&r.lock);
	pthread_mutex_destroy(&r.breakers_lock);
	return code_exit_status(ret);
}
