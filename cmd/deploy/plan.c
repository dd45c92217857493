/* plan.c: code-plan's NDJSON read and every step record checked into the services code-deploy runs. */
#include "cmd/deploy/plan.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/hash.h"
#include "libcommon/ndjson.h"
#include "libcommon/strbuf.h"
#include "libcommon/strmap.h"
#include "libcommon/xalloc.h"

#define PLAN_VERSION 1

#define STEP_DEFAULT_TIMEOUT_MS (5 * 60 * 1000)
#define STEP_DEFAULT_RETRIES 2
#define HEALTH_DEFAULT_EXPECT 200
#define HEALTH_DEFAULT_TIMEOUT_MS 5000
#define HEALTH_DEFAULT_INTERVAL_MS 2000
#define HEALTH_DEFAULT_RETRIES 10
#define MONITOR_DEFAULT_INTERVAL_MS 5000
#define MONITOR_DEFAULT_MAX_INTERVAL_MS 60000

/*
 * Upper bounds, far above any real plan, so that the engine's arithmetic
 * (milliseconds to nanoseconds, backoff doubling, per-stage arrays) can
 * never overflow whatever a record says.
 */
#define PLAN_MAX_MS ((int64_t)366 * 24 * 3600 * 1000)
#define PLAN_MAX_RETRIES 1000
#define PLAN_MAX_BATCH 1000000
#define PLAN_MAX_STAGE 100000
#define PLAN_MAX_PARALLEL 100000

/* The longest piece of a record's own text quoted back in a message. */
#define QUOTE_MAX 64

/* Unknown field names already said under -v, each said once per plan. */
struct unknown_set {
	struct strmap *map;     /* keys are the names below */
	char **names;
	size_t n;
};

/* What messages about one step record need. */
struct step_ctx {
	struct diag_loc loc;
	const char *service;    /* set once the name is known to be valid */
	bool skipping;          /* skip_invalid: a warning, and the record goes */
	struct unknown_set *unknown; /* NULL: say each unknown field */
};

static const char *const step_fields[] = {
	"type", "stage", "service", "action", "reason", "digest", "depends_on",
	"strategy", "targets", "deploy", "rollback", "switch", "health",
	"timeout_ms", "retries", "batch", "canary", "monitor", "env", "secrets",
	"inputs", "config_digest", "inputs_digest", "rollback_on_failure",
	"extra", NULL
};
static const char *const health_fields[] = {
	"http", "cmd", "expect", "body", "timeout_ms", "interval_ms", "retries",
	"start_period_ms", NULL
};
static const char *const canary_fields[] = { "steps", "pause_ms", "gate", NULL };
static const char *const monitor_fields[] = {
	"duration_ms", "interval_ms", "max_interval_ms", NULL
};

static const char *const strategy_names[] = {
	[STRATEGY_ROLLING] = "rolling",
	[STRATEGY_ALL_AT_ONCE] = "all_at_once",
	[STRATEGY_BLUE_GREEN] = "blue_green",
	[STRATEGY_CANARY] = "canary"
};

const char *
strategy_name(enum deploy_strategy s)
{
	if ((unsigned)s < sizeof(strategy_names) / sizeof(strategy_names[0]))
		return strategy_names[s];
	return "unknown";
}

/*
 * Appends s for a message: at most QUOTE_MAX bytes, control bytes as '?',
 * so a hostile record cannot write to the terminal through an error.
 */
static void
add_quoted(struct strbuf *sb, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < QUOTE_MAX; i++)
		strbuf_addch(sb, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i]);
	if (s[i] != '\0')
		strbuf_addstr(sb, "...");
}

static int
step_fail(const struct step_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The one way a step record is refused: an error, or a warning when it will be skipped. */
static int
step_fail(const struct step_ctx *c, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	if (c->skipping)
		strbuf_addstr(&msg, "skipped ");
	if (c->service)
		strbuf_addf(&msg, "step '%s': ", c->service);
	else
		strbuf_addstr(&msg, "step record: ");
	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (c->skipping)
		diag_warn(&c->loc, "%s", msg.buf);
	else
		diag_error(CODE_EXIT_DATAERR, &c->loc, "%s", msg.buf);
	strbuf_release(&msg);
	return -CODE_EXIT_DATAERR;
}

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* Says under -v that a field is ignored: code-plan may add fields before code-deploy knows them. */
static void
note_unknown_fields(const struct step_ctx *c, const json_t *obj, const char *prefix,
		    const char *const *known)
{
	struct strbuf name = STRBUF_INIT;
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)obj, key, value) {
		if (in_list(known, key))
			continue;
		strbuf_reset(&name);
		strbuf_addf(&name, "%s%s", prefix, key);
		if (c->unknown) {
			char *owned;

			if (strmap_has(c->unknown->map, name.buf))
				continue;
			owned = xstrdup(name.buf);
			strmap_add(c->unknown->map, owned, NULL);
			c->unknown->names = xreallocarray(c->unknown->names, c->unknown->n + 1,
							  sizeof(*c->unknown->names));
			c->unknown->names[c->unknown->n++] = owned;
		}
		if (diag_level() >= DIAG_VERBOSE) {
			struct strbuf shown = STRBUF_INIT;

			add_quoted(&shown, name.buf);
			diag_info(DIAG_VERBOSE, &c->loc, "step '%s': ignoring unknown field '%s'",
				  c->service ? c->service : "?", shown.buf);
			strbuf_release(&shown);
		}
	}
	strbuf_release(&name);
}

