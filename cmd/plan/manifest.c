/* manifest.c: reads the native manifest schema (SPEC section 2) strictly. */
#include "cmd/plan/manifest.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/plan/deploycode.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/secret.h"
#include "libcommon/strbuf.h"
#include "libcommon/strmap.h"
#include "libcommon/suggest.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

#define MANIFEST_VERSION 1
#define DEFAULT_TIMEOUT_MS (5u * 60u * 1000u)
#define DEFAULT_RETRIES 0
#define DEFAULT_PARALLEL 5
#define HEALTH_DEFAULT_TIMEOUT_MS 5000
#define HEALTH_DEFAULT_INTERVAL_MS 2000
#define HEALTH_DEFAULT_RETRIES 10
#define MONITOR_DEFAULT_INTERVAL_MS 5000
#define MONITOR_DEFAULT_MAX_INTERVAL_MS 60000

static const char *const top_keys[] = {
	"version", "defaults", "services", NULL
};
static const char *const defaults_keys[] = {
	"timeout", "retries", "strategy", "parallel", NULL
};
static const char *const service_keys[] = {
	"deploy", "rollback", "health", "targets", "inputs", "depends_on",
	"strategy", "batch", "canary", "switch", "monitor", "env", "secrets",
	"timeout", "retries", NULL
};
static const char *const health_keys[] = {
	"http", "cmd", "expect", "body", "timeout", "interval", "retries",
	"start_period", NULL
};
static const char *const timing_keys[4] = {
	"timeout", "interval", "retries", "start_period"
};
static const char *const canary_keys[] = { "steps", "pause", "gate", NULL };
static const char *const monitor_keys[] = {
	"duration", "interval", "max_interval", NULL
};
static const char *const strategies[] = {
	"rolling", "all_at_once", "blue_green", "canary", NULL
};

/* Resolved top-level defaults that services inherit. */
struct manifest_defaults {
	uint64_t timeout_ms;
	json_int_t retries;
	const char *strategy;
};

static size_t
list_count(const char *const *list)
{
	size_t n = 0;

	while (list[n])
		n++;
	return n;
}

int
manifest_duration_ms(const struct yaml_doc *doc, const json_t *obj,
		     const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= 100LL * 365 * 86400) {
		*out = (uint64_t)json_integer_value(v) * 1000;
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 &&
	    json_real_value(v) <= 100.0 * 365 * 86400) {
		*out = (uint64_t)(json_real_value(v) * 1000.0 + 0.5);
		return 0;
	}
	if (json_is_string(v)) {
		if (units_parse_duration_ms(json_string_value(v), out) == 0)
			return 0;
		return yaml_error_at_value(doc, obj, key,
				  "'%s' must be a duration such as 250ms, 5s, 2m or 1h, not '%s'",
				  key, json_string_value(v));
	}
	return yaml_type_error(doc, obj, key,
			       "a duration such as 250ms, 5s, 2m or 1h");
}

int
manifest_command(const struct yaml_doc *doc, const json_t *obj,
		 const char *key, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	size_t i;
	json_t *item;

	if (json_is_string(v)) {
		if (json_string_length(v) == 0)
			return yaml_error_at_value(doc, obj, key,
					  "'%s' is an empty command", key);
		*out = json_incref(v);
		return 0;
	}
	if (!json_is_array(v))
		return yaml_type_error(doc, obj, key,
				       "a command: a list of arguments or a shell string");
	if (json_array_size(v) == 0)
		return yaml_error_at_value(doc, obj, key, "'%s' is an empty command",
				  key);
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			return yaml_error_at_item(doc, v, i,
					  "arguments of '%s' must be strings, not %s",
					  key, yaml_type_name(item));
		}
	}
	if (json_string_length(json_array_get(v, 0)) == 0)
		return yaml_error_at_value(doc, obj, key,
				  "'%s' has an empty program name", key);
	*out = json_incref(v);
	return 0;
}
int
manifest_string_list(const struct yaml_doc *doc, const json_t *obj,
		     const char *key, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	struct strmap *seen;
	size_t i;
	json_t *item;
	int ret = 0;

	if (!json_is_array(v))
		return yaml_type_error(doc, obj, key, "a list of strings");
	seen = strmap_new(json_array_size(v));
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			ret = yaml_error_at_item(doc, v, i, "items of '%s' must be strings, not %s",
						 key, yaml_type_name(item));
			break;
		}
		if (json_string_length(item) == 0) {
			ret = yaml_error_at_item(doc, v, i, "items of '%s' must not be empty", key);
			break;
		}
		if (!strmap_add(seen, json_string_value(item), item)) {
			ret = yaml_error_at_item(doc, v, i, "'%s' is listed twice in '%s'",
						 json_string_value(item), key);
			break;
		}
	}
	strmap_free(seen);
	if (ret == 0)
		*out = json_incref(v);
	return ret;
}

