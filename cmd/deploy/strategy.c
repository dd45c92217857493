/* strategy.c: one service's deployment (rolling, all at once, blue-green, canary, monitor) and its rollback. */
#include "cmd/deploy/strategy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/timefmt.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

extern char **environ;

#define HEALTH_BACKOFF_CAP_FACTOR 8
#define RETRY_BACKOFF_CAP_MS 30000

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
command_mentions(const struct deploy_command *c, const char *placeholder)
{
	if (c->shell)
		return strstr(c->shell, placeholder) != NULL;
	for (char **a = c->argv; a && *a; a++)
		if (strstr(*a, placeholder))
			return true;
	return false;
}

static bool
env_name_is(const char *entry, const char *name)
{
	size_t n = strlen(name);

	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

static bool
overridden(const struct svc_ctx *sc, const char *entry)
{
	static const char *const ours[] = {
		"CODE_DEPLOY_RUN", "CODE_DEPLOY_SERVICE", "CODE_DEPLOY_TARGET",
		"CODE_DEPLOY_PHASE", "CODE_DEPLOY_WEIGHT", NULL
	};

	for (size_t i = 0; ours[i]; i++)
		if (env_name_is(entry, ours[i]))
			return true;
	for (size_t i = 0; i < sc->svc->n_env; i++)
		if (env_name_is(entry, sc->svc->env[i].name))
			return true;
	return false;
}

char **
strategy_build_env(const struct svc_ctx *sc, const char *target, const char *phase, int weight)
{
	size_t n = 0, k = 0;
	char **envp;
	struct strbuf sb = STRBUF_INIT;

	while (environ[n])
		n++;
	envp = xcalloc(n + sc->svc->n_env + 6, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (!overridden(sc, environ[i]))
			envp[k++] = xstrdup(environ[i]);
	for (char **e = sc->env; e && *e; e++)
		envp[k++] = xstrdup(*e);
	strbuf_addf(&sb, "CODE_DEPLOY_RUN=%s", sc->sh->run_id);
	envp[k++] = strbuf_detach(&sb, NULL);
	strbuf_addf(&sb, "CODE_DEPLOY_SERVICE=%s", sc->svc->name);
	envp[k++] = strbuf_detach(&sb, NULL);
	strbuf_addf(&sb, "CODE_DEPLOY_PHASE=%s", phase);
	envp[k++] = strbuf_detach(&sb, NULL);
	if (target) {
		strbuf_addf(&sb, "CODE_DEPLOY_TARGET=%s", target);
		envp[k++] = strbuf_detach(&sb, NULL);
	}
	if (weight >= 0) {
		strbuf_addf(&sb, "CODE_DEPLOY_WEIGHT=%d", weight);
		envp[k++] = strbuf_detach(&sb, NULL);
	}
	envp[k] = NULL;
	return envp;
}

/* RUN/SERVICE.TARGET.PHASE.log, or RUN/SERVICE.PHASE.log for a service-wide command. */
static char *
log_path(const struct svc_ctx *sc, const char *target, const char *phase)
{
	struct strbuf sb = STRBUF_INIT;

	if (sc->sh->log_dir == NULL)
		return NULL;
	strbuf_addf(&sb, "%s/%s.", sc->sh->log_dir, sc->svc->name);
	if (target) {
		/* Target names may hold '/', which must not make a directory. */
		for (const char *p = target; *p; p++)
			strbuf_addch(&sb, *p == '/' ? '_' : *p);
		strbuf_addch(&sb, '.');
	}
	strbuf_addf(&sb, "%s.log", phase);
	return strbuf_detach(&sb, NULL);
}

static struct event
event_init(const struct svc_ctx *sc, const char *target, const char *phase, const char *status)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.service = sc->svc->name;
	e.target = target;
	e.phase = phase;
	e.status = status;
	e.duration_ms = -1;
	e.exit_code = -1;
	e.weight = -1;
	return e;
}

static int
emit(const struct svc_ctx *sc, const struct event *e)
{
	return events_emit(sc->sh->ev, e);
}

static void
progress(const struct svc_ctx *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
progress(const struct svc_ctx *sc, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	events_progress(sc->sh->ev, EVENTS_DONE_UNCHANGED, sc->svc->name, what);
}

/* One command on several targets (or once, service-wide, when targets is NULL). */
struct cmd_batch {
	const char *phase;
	const struct deploy_command *cmd;
	const size_t *targets;      /* indices into svc->targets; NULL: once */
	size_t n;
	int weight;                 /* < 0: none */
	int64_t timeout_ms;
	unsigned retries;
	bool mark_touched;          /* a deploy: remember where it ran, for rollback */
};

static const char *
batch_target(const struct svc_ctx *sc, const struct cmd_batch *b, size_t j)
{
	return b->targets ? sc->svc->targets[b->targets[j]] : NULL;
}

/*
 * Runs the batch's command on its targets at once; failed ones are
 * retried (with backoff) up to b->retries times. Events: start per
 * attempt, then ok, retry, fail or timeout.
 */
static enum svc_outcome
run_batch(struct svc_ctx *sc, const struct cmd_batch *b)
{
	size_t n = b->targets ? b->n : 1;
	size_t *pending = xcalloc(n, sizeof(size_t)), n_pending = n;
	struct proc_spec *specs = xcalloc(n, sizeof(*specs));
	struct proc_result *res = xcalloc(n, sizeof(*res));
	char ***argvs = xcalloc(n, sizeof(char **)), ***envps = xcalloc(n, sizeof(char **));
	char **logs = xcalloc(n, sizeof(char *));
	char weight[16];
	enum svc_outcome outcome = SVC_OK;

	snprintf(weight, sizeof(weight), "%d", b->weight);
	for (size_t j = 0; j < n; j++)
		pending[j] = j;
	for (unsigned attempt = 1; n_pending > 0 && outcome == SVC_OK; attempt++) {
		size_t n_retry = 0;

		for (size_t k = 0; k < n_pending; k++) {
			size_t j = pending[k];
			const char *target = batch_target(sc, b, j);
			struct event e = event_init(sc, target, b->phase, "start");

			argvs[k] = command_expand(b->cmd, sc->svc->name, target,
						  b->weight >= 0 ? weight : NULL);
			envps[k] = strategy_build_env(sc, target, b->phase, b->weight);
			logs[k] = log_path(sc, target, b->phase);
			specs[k].argv = argvs[k];
			specs[k].envp = envps[k];
			specs[k].log_path = logs[k];
			specs[k].timeout_ms = b->timeout_ms;
			if (b->mark_touched && b->targets)
				sc->pg->touched[b->targets[j]] = true;
			if (strcmp(b->phase, "switch") == 0)
				sc->pg->switched = true;
			e.attempt = attempt;
			e.weight = b->weight;
			if (emit(sc, &e) < 0)
				outcome = SVC_IOERR;
		}
		if (outcome == SVC_OK) {
			progress(sc, "%s%s", b->phase, attempt > 1 ? " (retry)" : "");
			if (proc_run(specs, n_pending, &sc->sh->popts, res) < 0)
				diag_warn(NULL, "%s: some command output could not be logged",
					  sc->svc->name);
		}
		for (size_t k = 0; k < n_pending && outcome != SVC_IOERR; k++) {
			size_t j = pending[k];
			const char *target = batch_target(sc, b, j);
			struct event e = event_init(sc, target, b->phase, "ok");
			char msg[512];

			if (res[k].outcome == PROC_EXITED && res[k].exit_status == 0) {
				e.status = "ok";
			} else if (res[k].outcome == PROC_STOPPED) {
				e.status = "interrupted";
				outcome = SVC_INTERRUPTED;
			} else if (attempt <= b->retries) {
				e.status = "retry";
				pending[n_retry++] = j;
			} else {
				e.status = res[k].outcome == PROC_TIMEOUT ? "timeout" : "fail";
				outcome = SVC_FAILED;
			}
			e.attempt = attempt;
			e.weight = b->weight;
			e.duration_ms = res[k].duration_ms;
			e.exit_code = res[k].exit_status;
			if (strcmp(e.status, "ok") != 0) {
				proc_describe(&res[k], argvs[k][0], b->timeout_ms, msg, sizeof(msg));
				e.message = msg;
				e.tail = res[k].tail;
				e.log = res[k].logged ? logs[k] : NULL;
			}
			if (emit(sc, &e) < 0)
				outcome = SVC_IOERR;
		}
		for (size_t k = 0; k < n_pending; k++) {
			command_argv_free(argvs[k]);
			command_argv_free(envps[k]);
			free(logs[k]);
			proc_result_release(&res[k]);
			memset(&res[k], 0, sizeof(res[k]));
		}
		n_pending = n_retry;
		if (n_pending > 0 && outcome == SVC_OK &&
		    !proc_sleep(sc->sh->popts.stop_fd,
				backoff_delay_ms(&sc->backoff, attempt - 1)))
			outcome = SVC_INTERRUPTED;
	}
	free(pending);
	free(specs);
	free(res);
	free(argvs);
	free(envps);
	free(logs);
	return outcome;
}

/* The command on each of the targets: all at once, or one by one, newest first. */
static enum svc_outcome
run_on_targets(struct svc_ctx *sc, const char *phase, const struct deploy_command *cmd,
	       const size_t *targets, size_t n, int weight, bool reverse_one_by_one)
{
	struct cmd_batch b = { phase, cmd, targets, n, weight, sc->svc->timeout_ms,
			       sc->svc->retries, false };
	enum svc_outcome o = SVC_OK;

	if (!reverse_one_by_one)
		return run_batch(sc, &b);
	for (size_t k = n; k-- > 0 && o == SVC_OK;) {
		b.targets = &targets[k];
		b.n = 1;
		o = run_batch(sc, &b);
	}
	return o;
}

/* The command for every target when it names {target}, else once for the service. */
static enum svc_outcome
run_per_target_or_once(struct svc_ctx *sc, const char *phase, const struct deploy_command *cmd,
		       const size_t *targets, size_t n, int weight)
{
	struct cmd_batch b = { phase, cmd, NULL, 0, weight, sc->svc->timeout_ms,
			       sc->svc->retries, false };

	if (!command_mentions(cmd, "{target}"))
		return run_batch(sc, &b);
	return run_on_targets(sc, phase, cmd, targets, n, weight, false);
}

/*
 * Counts a target's health verdict in its circuit breaker, keyed by the
 * target name: a host that fails run after run (cron) opens it.
 */
static void
breaker_report(const struct svc_ctx *sc, const char *target, bool ok)
{
	struct breaker *b;

	if (sc->sh->breakers == NULL)
		return;
	pthread_mutex_lock(sc->sh->breakers_lock);
	b = breaker_store_get(sc->sh->breakers, target);
	if (ok)
		breaker_success(b);
	else if (breaker_failure(b, NULL, timefmt_now_ms()))
		diag_warn(NULL, "target %s: circuit opened after %u failed deployments in a row; "
			  "runs in the next %lds are refused (exit 69)",
			  target, BREAKER_DEFAULT_FAILURES, (long)(BREAKER_DEFAULT_OPEN_MS / 1000));
	pthread_mutex_unlock(sc->sh->breakers_lock);
}

/* One health probe of target; fills msg and tail on failure. */
static enum svc_outcome
probe_once(struct svc_ctx *sc, const char *target, const char *phase, bool *ok,
	   int64_t *duration_ms, char *msg, size_t size, char **tail)
{
	const struct deploy_health *h = &sc->svc->health;

	*tail = NULL;
	if (h->kind == HEALTH_HTTP) {
		char *url = placeholder_expand(h->url, sc->svc->name, target, NULL);
		struct httpcheck_request req = { url, h->expect, sc->body, h->timeout_ms,
						 sc->sh->popts.stop_fd };
		struct httpcheck_result r;

		httpcheck_probe(&req, &r);
		free(url);
		*ok = r.ok;
		*duration_ms = r.duration_ms;
		snprintf(msg, size, "%s", r.message);
		return r.stopped ? SVC_INTERRUPTED : SVC_OK;
	} else {
		char **argv = command_expand(&h->cmd, sc->svc->name, target, NULL);
		char **envp = strategy_build_env(sc, target, phase, -1);
		char *log = log_path(sc, target, phase);
		struct proc_spec spec = { argv, envp, log, h->timeout_ms };
		struct proc_result r;

		memset(&r, 0, sizeof(r));
		if (proc_run(&spec, 1, &sc->sh->popts, &r) < 0)
			diag_warn(NULL, "%s: health check output could not be logged", sc->svc->name);
		*ok = r.outcome == PROC_EXITED && r.exit_status == 0;
		*duration_ms = r.duration_ms;
		proc_describe(&r, argv[0], h->timeout_ms, msg, size);
		*tail = r.tail;
		r.tail = NULL;
		proc_result_release(&r);
		command_argv_free(argv);
		command_argv_free(envp);
		free(log);
		return r.outcome == PROC_STOPPED ? SVC_INTERRUPTED : SVC_OK;
	}
}

/*
 * Health-checks target until it passes or retries run out, with backoff
 * and full jitter between attempts. quiet: a monitor sample, which
 * reports only failures. *needed_retry: whether any attempt failed.
 */
static enum svc_outcome
check_health(struct svc_ctx *sc, const char *target, const char *phase, bool quiet,
	     bool *needed_retry)
{
	const struct deploy_health *h = &sc->svc->health;
	struct backoff bo;
	enum svc_outcome o = SVC_OK;
	int64_t cap = h->interval_ms * HEALTH_BACKOFF_CAP_FACTOR;

	*needed_retry = false;
	if (h->kind == HEALTH_NONE)
		return SVC_OK;
	backoff_init(&bo, h->interval_ms, cap, 0);
	if (!quiet) {
		struct event e = event_init(sc, target, phase, "start");

		if (emit(sc, &e) < 0)
			return SVC_IOERR;
		if (h->start_period_ms > 0 &&
		    !proc_sleep(sc->sh->popts.stop_fd, h->start_period_ms))
			return SVC_INTERRUPTED;
	}
	for (unsigned attempt = 1;; attempt++) {
		struct event e = event_init(sc, target, phase, "ok");
		char msg[256] = "";
		char *tail = NULL;
		bool ok = false;

		progress(sc, "%s %s%s", phase, target, attempt > 1 ? " (retry)" : "");
		o = probe_once(sc, target, phase, &ok, &e.duration_ms, msg, sizeof(msg), &tail);
		e.attempt = attempt;
		if (o == SVC_INTERRUPTED) {
			e.status = "interrupted";
		} else if (ok) {
			e.status = "ok";
		} else if (attempt <= h->retries) {
			e.status = "retry";
			*needed_retry = true;
		} else {
			e.status = "fail";
			*needed_retry = true;
			o = SVC_FAILED;
		}
		if (!ok) {
			e.message = msg;
			e.tail = tail;
		}
		if ((!quiet || !ok) && emit(sc, &e) < 0)
			o = SVC_IOERR;
		free(tail);
		if (ok || o != SVC_OK)
			break;
		if (!proc_sleep(sc->sh->popts.stop_fd, backoff_delay_ms(&bo, attempt - 1))) {
			o = SVC_INTERRUPTED;
			break;
		}
	}
	if (o == SVC_OK || o == SVC_FAILED)
		breaker_report(sc, target, o == SVC_OK);
	return o;
}

static enum svc_outcome
check_targets(struct svc_ctx *sc, const size_t *targets, size_t n)
{
	bool retried;
	enum svc_outcome o = SVC_OK;

	for (size_t k = 0; k < n && o == SVC_OK; k++)
		o = check_health(sc, sc->svc->targets[targets[k]], "health", false, &retried);
	return o;
}

/* Deploys targets (all at once) and health-checks each. */
static enum svc_outcome
deploy_targets(struct svc_ctx *sc, const size_t *targets, size_t n)
{
	struct cmd_batch b = { "deploy", &sc->svc->deploy_cmd, targets, n, -1,
			       sc->svc->timeout_ms, sc->svc->retries, true };
	enum svc_outcome o = run_batch(sc, &b);

	if (o != SVC_OK)
		return o;
	return check_targets(sc, targets, n);
}

static enum svc_outcome
service_wide(struct svc_ctx *sc, const char *phase, const struct deploy_command *cmd,
	     const size_t *all, int weight)
{
	return run_per_target_or_once(sc, phase, cmd, all, sc->svc->n_targets, weight);
}

/* Keeps health-checking after the switch; the interval doubles while all is well. */
static enum svc_outcome
monitor(struct svc_ctx *sc)
{
	const struct deploy_monitor *m = &sc->svc->monitor;
	struct event e = event_init(sc, NULL, "monitor", "start");
	int64_t start = monotonic_ms(), interval = m->interval_ms;
	enum svc_outcome o = SVC_OK;

	if (!m->set)
		return SVC_OK;
	if (sc->svc->health.kind == HEALTH_NONE) {
		e.status = "skipped";
		e.message = "no health check to monitor with";
		return emit(sc, &e) < 0 ? SVC_IOERR : SVC_OK;
	}
	if (emit(sc, &e) < 0)
		return SVC_IOERR;
	while (o == SVC_OK) {
		int64_t left = m->duration_ms - (monotonic_ms() - start);
		bool any_retry = false;

		if (left <= 0)
			break;
		progress(sc, "monitor (%llds left)", (long long)(left / 1000));
		if (!proc_sleep(sc->sh->popts.stop_fd, interval < left ? interval : left)) {
			o = SVC_INTERRUPTED;
			break;
		}
		for (size_t t = 0; t < sc->svc->n_targets && o == SVC_OK; t++) {
			bool retried;

			o = check_health(sc, sc->svc->targets[t], "monitor", true, &retried);
			any_retry |= retried;
		}
		/* Adaptive sampling: stable results earn a longer interval. */
		interval = any_retry ? m->interval_ms
			 : (interval * 2 < m->max_interval_ms ? interval * 2 : m->max_interval_ms);
	}
	e = event_init(sc, NULL, "monitor", o == SVC_OK ? "ok" : o == SVC_FAILED ? "fail"
			       : "interrupted");
	e.duration_ms = monotonic_ms() - start;
	if (o != SVC_IOERR && emit(sc, &e) < 0)
		o = SVC_IOERR;
	return o;
}

static enum svc_outcome
deploy_rolling(struct svc_ctx *sc, const size_t *all, unsigned batch)
{
	size_t n = sc->svc->n_targets;
	enum svc_outcome o = SVC_OK;

	if (batch == 0)
		batch = 1;
	for (size_t k = 0; k < n && o == SVC_OK; k += batch)
		o = deploy_targets(sc, &all[k], n - k < batch ? n - k : batch);
	return o;
}

static enum svc_outcome
deploy_canary(struct svc_ctx *sc, const size_t *all)
{
	const struct deploy_canary *c = &sc->svc->canary;
	enum svc_outcome o = deploy_targets(sc, all, sc->svc->n_targets);

	for (size_t s = 0; s < c->n_steps && o == SVC_OK; s++) {
		int weight = (int)c->steps[s];

		o = service_wide(sc, "switch", &sc->svc->switch_cmd, all, weight);
		if (o == SVC_OK)
			o = check_targets(sc, all, sc->svc->n_targets);
		if (o == SVC_OK && command_is_set(&c->gate))
			o = service_wide(sc, "gate", &c->gate, all, weight);
		if (o == SVC_OK && s + 1 < c->n_steps && c->pause_ms > 0) {
			progress(sc, "canary %d%%, pause", weight);
			if (!proc_sleep(sc->sh->popts.stop_fd, c->pause_ms))
				o = SVC_INTERRUPTED;
		}
	}
	return o;
}

static size_t *
all_targets(const struct deploy_service *s)
{
	size_t *all = xcalloc(s->n_targets + 1, sizeof(size_t));

	for (size_t i = 0; i < s->n_targets; i++)
		all[i] = i;
	return all;
}

enum svc_outcome
strategy_deploy(struct svc_ctx *sc)
{
	const struct deploy_service *s = sc->svc;
	size_t *all = all_targets(s);
	enum svc_outcome o;

	backoff_init(&sc->backoff, sc->sh->retry_delay_ms, RETRY_BACKOFF_CAP_MS, 0);
	switch (s->strategy) {
	case STRATEGY_ALL_AT_ONCE:
		o = deploy_targets(sc, all, s->n_targets);
		break;
	case STRATEGY_BLUE_GREEN:
		o = deploy_targets(sc, all, s->n_targets);
		if (o == SVC_OK)
			o = service_wide(sc, "switch", &s->switch_cmd, all, -1);
		break;
	case STRATEGY_CANARY:
		o = deploy_canary(sc, all);
		break;
	case STRATEGY_ROLLING:
	default:
		o = deploy_rolling(sc, all, s->batch);
		break;
	}
	if (o == SVC_OK)
		o = monitor(sc);
	free(all);
	return o;
}

static size_t
touched_targets(const struct svc_ctx *sc, size_t *out)
{
	size_t n = 0;

	for (size_t t = 0; t < sc->svc->n_targets; t++)
		if (sc->pg->touched[t])
			out[n++] = t;
	return n;
}

static enum rollback_result
from_outcome(enum svc_outcome o)
{
	switch (o) {
	case SVC_OK: return ROLLBACK_OK;
	case SVC_INTERRUPTED: return ROLLBACK_INTERRUPTED;
	case SVC_IOERR: return ROLLBACK_IOERR;
	default: return ROLLBACK_FAILED;
	}
}

/* The work of a rollback; *why says what was skipped or left. */
static enum rollback_result
rollback_work(struct svc_ctx *sc, const char **why)
{
	const struct deploy_service *s = sc->svc;
	size_t *touched = xcalloc(s->n_targets + 1, sizeof(size_t));
	size_t n = touched_targets(sc, touched);
	bool has_cmd = command_is_set(&s->rollback_cmd);
	enum rollback_result r = ROLLBACK_OK;

	if (!s->rollback_on_failure) {
		*why = "rollback_on_failure is false";
		r = ROLLBACK_LEFT;
	} else if (s->strategy == STRATEGY_BLUE_GREEN) {
		/* The old version kept serving until the switch: only a switch needs undoing. */
		if (!sc->pg->switched) {
			*why = "traffic was never switched";
			r = ROLLBACK_SKIPPED;
		} else if (!has_cmd) {
			*why = "no rollback command to switch back with";
			r = ROLLBACK_LEFT;
		} else {
			r = from_outcome(run_per_target_or_once(sc, "rollback", &s->rollback_cmd,
								touched, n, -1));
		}
	} else {
		enum svc_outcome o = SVC_OK;

		if (s->strategy == STRATEGY_CANARY && sc->pg->switched &&
		    command_mentions(&s->switch_cmd, "{weight}")) {
			size_t *all = all_targets(s);

			o = service_wide(sc, "switch", &s->switch_cmd, all, 0);
			free(all);
		}
		if (o != SVC_OK) {
			r = from_outcome(o);
		} else if (n == 0) {
			*why = "nothing was deployed";
			r = ROLLBACK_SKIPPED;
		} else if (!has_cmd) {
			*why = "no rollback command";
			r = ROLLBACK_LEFT;
		} else {
			/*
			 * Each target deployed to is undone, with its name in
			 * CODE_DEPLOY_TARGET even when the command does not say
			 * {target}: rolling target by target, newest first; the
			 * others all at once.
			 */
			r = from_outcome(run_on_targets(sc, "rollback", &s->rollback_cmd, touched, n, -1,
							s->strategy == STRATEGY_ROLLING));
		}
	}
	free(touched);
	return r;
}

enum rollback_result
strategy_rollback(struct svc_ctx *sc)
{
	struct event e = event_init(sc, NULL, "rollback", "start");
	const char *why = NULL;
	enum rollback_result r;
	int64_t start = monotonic_ms();

	backoff_init(&sc->backoff, sc->sh->retry_delay_ms, RETRY_BACKOFF_CAP_MS, 0);
	sc->pg->rollback = RB_STARTED;
	if (emit(sc, &e) < 0)
		return ROLLBACK_IOERR;
	progress(sc, "rollback");
	r = rollback_work(sc, &why);
	switch (r) {
	case ROLLBACK_OK:
		e.status = "ok";
		sc->pg->rollback = RB_OK;
		break;
	case ROLLBACK_SKIPPED:
	case ROLLBACK_LEFT:
		e.status = "skipped";
		e.message = why;
		sc->pg->rollback = RB_SKIPPED;
		sc->pg->left = r == ROLLBACK_LEFT;
		break;
	case ROLLBACK_FAILED:
		e.status = "fail";
		sc->pg->rollback = RB_FAILED;
		break;
	case ROLLBACK_INTERRUPTED:
		e.status = "interrupted";
		break;
	case ROLLBACK_IOERR:
		return r;
	}
	e.duration_ms = monotonic_ms() - start;
	if (emit(sc, &e) < 0)
		return ROLLBACK_IOERR;
	return r;
}