static bool
string_has_nul(const json_t *v)
{
	return strlen(json_string_value(v)) != json_string_length(v);
}

/* [A-Za-z0-9_.-]+ */
static bool
service_name_valid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

/* Target names go into commands, so only characters no shell treats specially. */
static bool
target_name_valid(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.:@%+=,/-", *s) != NULL))
			return false;
	return true;
}

/* [A-Za-z_][A-Za-z0-9_]* */
static bool
env_name_valid(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/*
 * An integer field of obj in [min, max]: *out is left as it is when the
 * field is absent. what says what it must be ("a non-negative integer").
 */
static int
field_int(const struct step_ctx *c, const json_t *obj, const char *key,
	  const char *path, int64_t min, int64_t max, const char *what, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	json_int_t n;

	if (v == NULL)
		return 0;
	n = json_integer_value(v);
	if (!json_is_integer(v) || n < min)
		return step_fail(c, "'%s' must be %s", path, what);
	if (n > max)
		return step_fail(c, "'%s' must be at most %lld", path, (long long)max);
	*out = (int64_t)n;
	return 0;
}

static int
field_ms(const struct step_ctx *c, const json_t *obj, const char *key,
	 const char *path, int64_t *out)
{
	return field_int(c, obj, key, path, 0, PLAN_MAX_MS, "a non-negative integer", out);
}

static int
field_unsigned(const struct step_ctx *c, const json_t *obj, const char *key,
	       const char *path, int64_t min, int64_t max, unsigned *out)
{
	int64_t n = *out;
	int ret;

	ret = field_int(c, obj, key, path, min, max,
			min > 0 ? "a positive integer" : "a non-negative integer", &n);
	*out = (unsigned)n;
	return ret;
}

/* An optional string field; *out stays NULL when it is absent. */
static int
field_string(const struct step_ctx *c, const json_t *obj, const char *key,
	     const char *path, bool nonempty, char **out)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || (nonempty && json_string_length(v) == 0))
		return step_fail(c, "'%s' must be a%s string", path, nonempty ? " non-empty" : "");
	if (string_has_nul(v))
		return step_fail(c, "'%s' holds a NUL byte", path);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int
field_bool(const struct step_ctx *c, const json_t *obj, const char *key, bool *out)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return step_fail(c, "'%s' must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

/* Which strings a list accepts, and how to say so. */
struct list_rule {
	bool (*valid)(const char *);    /* NULL: any string */
	const char *what;               /* "a service name ([A-Za-z0-9_.-])" */
};

/*
 * A list of strings. The array is allocated at its full size first, so a
 * release after a failure part-way frees what was filled in.
 */
static int
field_string_list(const struct step_ctx *c, const json_t *obj, const char *key,
		  const struct list_rule *rule, char ***out, size_t *n_out)
{
	const json_t *v = json_object_get(obj, key), *item;
	size_t i;

	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return step_fail(c, "'%s' must be a list of strings", key);
	*out = xcalloc(json_array_size(v) + 1, sizeof(**out));
	*n_out = json_array_size(v);
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			return step_fail(c, "'%s' must be a list of strings", key);
		if (string_has_nul(item))
			return step_fail(c, "'%s' item %zu holds a NUL byte", key, i + 1);
		if (rule && rule->valid && !rule->valid(json_string_value(item))) {
			struct strbuf shown = STRBUF_INIT;
			int ret;

			add_quoted(&shown, json_string_value(item));
			ret = step_fail(c, "'%s' item '%s' is not %s", key, shown.buf, rule->what);
			strbuf_release(&shown);
			return ret;
		}
		(*out)[i] = xstrdup(json_string_value(item));
	}
	return 0;
}