int
manifest_integer(const struct yaml_doc *doc, const json_t *obj,
		 const char *key, json_int_t min, json_int_t max,
		 json_int_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		return yaml_type_error(doc, obj, key, "an integer");
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return yaml_error_at_value(doc, obj, key,
				  "'%s' must be between %" JSON_INTEGER_FORMAT
				  " and %" JSON_INTEGER_FORMAT ", not %" JSON_INTEGER_FORMAT,
				  key, min, max, json_integer_value(v));
	*out = json_integer_value(v);
	return 0;
}

int
manifest_check_name(const struct yaml_doc *doc, const json_t *services,
		    const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > 128)
		return yaml_error_at_key(doc, services, name,
				  "service names must be 1 to 128 characters long");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '-' && (c != '.' || i == 0))
			return yaml_error_at_key(doc, services, name,
					  "service name '%s' may hold only letters, digits, '_', '-' and '.'",
					  name);
	}
	return 0;
}

bool
manifest_env_name_valid(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || (!isalpha((unsigned char)name[0]) && name[0] != '_'))
		return false;
	for (i = 1; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return false;
	return true;
}

/* "${NAME}" or "$NAME" alone: a reference resolved at deploy time. */
static bool
env_is_reference(const char *value)
{
	size_t len = strlen(value);
	char *name;
	bool ok;

	if (len > 3 && value[0] == '$' && value[1] == '{' && value[len - 1] == '}')
		name = xstrndup(value + 2, len - 3);
	else if (len > 1 && value[0] == '$')
		name = xstrdup(value + 1);
	else
		return false;
	ok = manifest_env_name_valid(name, strlen(name));
	free(name);
	return ok;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
manifest_env(const struct yaml_doc *doc, const json_t *obj, const char *key,
	     const json_t *secrets, json_t *config)
{
	const json_t *env = json_object_get(obj, key);
	const char **declared = NULL, **names = NULL;
	size_t n_declared = 0, n_names = 0, i, k;
	const char *name;
	json_t *value, *resolved = NULL;
	int ret = -CODE_EXIT_DATAERR;

	if (!json_is_object(env))
		return yaml_type_error(doc, obj, key, "a mapping of variables");
	if (secrets) {
		n_declared = json_array_size(secrets);
		declared = xcalloc(n_declared + 1, sizeof(*declared));
		for (i = 0; i < n_declared; i++)
			declared[i] = json_string_value(json_array_get(secrets, i));
	}
	/*
	 * Variables go in name order: the config is dumped as it is built
	 * for its digest, so reordering a manifest must not change it.
	 */
	names = xcalloc(json_object_size(env) + 1, sizeof(*names));
	json_object_foreach((json_t *)env, name, value)
		names[n_names++] = name;
	qsort(names, n_names, sizeof(*names), name_cmp);
	resolved = json_object();
	for (k = 0; k < n_names; k++) {
		name = names[k];
		value = json_object_get(env, name);
		json_t *text;

		if (!manifest_env_name_valid(name, strlen(name))) {
			yaml_error_at_key(doc, env, name,
				     "'%s' is not a valid environment variable name", name);
			goto out;
		}
		if (json_is_string(value))
			text = json_incref(value);
		else if (json_is_integer(value))
			text = json_sprintf("%" JSON_INTEGER_FORMAT,
					    json_integer_value(value));
		else if (json_is_real(value))
			text = json_sprintf("%.17g", json_real_value(value));
		else if (json_is_boolean(value))
			text = json_string(json_is_true(value) ? "true" : "false");
		else {
			yaml_error_at_value(doc, env, name,
				       "value of '%s' must be a string, number or boolean, not %s",
				       name, yaml_type_name(value));
			goto out;
		}
		if (secret_name_matches(name, declared, n_declared) &&
		    !env_is_reference(json_string_value(text))) {
			struct diag_loc loc = yaml_loc_value(doc, env, name);

			/* The plan is printed, logged and tee'd: a literal
			 * secret must not travel in it. */
			diag_warn(&loc,
				  "secret '%s' has a literal value in the manifest; it is left out of the plan: pass it through the environment as '${%s}'",
				  name, name);
			json_decref(text);
			text = json_string(SECRET_MASK);
		}
		json_object_set_new(resolved, name, text);
	}
	json_object_set(config, "env", resolved);
	ret = 0;
out:
	json_decref(resolved);
	free(declared);
	free(names);
	return ret;
}

int
manifest_health_timing(const struct yaml_doc *doc, const json_t *h,
		       const char *const keys[4], uint64_t interval_ms,
		       bool null_is_absent, json_t *out)
{
	uint64_t ms = HEALTH_DEFAULT_TIMEOUT_MS;
	json_int_t n = HEALTH_DEFAULT_RETRIES;
	bool given[4];
	size_t i;
	int ret;

	for (i = 0; i < 4; i++) {
		const json_t *v = json_object_get(h, keys[i]);

		given[i] = v && !(null_is_absent && json_is_null(v));
	}
	if (given[0] &&
	    (ret = manifest_duration_ms(doc, h, keys[0], &ms)) < 0)
		return ret;
	json_object_set_new(out, "timeout_ms", json_integer((json_int_t)ms));
	ms = interval_ms;
	if (given[1] &&
	    (ret = manifest_duration_ms(doc, h, keys[1], &ms)) < 0)
		return ret;
	json_object_set_new(out, "interval_ms", json_integer((json_int_t)ms));
	if (given[2] &&
	    (ret = manifest_integer(doc, h, keys[2], 0, 1000, &n)) < 0)
		return ret;
	json_object_set_new(out, "retries", json_integer(n));
	if (given[3]) {
		if ((ret = manifest_duration_ms(doc, h, keys[3], &ms)) < 0)
			return ret;
		json_object_set_new(out, "start_period_ms", json_integer((json_int_t)ms));
	}
	return 0;
}

static int
parse_health(const struct yaml_doc *doc, const json_t *svc, json_t *config)
{
	const json_t *h = json_object_get(svc, "health");
	json_t *out = json_object(), *cmd = NULL;
	json_int_t n;
	bool is_http;
	int ret;

	if (!json_is_object(h)) {
		ret = yaml_type_error(doc, svc, "health",
				      "a mapping with 'http' or 'cmd'");
		goto out;
	}
	ret = yaml_check_keys(doc, h, health_keys, "'health'");
	if (ret < 0)
		goto out;
	is_http = json_object_get(h, "http") != NULL;
	if (is_http == (json_object_get(h, "cmd") != NULL)) {
		struct diag_loc loc = yaml_loc_value(doc, svc, "health");

		ret = diag_error(CODE_EXIT_DATAERR, &loc,
				 "'health' needs exactly one of 'http' or 'cmd'");
		goto out;
	}
	if (is_http) {
		const json_t *url = json_object_get(h, "http");

		if (!json_is_string(url) || json_string_length(url) == 0) {
			ret = yaml_type_error(doc, h, "http", "a URL");
			goto out;
		}
		json_object_set(out, "http", (json_t *)url);
		n = 200;
		if (json_object_get(h, "expect") &&
		    (ret = manifest_integer(doc, h, "expect", 100, 599, &n)) < 0)
			goto out;
		json_object_set_new(out, "expect", json_integer(n));
		if (json_object_get(h, "body")) {
			if (!json_is_string(json_object_get(h, "body"))) {
				ret = yaml_type_error(doc, h, "body", "a regular expression");
				goto out;
			}
			json_object_set(out, "body", json_object_get(h, "body"));
		}
	} else {
		const char *only_http = json_object_get(h, "expect") ? "expect" :
					json_object_get(h, "body") ? "body" : NULL;

		if (only_http) {
			struct diag_loc loc = yaml_loc_key(doc, h, only_http);

			ret = diag_error(CODE_EXIT_DATAERR, &loc,
					 "'%s' applies only to 'http' checks", only_http);
			goto out;
		}
		if ((ret = manifest_command(doc, h, "cmd", &cmd)) < 0)
			goto out;
		json_object_set_new(out, "cmd", cmd);
	}
	if ((ret = manifest_health_timing(doc, h, timing_keys,
					  HEALTH_DEFAULT_INTERVAL_MS, false, out)) < 0)
		goto out;
	json_object_set(config, "health", out);
	ret = 0;
out:
	json_decref(out);
	return ret;
}

static int
parse_canary(const struct yaml_doc *doc, const json_t *svc, json_t *config)
{
	const json_t *c = json_object_get(svc, "canary"), *steps, *step;
	json_t *out = json_object(), *gate = NULL;
	json_int_t last = 0;
	uint64_t ms = 0;
	size_t i;
	int ret;

	if (!json_is_object(c)) {
		ret = yaml_type_error(doc, svc, "canary", "a mapping with 'steps'");
		goto out;
	}
	if ((ret = yaml_check_keys(doc, c, canary_keys, "'canary'")) < 0)
		goto out;
	steps = json_object_get(c, "steps");
	if (steps == NULL) {
		struct diag_loc loc = yaml_loc_value(doc, svc, "canary");

		ret = diag_error(CODE_EXIT_DATAERR, &loc,
				 "'canary' needs 'steps', such as [10, 25, 50, 100]");
		goto out;
	}
	if (!json_is_array(steps) || json_array_size(steps) == 0) {
		ret = yaml_type_error(doc, c, "steps",
				      "a list of traffic percentages such as [10, 50, 100]");
		goto out;
	}
	json_array_foreach(steps, i, step) {
		json_int_t w = json_integer_value(step);

		if (!json_is_integer(step) || w < 1 || w > 100 || w <= last) {
			ret = yaml_error_at_item(doc, steps, i,
					 "canary steps must be increasing percentages from 1 to 100");
			goto out;
		}
		last = w;
	}
	if (last != 100) {
		struct diag_loc loc = yaml_loc_value(doc, c, "steps");

		ret = diag_error(CODE_EXIT_DATAERR, &loc,
				 "canary steps must end at 100, so the release is complete");
		goto out;
	}
	json_object_set(out, "steps", (json_t *)steps);
	if (json_object_get(c, "pause") &&
	    (ret = manifest_duration_ms(doc, c, "pause", &ms)) < 0)
		goto out;
	json_object_set_new(out, "pause_ms", json_integer((json_int_t)ms));
	if (json_object_get(c, "gate")) {
		if ((ret = manifest_command(doc, c, "gate", &gate)) < 0)
			goto out;
		json_object_set_new(out, "gate", gate);
	}
	json_object_set(config, "canary", out);
	ret = 0;
out:
	json_decref(out);
	return ret;
}

static int
parse_monitor(const struct yaml_doc *doc, const json_t *svc, json_t *config)
{
	const json_t *m = json_object_get(svc, "monitor");
	uint64_t duration, interval = MONITOR_DEFAULT_INTERVAL_MS,
		 max_interval = MONITOR_DEFAULT_MAX_INTERVAL_MS;
	int ret;

	if (!json_is_object(m))
		return yaml_type_error(doc, svc, "monitor",
				       "a mapping with 'duration'");
	if ((ret = yaml_check_keys(doc, m, monitor_keys, "'monitor'")) < 0)
		return ret;
	if (json_object_get(m, "duration") == NULL) {
		struct diag_loc loc = yaml_loc_value(doc, svc, "monitor");

		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "'monitor' needs 'duration', such as 300s");
	}
	if ((ret = manifest_duration_ms(doc, m, "duration", &duration)) < 0)
		return ret;
	if (json_object_get(m, "interval") &&
	    (ret = manifest_duration_ms(doc, m, "interval", &interval)) < 0)
		return ret;
	if (json_object_get(m, "max_interval") &&
	    (ret = manifest_duration_ms(doc, m, "max_interval", &max_interval)) < 0)
		return ret;
	if (interval == 0 || max_interval < interval) {
		struct diag_loc loc = yaml_loc_value(doc, svc, "monitor");

		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "'monitor' needs 0 < interval <= max_interval");
	}
	json_object_set_new(config, "monitor",
			    json_pack("{s:I,s:I,s:I}", "duration_ms", (json_int_t)duration,
				      "interval_ms", (json_int_t)interval,
				      "max_interval_ms", (json_int_t)max_interval));
	return 0;
}

static int
parse_strategy_value(const struct yaml_doc *doc, const json_t *obj,
		     const char **out)
{
	const json_t *v = json_object_get(obj, "strategy");
	size_t i;

	if (!json_is_string(v))
		return yaml_type_error(doc, obj, "strategy",
				       "one of rolling, all_at_once, blue_green, canary");
	for (i = 0; strategies[i]; i++)
		if (strcmp(json_string_value(v), strategies[i]) == 0) {
			*out = strategies[i];
			return 0;
		}
	{
		const char *hint = suggest_closest(json_string_value(v), strategies,
						   list_count(strategies));

		return yaml_error_at_value(doc, obj, "strategy",
					   "unknown strategy '%s'%s%s%s (use rolling, all_at_once, blue_green or canary)",
				  json_string_value(v), hint ? "; did you mean '" : "",
				  hint ? hint : "", hint ? "'?" : "");
	}
}

/* Located at the strategy, or at the service when it is a default. */
static int
strategy_error(const struct yaml_doc *doc, const json_t *svc, const char *msg)
{
	struct diag_loc loc = json_object_get(svc, "strategy")
				      ? yaml_loc_value(doc, svc, "strategy")
				      : yaml_loc_node(doc, svc);

	return diag_error(CODE_EXIT_DATAERR, &loc, "%s", msg);
}