/* An argv list or a shell string; out is left unset when the field is absent. */
static int
field_command(const struct step_ctx *c, const json_t *obj, const char *key,
	      const char *path, struct deploy_command *out)
{
	const json_t *v = json_object_get(obj, key), *word;
	size_t i;

	if (v == NULL)
		return 0;
	if (json_is_string(v)) {
		if (json_string_length(v) == 0)
			return step_fail(c, "'%s' is an empty command", path);
		if (string_has_nul(v))
			return step_fail(c, "'%s' holds a NUL byte", path);
		out->shell = xstrdup(json_string_value(v));
		return 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return step_fail(c, "'%s' must be a command: a non-empty list of strings, or a string for /bin/sh -c",
				 path);
	out->argv = xcalloc(json_array_size(v) + 1, sizeof(*out->argv));
	json_array_foreach(v, i, word) {
		if (!json_is_string(word))
			return step_fail(c, "'%s' word %zu is not a string", path, i + 1);
		if (string_has_nul(word))
			return step_fail(c, "'%s' word %zu holds a NUL byte", path, i + 1);
		if (i == 0 && json_string_length(word) == 0)
			return step_fail(c, "'%s' starts with an empty program name", path);
		out->argv[i] = xstrdup(json_string_value(word));
	}
	return 0;
}

static int
parse_health(const struct step_ctx *c, const json_t *rec, struct deploy_health *h)
{
	const json_t *v = json_object_get(rec, "health");
	const json_t *http, *cmd;
	int64_t n;
	int ret;

	h->expect = HEALTH_DEFAULT_EXPECT;
	h->timeout_ms = HEALTH_DEFAULT_TIMEOUT_MS;
	h->interval_ms = HEALTH_DEFAULT_INTERVAL_MS;
	h->retries = HEALTH_DEFAULT_RETRIES;
	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return step_fail(c, "'health' must be an object with 'http' or 'cmd'");
	http = json_object_get(v, "http");
	cmd = json_object_get(v, "cmd");
	if ((http == NULL) == (cmd == NULL))
		return step_fail(c, "'health' needs exactly one of 'http' or 'cmd'");
	if (http) {
		h->kind = HEALTH_HTTP;
		if ((ret = field_string(c, v, "http", "health.http", true, &h->url)) < 0)
			return ret;
		n = h->expect;
		if ((ret = field_int(c, v, "expect", "health.expect", 100, INT64_MAX,
				     "an HTTP status from 100 to 599", &n)) < 0)
			return ret;
		if (n > 599)
			return step_fail(c, "'health.expect' must be an HTTP status from 100 to 599");
		h->expect = (long)n;
		if ((ret = field_string(c, v, "body", "health.body", false, &h->body)) < 0)
			return ret;
	} else {
		h->kind = HEALTH_CMD;
		if (json_object_get(v, "expect") || json_object_get(v, "body"))
			return step_fail(c, "'health.%s' applies only to 'http' checks",
					 json_object_get(v, "expect") ? "expect" : "body");
		if ((ret = field_command(c, v, "cmd", "health.cmd", &h->cmd)) < 0)
			return ret;
	}
	if ((ret = field_ms(c, v, "timeout_ms", "health.timeout_ms", &h->timeout_ms)) < 0 ||
	    (ret = field_ms(c, v, "interval_ms", "health.interval_ms", &h->interval_ms)) < 0 ||
	    (ret = field_ms(c, v, "start_period_ms", "health.start_period_ms",
			    &h->start_period_ms)) < 0 ||
	    (ret = field_unsigned(c, v, "retries", "health.retries", 0, PLAN_MAX_RETRIES,
				  &h->retries)) < 0)
		return ret;
	note_unknown_fields(c, v, "health.", health_fields);
	return 0;
}

static int
parse_canary(const struct step_ctx *c, const json_t *rec, struct deploy_service *s)
{
	const json_t *v = json_object_get(rec, "canary"), *steps, *step;
	json_int_t last = 0;
	size_t i;
	int ret;

	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return step_fail(c, "'canary' must be an object with 'steps'");
	steps = json_object_get(v, "steps");
	if (steps == NULL)
		return step_fail(c, "'canary' needs 'steps', such as [10, 25, 50, 100]");
	if (!json_is_array(steps) || json_array_size(steps) == 0)
		return step_fail(c, "'canary.steps' must be a non-empty list of percentages");
	s->has_canary = true;
	s->canary.steps = xcalloc(json_array_size(steps), sizeof(*s->canary.steps));
	json_array_foreach(steps, i, step) {
		json_int_t w = json_integer_value(step);

		if (!json_is_integer(step) || w < 1 || w > 100 || w <= last)
			return step_fail(c, "'canary.steps' must be increasing percentages from 1 to 100");
		s->canary.steps[s->canary.n_steps++] = (unsigned)w;
		last = w;
	}
	if (last != 100)
		return step_fail(c, "'canary.steps' must end at 100, so the release completes");
	if ((ret = field_ms(c, v, "pause_ms", "canary.pause_ms", &s->canary.pause_ms)) < 0 ||
	    (ret = field_command(c, v, "gate", "canary.gate", &s->canary.gate)) < 0)
		return ret;
	note_unknown_fields(c, v, "canary.", canary_fields);
	return 0;
}

static int
parse_monitor(const struct step_ctx *c, const json_t *rec, struct deploy_monitor *m)
{
	const json_t *v = json_object_get(rec, "monitor");
	int ret;

	m->interval_ms = MONITOR_DEFAULT_INTERVAL_MS;
	m->max_interval_ms = MONITOR_DEFAULT_MAX_INTERVAL_MS;
	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return step_fail(c, "'monitor' must be an object with 'duration_ms'");
	if (json_object_get(v, "duration_ms") == NULL)
		return step_fail(c, "'monitor' needs 'duration_ms'");
	if ((ret = field_ms(c, v, "duration_ms", "monitor.duration_ms", &m->duration_ms)) < 0 ||
	    (ret = field_ms(c, v, "interval_ms", "monitor.interval_ms", &m->interval_ms)) < 0 ||
	    (ret = field_ms(c, v, "max_interval_ms", "monitor.max_interval_ms",
			    &m->max_interval_ms)) < 0)
		return ret;
	if (m->interval_ms == 0 || m->max_interval_ms < m->interval_ms)
		return step_fail(c, "'monitor' needs 0 < interval_ms <= max_interval_ms");
	m->set = true;
	note_unknown_fields(c, v, "monitor.", monitor_fields);
	return 0;
}

static int
parse_env(const struct step_ctx *c, const json_t *rec, struct deploy_service *s)
{
	const json_t *v = json_object_get(rec, "env"), *value;
	const char *key;

	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return step_fail(c, "'env' must be an object of strings");
	s->env = xcalloc(json_object_size(v) + 1, sizeof(*s->env));
	json_object_foreach((json_t *)v, key, value) {
		struct deploy_env *e = &s->env[s->n_env];

		if (!env_name_valid(key)) {
			struct strbuf shown = STRBUF_INIT;
			int ret;

			add_quoted(&shown, key);
			ret = step_fail(c, "'env' name '%s' is not a valid environment variable name",
					shown.buf);
			strbuf_release(&shown);
			return ret;
		}
		/* The value is never quoted back: it may be a secret. */
		if (!json_is_string(value))
			return step_fail(c, "'env' value of %s must be a string", key);
		if (string_has_nul(value))
			return step_fail(c, "'env' value of %s holds a NUL byte", key);
		e->name = xstrdup(key);
		e->value = xstrdup(json_string_value(value));
		s->n_env++;
	}
	return 0;
}

static int
parse_strategy(const struct step_ctx *c, const json_t *rec, enum deploy_strategy *out)
{
	const json_t *v = json_object_get(rec, "strategy");
	size_t i;

	*out = STRATEGY_ROLLING;
	if (v == NULL)
		return 0;
	if (json_is_string(v) && !string_has_nul(v))
		for (i = 0; i < sizeof(strategy_names) / sizeof(strategy_names[0]); i++)
			if (strcmp(json_string_value(v), strategy_names[i]) == 0) {
				*out = (enum deploy_strategy)i;
				return 0;
			}
	return step_fail(c, "'strategy' must be one of rolling, all_at_once, blue_green, canary");
}

/* What the strategy needs and what only it may have, as code-plan checks them. */
static int
check_strategy(const struct step_ctx *c, const json_t *rec, const struct deploy_service *s)
{
	const char *name = strategy_name(s->strategy);

	if (json_object_get(rec, "batch") && s->strategy != STRATEGY_ROLLING)
		return step_fail(c, "'batch' applies only to strategy 'rolling', not '%s'", name);
	if (s->has_canary && s->strategy != STRATEGY_CANARY)
		return step_fail(c, "'canary' applies only to strategy 'canary', not '%s'", name);
	if (s->strategy == STRATEGY_CANARY && !s->has_canary)
		return step_fail(c, "strategy 'canary' needs 'canary' with its steps");
	if ((s->strategy == STRATEGY_CANARY || s->strategy == STRATEGY_BLUE_GREEN) &&
	    !command_is_set(&s->switch_cmd))
		return step_fail(c, "strategy '%s' needs 'switch', the command that %s", name,
				 s->strategy == STRATEGY_CANARY ? "sets the traffic weight"
								 : "moves traffic");
	return 0;
}

/* Each target once: the journal and the breakers key on service and target. */
static int
check_targets(const struct step_ctx *c, const struct deploy_service *s)
{
	struct strmap *seen;
	size_t i;
	int ret = 0;

	if (s->n_targets == 0)
		return step_fail(c, "'targets' is empty: list at least one, or leave it out");
	seen = strmap_new(s->n_targets);
	for (i = 0; i < s->n_targets && ret == 0; i++)
		if (!strmap_add(seen, s->targets[i], NULL))
			ret = step_fail(c, "target '%s' is listed twice", s->targets[i]);
	strmap_free(seen);
	return ret;
}

static const struct list_rule service_rule = {
	service_name_valid, "a service name ([A-Za-z0-9_.-])"
};
static const struct list_rule target_rule = {
	target_name_valid, "a target name ([A-Za-z0-9_.:@%+=,/-])"
};
static const struct list_rule env_rule = {
	env_name_valid, "an environment variable name"
};

static int
step_parse(struct step_ctx *c, const json_t *rec, struct deploy_service *s)
{
	const json_t *v;
	int64_t stage = 0;
	size_t i;
	int ret;

	memset(s, 0, sizeof(*s));
	s->line = c->loc.line;
	s->batch = 1;
	s->timeout_ms = STEP_DEFAULT_TIMEOUT_MS;
	s->retries = STEP_DEFAULT_RETRIES;
	s->rollback_on_failure = true;
	if (!json_is_object(rec))
		return step_fail(c, "not a JSON object");

	v = json_object_get(rec, "service");
	if (v == NULL)
		return step_fail(c, "'service' is missing");
	if (!json_is_string(v) || string_has_nul(v) || !service_name_valid(json_string_value(v))) {
		struct strbuf shown = STRBUF_INIT;

		if (json_is_string(v)) {
			add_quoted(&shown, json_string_value(v));
			ret = step_fail(c, "'service' '%s' is not a service name ([A-Za-z0-9_.-])",
					shown.buf);
		} else {
			ret = step_fail(c, "'service' must be a string");
		}
		strbuf_release(&shown);
		return ret;
	}
	s->name = xstrdup(json_string_value(v));
	c->service = s->name;

	if (json_object_get(rec, "stage") == NULL)
		return step_fail(c, "'stage' is missing");
	if ((ret = field_int(c, rec, "stage", "stage", 0, PLAN_MAX_STAGE,
			     "a non-negative integer", &stage)) < 0)
		return ret;
	s->stage = (unsigned)stage;

	v = json_object_get(rec, "action");
	if (v == NULL)
		return step_fail(c, "'action' is missing");
	if (!json_is_string(v) || (strcmp(json_string_value(v), "deploy") != 0 &&
				   strcmp(json_string_value(v), "skip") != 0) ||
	    string_has_nul(v))
		return step_fail(c, "'action' must be 'deploy' or 'skip'");
	s->deploy = strcmp(json_string_value(v), "deploy") == 0;

	if ((ret = field_string(c, rec, "reason", "reason", false, &s->reason)) < 0 ||
	    (ret = field_string(c, rec, "digest", "digest", true, &s->digest)) < 0 ||
	    (ret = field_string(c, rec, "config_digest", "config_digest", true,
				&s->config_digest)) < 0 ||
	    (ret = field_string(c, rec, "inputs_digest", "inputs_digest", true,
				&s->inputs_digest)) < 0)
		return ret;
	if (s->reason == NULL)
		s->reason = xstrdup("");

	if ((ret = field_string_list(c, rec, "depends_on", &service_rule, &s->depends_on,
				     &s->n_depends_on)) < 0)
		return ret;
	for (i = 0; i < s->n_depends_on; i++)
		if (strcmp(s->depends_on[i], s->name) == 0)
			return step_fail(c, "'depends_on' names the service itself");
	if (s->depends_on == NULL)
		s->depends_on = xcalloc(1, sizeof(*s->depends_on));

	if ((ret = parse_strategy(c, rec, &s->strategy)) < 0 ||
	    (ret = field_unsigned(c, rec, "batch", "batch", 1, PLAN_MAX_BATCH, &s->batch)) < 0)
		return ret;

	if (json_object_get(rec, "targets")) {
		if ((ret = field_string_list(c, rec, "targets", &target_rule, &s->targets,
					     &s->n_targets)) < 0 ||
		    (ret = check_targets(c, s)) < 0)
			return ret;
	} else if (!target_name_valid(s->name)) {
		return step_fail(c, "has no 'targets' and its name cannot be one");
	} else {
		s->targets = xcalloc(2, sizeof(*s->targets));
		s->targets[0] = xstrdup(s->name);
		s->n_targets = 1;
	}

	if ((ret = field_command(c, rec, "deploy", "deploy", &s->deploy_cmd)) < 0 ||
	    (ret = field_command(c, rec, "rollback", "rollback", &s->rollback_cmd)) < 0 ||
	    (ret = field_command(c, rec, "switch", "switch", &s->switch_cmd)) < 0)
		return ret;
	if (s->deploy && !command_is_set(&s->deploy_cmd))
		return step_fail(c, "'deploy' is missing: action 'deploy' needs the command");

	if ((ret = parse_health(c, rec, &s->health)) < 0 ||
	    (ret = parse_canary(c, rec, s)) < 0 ||
	    (ret = check_strategy(c, rec, s)) < 0 ||
	    (ret = parse_monitor(c, rec, &s->monitor)) < 0 ||
	    (ret = parse_env(c, rec, s)) < 0)
		return ret;
	if ((ret = field_string_list(c, rec, "secrets", &env_rule, &s->secrets,
				     &s->n_secrets)) < 0)
		return ret;
	{
		/* Hashed by code-plan; code-deploy only checks their shape. */
		char **inputs = NULL;
		size_t n_inputs = 0;

		ret = field_string_list(c, rec, "inputs", NULL, &inputs, &n_inputs);
		for (i = 0; i < n_inputs; i++)
			free(inputs[i]);
		free(inputs);
		if (ret < 0)
			return ret;
	}
	if ((ret = field_ms(c, rec, "timeout_ms", "timeout_ms", &s->timeout_ms)) < 0 ||
	    (ret = field_unsigned(c, rec, "retries", "retries", 0, PLAN_MAX_RETRIES,
				  &s->retries)) < 0 ||
	    (ret = field_bool(c, rec, "rollback_on_failure", &s->rollback_on_failure)) < 0)
		return ret;
	note_unknown_fields(c, rec, "", step_fields);
	return 0;
}

int
plan_step_from_json(const json_t *rec, const char *file, unsigned long line,
		    struct deploy_service *out)
{
	struct step_ctx c = { { file, line, 0 }, NULL, false, NULL };
	int ret;

	ret = step_parse(&c, rec, out);
	if (ret < 0)
		plan_service_release(out);
	return ret;
}

static void
command_release(struct deploy_command *c)
{
	command_argv_free(c->argv);
	free(c->shell);
	c->argv = NULL;
	c->shell = NULL;
}

static void
string_list_free(char **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void
plan_service_release(struct deploy_service *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->name);
	free(s->reason);
	free(s->digest);
	free(s->config_digest);
	free(s->inputs_digest);
	string_list_free(s->depends_on, s->n_depends_on);
	string_list_free(s->targets, s->n_targets);
	string_list_free(s->secrets, s->n_secrets);
	command_release(&s->deploy_cmd);
	command_release(&s->rollback_cmd);
	command_release(&s->switch_cmd);
	free(s->health.url);
	free(s->health.body);
	command_release(&s->health.cmd);
	free(s->canary.steps);
	command_release(&s->canary.gate);
	for (i = 0; i < s->n_env; i++) {
		free(s->env[i].name);
		free(s->env[i].value);
	}
	free(s->env);
	memset(s, 0, sizeof(*s));
}

void
plan_release(struct deploy_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_services; i++)
		plan_service_release(&p->services[i]);
	free(p->services);
	free(p->source);
	free(p->manifest);
	free(p->digest);
	memset(p, 0, sizeof(*p));
}

/* The plan record: its version decides whether we can read the rest at all. */
static int
parse_plan_record(const json_t *rec, const struct diag_loc *loc, struct deploy_plan *p)
{
	const json_t *v = json_object_get(rec, "version");
	const json_t *manifest = json_object_get(rec, "manifest");
	const json_t *digest = json_object_get(rec, "digest");
	const json_t *parallel = json_object_get(rec, "parallel");

	if (v == NULL)
		return diag_error(CODE_EXIT_DATAERR, loc, "plan record has no 'version'");
	if (!json_is_integer(v) || json_integer_value(v) != PLAN_VERSION) {
		if (json_is_integer(v))
			return diag_error(CODE_EXIT_DATAERR, loc,
					  "plan version %lld is not supported (code-deploy reads version %d)",
					  (long long)json_integer_value(v), PLAN_VERSION);
		return diag_error(CODE_EXIT_DATAERR, loc, "plan record: 'version' must be an integer");
	}
	if (manifest && (!json_is_string(manifest) || string_has_nul(manifest)))
		return diag_error(CODE_EXIT_DATAERR, loc, "plan record: 'manifest' must be a string");
	if (digest && (!json_is_string(digest) || string_has_nul(digest) ||
		       json_string_length(digest) == 0))
		return diag_error(CODE_EXIT_DATAERR, loc,
				  "plan record: 'digest' must be a non-empty string");
	if (parallel && (!json_is_integer(parallel) || json_integer_value(parallel) < 0 ||
			 json_integer_value(parallel) > PLAN_MAX_PARALLEL))
		return diag_error(CODE_EXIT_DATAERR, loc,
				  "plan record: 'parallel' must be a non-negative integer of at most %d",
				  PLAN_MAX_PARALLEL);
	if (manifest)
		p->manifest = xstrdup(json_string_value(manifest));
	if (digest)
		p->digest = xstrdup(json_string_value(digest));
	if (parallel)
		p->parallel = (unsigned)json_integer_value(parallel);
	return 0;
}