/* Checks that strategy-specific keys come with their strategy. */
static int
check_strategy_keys(const struct yaml_doc *doc, const json_t *svc,
		    const char *strategy)
{
	struct diag_loc loc;

	if (json_object_get(svc, "batch") && strcmp(strategy, "rolling") != 0) {
		loc = yaml_loc_key(doc, svc, "batch");
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "'batch' applies only to strategy 'rolling', not '%s'",
				  strategy);
	}
	if (json_object_get(svc, "canary") && strcmp(strategy, "canary") != 0) {
		loc = yaml_loc_key(doc, svc, "canary");
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "'canary' applies only to strategy 'canary', not '%s'",
				  strategy);
	}
	if (strcmp(strategy, "canary") == 0) {
		if (json_object_get(svc, "canary") == NULL)
			return strategy_error(doc, svc,
					      "strategy 'canary' needs a 'canary' mapping with 'steps'");
		if (json_object_get(svc, "switch") == NULL)
			return strategy_error(doc, svc,
					      "strategy 'canary' needs 'switch', the command that sets the traffic weight");
	}
	if (strcmp(strategy, "blue_green") == 0 &&
	    json_object_get(svc, "switch") == NULL)
		return strategy_error(doc, svc,
				      "strategy 'blue_green' needs 'switch', the command that moves traffic");
	return 0;
}

/* Adds the optional command key of svc to config under the same name. */
static int
copy_command(const struct yaml_doc *doc, const json_t *svc, const char *key,
	     json_t *config)
{
	json_t *cmd;
	int ret;

	if (json_object_get(svc, key) == NULL)
		return 0;
	if ((ret = manifest_command(doc, svc, key, &cmd)) < 0)
		return ret;
	json_object_set_new(config, key, cmd);
	return 0;
}

static int
parse_service(const struct yaml_doc *doc, const json_t *services,
	      const char *name, const void *defaults_arg, struct plan_service *s)
{
	const struct manifest_defaults *defaults = defaults_arg;
	const json_t *svc = json_object_get(services, name);
	json_t *config = json_object(), *list = NULL, *secrets = NULL;
	const char *strategy = defaults->strategy;
	uint64_t timeout_ms = defaults->timeout_ms;
	json_int_t retries = defaults->retries, batch;
	struct strbuf where = STRBUF_INIT;
	size_t i;
	int ret;

	s->name = name;
	s->node = svc;
	strbuf_addf(&where, "service '%s'", name);
	if ((ret = manifest_check_name(doc, services, name)) < 0)
		goto out;
	if (!json_is_object(svc)) {
		ret = yaml_type_error(doc, services, name,
				      "a mapping with at least 'deploy'");
		goto out;
	}
	if ((ret = yaml_check_keys(doc, svc, service_keys, where.buf)) < 0)
		goto out;
	if (json_object_get(svc, "deploy") == NULL) {
		struct diag_loc loc = yaml_loc_key(doc, services, name);

		ret = diag_error(CODE_EXIT_DATAERR, &loc,
				 "service '%s' has no 'deploy' command", name);
		goto out;
	}

	/* depends_on */
	if (json_object_get(svc, "depends_on")) {
		if ((ret = manifest_string_list(doc, svc, "depends_on", &list)) < 0)
			goto out;
		s->deps_node = json_object_get(svc, "depends_on");
		json_object_set_new(config, "depends_on", list);
	} else {
		json_object_set_new(config, "depends_on", json_array());
	}
	list = json_object_get(config, "depends_on");
	s->n_depends_on = json_array_size(list);
	s->depends_on = xcalloc(s->n_depends_on + 1, sizeof(*s->depends_on));
	for (i = 0; i < s->n_depends_on; i++)
		s->depends_on[i] = json_string_value(json_array_get(list, i));
	list = NULL;

	if (json_object_get(svc, "strategy") &&
	    (ret = parse_strategy_value(doc, svc, &strategy)) < 0)
		goto out;
	if ((ret = check_strategy_keys(doc, svc, strategy)) < 0)
		goto out;
	json_object_set_new(config, "strategy", json_string(strategy));

	if (json_object_get(svc, "targets")) {
		if ((ret = manifest_string_list(doc, svc, "targets", &list)) < 0)
			goto out;
		if (json_array_size(list) == 0) {
			struct diag_loc loc = yaml_loc_value(doc, svc, "targets");

			json_decref(list);
			ret = diag_error(CODE_EXIT_DATAERR, &loc,
					 "'targets' is empty: list at least one, or leave it out to use the service name");
			goto out;
		}
		json_object_set_new(config, "targets", list);
		list = NULL;
	} else {
		json_object_set_new(config, "targets", json_pack("[s]", name));
	}

	if ((ret = copy_command(doc, svc, "deploy", config)) < 0 ||
	    (ret = copy_command(doc, svc, "rollback", config)) < 0)
		goto out;
	if (json_object_get(svc, "health") &&
	    (ret = parse_health(doc, svc, config)) < 0)
		goto out;
	if (json_object_get(svc, "timeout") &&
	    (ret = manifest_duration_ms(doc, svc, "timeout", &timeout_ms)) < 0)
		goto out;
	json_object_set_new(config, "timeout_ms", json_integer((json_int_t)timeout_ms));
	if (json_object_get(svc, "retries") &&
	    (ret = manifest_integer(doc, svc, "retries", 0, 100, &retries)) < 0)
		goto out;
	json_object_set_new(config, "retries", json_integer(retries));
	if (json_object_get(svc, "batch")) {
		if ((ret = manifest_integer(doc, svc, "batch", 1, 1000000, &batch)) < 0)
			goto out;
		json_object_set_new(config, "batch", json_integer(batch));
	}
	if (json_object_get(svc, "canary") &&
	    (ret = parse_canary(doc, svc, config)) < 0)
		goto out;
	if ((ret = copy_command(doc, svc, "switch", config)) < 0)
		goto out;
	if (json_object_get(svc, "monitor") &&
	    (ret = parse_monitor(doc, svc, config)) < 0)
		goto out;
	if (json_object_get(svc, "secrets")) {
		json_t *item;

		if ((ret = manifest_string_list(doc, svc, "secrets", &secrets)) < 0)
			goto out;
		json_array_foreach(secrets, i, item) {
			const char *v = json_string_value(item);

			if (!manifest_env_name_valid(v, strlen(v))) {
				struct diag_loc loc = yaml_loc_item(doc, secrets, i);

				ret = diag_error(CODE_EXIT_DATAERR, &loc,
						 "'%s' is not a valid environment variable name", v);
				goto out;
			}
		}
	}
	if (json_object_get(svc, "env") &&
	    (ret = manifest_env(doc, svc, "env", secrets, config)) < 0)
		goto out;
	if (secrets)
		json_object_set(config, "secrets", secrets);
	if (json_object_get(svc, "inputs")) {
		if ((ret = manifest_string_list(doc, svc, "inputs", &list)) < 0)
			goto out;
		s->inputs = json_object_get(svc, "inputs");
		json_object_set_new(config, "inputs", list);
		list = NULL;
	}
	s->config = config;
	config = NULL;
	ret = 0;
out:
	json_decref(config);
	json_decref(secrets);
	strbuf_release(&where);
	return ret;
}