/* Stage order; the record's line keeps records of one stage in plan order. */
static int
service_cmp(const void *a, const void *b)
{
	const struct deploy_service *x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* What plan_read keeps between records. */
struct plan_reader {
	struct deploy_plan *p;
	const char *name;               /* the input's name for messages */
	bool skip_invalid;
	unsigned long plan_line;        /* the plan record's line; 0 none yet */
	size_t alloc;
	struct strmap *by_name;         /* service name -> index + 1 */
	struct unknown_set unknown;
};

static int
read_step(struct plan_reader *pr, const json_t *rec, unsigned long line)
{
	struct deploy_plan *p = pr->p;
	struct step_ctx c = { { pr->name, line, 0 }, NULL, pr->skip_invalid, &pr->unknown };
	struct deploy_service *s;
	void *prev;
	int ret;

	if (p->n_services == pr->alloc) {
		pr->alloc = pr->alloc ? pr->alloc * 2 : 16;
		p->services = xreallocarray(p->services, pr->alloc, sizeof(*p->services));
	}
	s = &p->services[p->n_services];
	if ((ret = step_parse(&c, rec, s)) < 0) {
		plan_service_release(s);
		if (!pr->skip_invalid)
			return ret;
		p->skipped++;
		return 0;
	}
	prev = strmap_get(pr->by_name, s->name);
	if (prev != NULL) {
		const struct deploy_service *first =
			&p->services[(size_t)((uintptr_t)prev - 1)];

		ret = diag_error(CODE_EXIT_DATAERR, &c.loc,
				 "step '%s' repeats the step on line %lu (one step per service)",
				 s->name, first->line);
		plan_service_release(s);
		return ret;
	}
	strmap_add(pr->by_name, s->name, (void *)(uintptr_t)(p->n_services + 1));
	p->n_services++;
	return 0;
}

static int
read_record(struct plan_reader *pr, const json_t *rec, unsigned long line)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	struct diag_loc loc = { pr->name, line, 0 };
	int ret;

	if (strcmp(type, "step") == 0)
		return read_step(pr, rec, line);
	if (strcmp(type, "plan") != 0) {
		pr->p->other_records++;
		return 0;
	}
	if (pr->plan_line != 0)
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "a second plan record (the first is on line %lu)", pr->plan_line);
	if ((ret = parse_plan_record(rec, &loc, pr->p)) < 0)
		return ret;
	pr->plan_line = line;
	return 0;
}