static int
parse_defaults(const struct yaml_doc *doc, const json_t *root,
	       struct manifest_defaults *d, unsigned *parallel)
{
	const json_t *def = json_object_get(root, "defaults");
	json_int_t n;
	int ret;

	d->timeout_ms = DEFAULT_TIMEOUT_MS;
	d->retries = DEFAULT_RETRIES;
	d->strategy = "rolling";
	*parallel = DEFAULT_PARALLEL;
	if (def == NULL || json_is_null(def))
		return 0;
	if (!json_is_object(def))
		return yaml_type_error(doc, root, "defaults", "a mapping");
	if ((ret = yaml_check_keys(doc, def, defaults_keys, "'defaults'")) < 0)
		return ret;
	if (json_object_get(def, "timeout") &&
	    (ret = manifest_duration_ms(doc, def, "timeout", &d->timeout_ms)) < 0)
		return ret;
	if (json_object_get(def, "retries") &&
	    (ret = manifest_integer(doc, def, "retries", 0, 100, &d->retries)) < 0)
		return ret;
	if (json_object_get(def, "strategy") &&
	    (ret = parse_strategy_value(doc, def, &d->strategy)) < 0)
		return ret;
	if (json_object_get(def, "parallel")) {
		if ((ret = manifest_integer(doc, def, "parallel", 1, 10000, &n)) < 0)
			return ret;
		*parallel = (unsigned)n;
	}
	return 0;
}

static int
service_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct plan_service *)a)->name,
		      ((const struct plan_service *)b)->name);
}

static int
manifest_load_native(struct manifest *m)
{
	const struct yaml_doc *doc = m->doc;
	const json_t *root = yaml_doc_root(doc), *version;
	struct manifest_defaults defaults;
	struct diag_loc loc = { yaml_doc_name(doc), 0, 0 };
	int ret;

	if ((ret = yaml_check_keys(doc, root, top_keys, "the manifest")) < 0)
		return ret;
	version = json_object_get(root, "version");
	if (version == NULL)
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "the manifest has no 'version' (add 'version: 1')");
	if (!json_is_integer(version))
		return yaml_type_error(doc, root, "version", "the integer 1");
	if (json_integer_value(version) != MANIFEST_VERSION) {
		loc = yaml_loc_value(doc, root, "version");
		if (json_integer_value(version) > MANIFEST_VERSION)
			return diag_error(CODE_EXIT_DATAERR, &loc,
					  "manifest version %" JSON_INTEGER_FORMAT
					  " is newer than this code-plan understands (%d): upgrade code-tools",
					  json_integer_value(version), MANIFEST_VERSION);
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "unknown manifest version %" JSON_INTEGER_FORMAT " (use 1)",
				  json_integer_value(version));
	}
	if ((ret = parse_defaults(doc, root, &defaults, &m->parallel)) < 0)
		return ret;
	return manifest_parse_services(m, root, parse_service, &defaults,
				       "the manifest");
}