/* Without a plan record, the plan is named by what its steps would deploy. */
static char *
steps_digest(const struct deploy_plan *p)
{
	struct hasher *h = hasher_new();
	char hex[HASH_HEX_SIZE];
	size_t i;

	/*
	 * Names and digests, each NUL-terminated so no two plans run
	 * together: hand-written steps often carry no digest at all.
	 */
	for (i = 0; i < p->n_services; i++) {
		const char *d = p->services[i].digest ? p->services[i].digest : "";

		hasher_update(h, p->services[i].name, strlen(p->services[i].name) + 1);
		hasher_update(h, d, strlen(d) + 1);
	}
	hasher_hex(h, hex);
	hasher_free(h);
	return xstrdup(hex);
}

int
plan_read(const char *path, const struct plan_read_options *opts, struct deploy_plan *out)
{
	struct ndjson_reader_options ropts = { opts ? opts->max_line : 0,
					       opts && opts->skip_invalid };
	struct plan_reader pr;
	struct ndjson_reader *r;
	json_t *rec;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&pr, 0, sizeof(pr));
	if (path == NULL)
		path = "-";
	if ((ret = ndjson_reader_open(path, &ropts, &r)) < 0)
		return ret;
	out->source = xstrdup(path);
	pr.p = out;
	pr.name = ndjson_reader_name(r);
	pr.skip_invalid = ropts.skip_invalid;
	pr.by_name = strmap_new(64);
	pr.unknown.map = strmap_new(8);
	while ((ret = ndjson_read_record(r, &rec)) == 1) {
		ret = read_record(&pr, rec, ndjson_reader_line(r));
		json_decref(rec);
		if (ret < 0)
			break;
	}
	if (ret == 0 && out->n_services == 0)
		ret = diag_error(CODE_EXIT_DATAERR, NULL, "no step records in %s", pr.name);
	if (ret == 0 && out->other_records > 0)
		diag_info(DIAG_VERBOSE, &(struct diag_loc){ pr.name, 0, 0 },
			  "skipped %lu record%s of other types", out->other_records,
			  out->other_records == 1 ? "" : "s");
	out->skipped += ndjson_reader_skipped(r);
	ndjson_reader_close(r);
	strmap_free(pr.by_name);
	strmap_free(pr.unknown.map);
	for (i = 0; i < pr.unknown.n; i++)
		free(pr.unknown.names[i]);
	free(pr.unknown.names);
	if (ret < 0) {
		plan_release(out);
		return ret;
	}
	qsort(out->services, out->n_services, sizeof(*out->services), service_cmp);
	for (i = 0; i < out->n_services; i++)
		if (out->services[i].stage + 1 > out->n_stages)
			out->n_stages = out->services[i].stage + 1;
	if (out->digest == NULL)
		out->digest = steps_digest(out);
	return 0;
}