int
manifest_parse_services(struct manifest *m, const json_t *root,
			manifest_service_parser parse, const void *defaults,
			const char *what)
{
	const json_t *services = json_object_get(root, "services");
	struct diag_loc loc = diag_file(yaml_doc_name(m->doc));
	const char *name;
	json_t *svc;
	size_t i = 0;
	int ret;

	if (services == NULL)
		return diag_error(CODE_EXIT_DATAERR, &loc, "%s has no 'services'", what);
	if (json_is_null(services))
		return 0;
	if (!json_is_object(services))
		return yaml_type_error(m->doc, root, "services",
				       "a mapping of service names to services");
	m->services = xcalloc(json_object_size(services) + 1, sizeof(*m->services));
	json_object_foreach((json_t *)services, name, svc) {
		(void)svc;
		ret = parse(m->doc, services, name, defaults, &m->services[i]);
		/* Counted even on failure: manifest_release frees what it holds. */
		m->n_services = ++i;
		if (ret < 0)
			return ret;
	}
	return 0;
}

int
manifest_load(const char *path, enum manifest_format format,
	      struct manifest *out)
{
	const json_t *root;
	const char *slash;
	int ret;

	memset(out, 0, sizeof(*out));
	out->path = path;
	slash = strcmp(path, "-") == 0 ? NULL : strrchr(path, '/');
	out->base_dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path))
			      : xstrdup(".");
	if ((ret = yaml_load_file(path, NULL, &out->doc)) < 0)
		return ret;
	root = yaml_doc_root(out->doc);
	if (!json_is_object(root)) {
		struct diag_loc loc = yaml_loc_node(out->doc, root);

		if (loc.line == 0)
			loc.line = json_is_null(root) ? 0 : 1;
		if (json_is_null(root))
			return diag_error(CODE_EXIT_DATAERR, &loc,
					  "the manifest is empty: it needs 'version: 1' and 'services'");
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "the manifest must be a mapping with 'version' and 'services', not %s",
				  yaml_type_name(root));
	}
	if (format == MANIFEST_AUTO)
		format = deploycode_detect(root) ? MANIFEST_DEPLOY_CODE : MANIFEST_NATIVE;
	out->format = format;
	if (format == MANIFEST_DEPLOY_CODE)
		ret = deploycode_load(out);
	else
		ret = manifest_load_native(out);
	if (ret < 0)
		return ret;
	qsort(out->services, out->n_services, sizeof(*out->services),
	      service_name_cmp);
	return 0;
}

void
manifest_release(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n_services; i++) {
		json_decref(m->services[i].config);
		free(m->services[i].config_json);
		free(m->services[i].depends_on);
		free(m->services[i].dep_index);
	}
	free(m->services);
	free(m->base_dir);
	yaml_doc_free(m->doc);
	memset(m, 0, sizeof(*m));
}