bool
command_is_set(const struct deploy_command *c)
{
	return c != NULL && (c->argv != NULL || c->shell != NULL);
}

/* One word with every placeholder replaced; what a value brings in is not scanned again. */
static char *
expand_word(const char *w, const char *service, const char *target, const char *weight)
{
	static const char *const names[] = { "{service}", "{target}", "{weight}" };
	const char *values[] = { service, target, weight };
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_grow(&sb, strlen(w));
	while (*w) {
		const char *brace = strchr(w, '{');

		if (brace == NULL) {
			strbuf_addstr(&sb, w);
			break;
		}
		strbuf_add(&sb, w, (size_t)(brace - w));
		w = brace;
		for (i = 0; i < 3; i++) {
			size_t len = strlen(names[i]);

			if (values[i] != NULL && strncmp(w, names[i], len) == 0) {
				strbuf_addstr(&sb, values[i]);
				w += len;
				break;
			}
		}
		if (i == 3)
			strbuf_addch(&sb, *w++);
	}
	return strbuf_detach(&sb, NULL);
}

char *
placeholder_expand(const char *s, const char *service, const char *target, const char *weight)
{
	return expand_word(s, service, target, weight);
}

char **
command_expand(const struct deploy_command *c, const char *service,
	       const char *target, const char *weight)
{
	char **argv;
	size_t n, i;

	if (!command_is_set(c))
		return NULL;
	if (c->argv == NULL) {
		argv = xcalloc(4, sizeof(*argv));
		argv[0] = xstrdup("/bin/sh");
		argv[1] = xstrdup("-c");
		argv[2] = expand_word(c->shell, service, target, weight);
		return argv;
	}
	for (n = 0; c->argv[n] != NULL; n++)
		;
	argv = xcalloc(n + 1, sizeof(*argv));
	for (i = 0; i < n; i++)
		argv[i] = expand_word(c->argv[i], service, target, weight);
	return argv;
}

void
command_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* Words made only of these read the same to a shell unquoted. */
static bool
word_is_plain(const char *w)
{
	if (*w == '\0')
		return false;
	for (; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') ||
		      (*w >= '0' && *w <= '9') || strchr("_./:=@%+,-", *w) != NULL))
			return false;
	return true;
}

char *
command_describe(char *const *argv)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	size_t i;

	strbuf_addstr(&sb, "");
	for (i = 0; argv != NULL && argv[i] != NULL; i++) {
		if (i > 0)
			strbuf_addch(&sb, ' ');
		if (word_is_plain(argv[i])) {
			strbuf_addstr(&sb, argv[i]);
			continue;
		}
		strbuf_addch(&sb, '\'');
		for (p = argv[i]; *p; p++) {
			if (*p == '\'')
				strbuf_addstr(&sb, "'\\''");
			else
				strbuf_addch(&sb, *p);
		}
		strbuf_addch(&sb, '\'');
	}
	return strbuf_detach(&sb, NULL);
}
