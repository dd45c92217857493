/* deploycode.c: reads CODE's deploy-code manifests into plan steps (SPEC section 2). */
#include "cmd/plan/deploycode.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/xalloc.h"

/*
 * deploy-code's own defaults (its "deploy --parallel" and "--timeout"),
 * so a team that moves its YAML over gets the behaviour it had.
 */
#define DEPLOYCODE_DEFAULT_PARALLEL 10
#define DEPLOYCODE_DEFAULT_TIMEOUT_MS (300u * 1000u)
#define DEPLOYCODE_MAX_PARALLEL 10000
#define DEPLOYCODE_MAX_REPLICAS 10000
/* The same health defaults as the native schema (manifest.c). */
#define HEALTH_DEFAULT_TIMEOUT_MS 5000
#define HEALTH_DEFAULT_INTERVAL_MS 2000
#define HEALTH_DEFAULT_RETRIES 10
#define HEALTH_DEFAULT_EXPECT 200
#define HEALTH_LOCAL_HOST "127.0.0.1"

/*
 * Keys that mean something to code-plan. Every other key is carried
 * (per service) or dropped (top level) with a note under --verbose:
 * deploy-code files are full of sections for its own runtime, and a
 * team moving over must not have to strip them first.
 */
static const char *const top_keys[] = { "deployment", "services", NULL };
static const char *const deployment_keys[] = {
	"strategy", "max_parallel", "timeout_seconds", "rollback_on_failure",
	"health_check_interval", NULL
};
static const char *const service_keys[] = {
	"enabled", "replicas", "command", "args", "dependencies", "env",
	"environment", "health_check", "timeout_seconds", NULL
};
static const char *const health_keys[] = {
	"endpoint", "command", "interval_seconds", "timeout_seconds", "retries",
	"start_period_seconds", NULL
};
static const char *const timing_keys[4] = {
	"timeout_seconds", "interval_seconds", "retries", "start_period_seconds"
};
static const char *const detect_keys[] = {
	"command", "args", "dependencies", NULL
};

/* What the deployment section gives every service. */
struct deploycode_defaults {
	uint64_t timeout_ms;
	uint64_t health_interval_ms;
	bool rollback_on_failure;
	const json_t *strategy;    /* borrowed: deployment.strategy, or NULL */
};

static bool
key_listed(const char *key, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strcmp(key, list[i]) == 0)
			return true;
	return false;
}

/*
 * An explicit null ("dependencies:" with nothing after it) is what YAML
 * gives for a key left empty; deploy-code files do that, so it means the
 * same as leaving the key out.
 */
static const json_t *
get(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A copy of v with the keys of every mapping in name order. The config is
 * digested as it is dumped (decide.c), so carrying a section in document
 * order would make reordering a file look like a change. Scalars are
 * shared, not copied: nothing modifies them.
 */
static json_t *
canonical_copy(const json_t *v)
{
	const char **keys, *key;
	json_t *out, *item;
	size_t i, n = 0;

	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, item)
			json_array_append_new(out, canonical_copy(item));
		return out;
	}
	if (!json_is_object(v))
		return json_incref((json_t *)v);
	keys = xcalloc(json_object_size(v) + 1, sizeof(*keys));
	json_object_foreach((json_t *)v, key, item)
		keys[n++] = key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	out = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(out, keys[i],
				    canonical_copy(json_object_get(v, keys[i])));
	free(keys);
	return out;
}

bool
deploycode_detect(const json_t *root)
{
	const json_t *services = json_object_get(root, "services");
	const char *name;
	json_t *svc;
	bool found = false;
	size_t i;

	if (!json_is_object(services))
		return false;
	json_object_foreach((json_t *)services, name, svc) {
		if (!json_is_object(svc))
			continue;
		/*
		 * One native service means a native manifest with a typo,
		 * which the strict reader explains far better.
		 */
		if (json_object_get(svc, "deploy"))
			return false;
		for (i = 0; detect_keys[i]; i++)
			if (json_object_get(svc, detect_keys[i]))
				found = true;
	}
	return found;
}

/*
 * Whether a command given without args needs a shell. Anything sh would
 * treat specially (blanks, quotes, redirections, globs, variables,
 * assignments) sends it to sh -c, as a native string command; a plain
 * word stays an argv of one, so no shell stands between code-deploy and
 * the program. Erring towards the shell is safe: sh runs a plain word
 * exactly as exec would. Braces are left out because {target} is a
 * code-deploy placeholder and POSIX sh has no brace expansion.
 */
static bool
command_needs_shell(const char *command)
{
	return command[strcspn(command, " \t\n\r|&;<>()$`\\\"'*?[]#~=!")] != '\0';
}

/* command + args -> deploy. */
static int
parse_deploy(const struct yaml_doc *doc, const json_t *services,
	     const char *name, const json_t *svc, json_t *config)
{
	const json_t *command = get(svc, "command"), *args = get(svc, "args");
	json_t *item, *deploy;
	size_t i;

	if (command == NULL) {
		struct diag_loc loc = yaml_loc_key(doc, services, name);

		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "service '%s' has no 'command'", name);
	}
	if (!json_is_string(command))
		return yaml_type_error(doc, svc, "command", "a string, the program to run");
	if (json_string_length(command) == 0) {
		struct diag_loc loc = yaml_loc_value(doc, svc, "command");

		return diag_error(CODE_EXIT_DATAERR, &loc, "'command' is empty");
	}
	if (args && !json_is_array(args))
		return yaml_type_error(doc, svc, "args", "a list of strings");
	json_array_foreach(args, i, item) {
		if (!json_is_string(item)) {
			struct diag_loc loc = yaml_loc_item(doc, args, i);

			return diag_error(CODE_EXIT_DATAERR, &loc,
					  "items of 'args' must be strings, not %s (quote it)",
					  yaml_type_name(item));
		}
	}
	/*
	 * With args, deploy-code execs command itself, so it is argv[0]
	 * even when it holds a blank: no shell is wanted there.
	 */
	if (json_array_size(args) == 0 &&
	    command_needs_shell(json_string_value(command))) {
		json_object_set(config, "deploy", (json_t *)command);
		return 0;
	}
	deploy = json_array();
	json_array_append(deploy, (json_t *)command);
	if (args)
		json_array_extend(deploy, (json_t *)args);
	json_object_set_new(config, "deploy", deploy);
	return 0;
}

/* replicas: N -> NAME-1 ... NAME-N; none or 1 -> the service name. */
static int
parse_targets(const struct yaml_doc *doc, const json_t *svc, const char *name,
	      json_t *config)
{
	json_int_t replicas = 1, i;
	json_t *targets;
	int ret;

	if (get(svc, "replicas") &&
	    (ret = manifest_integer(doc, svc, "replicas", 1,
				    DEPLOYCODE_MAX_REPLICAS, &replicas)) < 0)
		return ret;
	/*
	 * One replica is the service itself, as in a native manifest with no
	 * targets: going from "replicas: 1" to nothing changes no target.
	 */
	if (replicas == 1) {
		json_object_set_new(config, "targets", json_pack("[s]", name));
		return 0;
	}
	targets = json_array();
	for (i = 1; i <= replicas; i++)
		json_array_append_new(targets, json_sprintf("%s-%" JSON_INTEGER_FORMAT,
							    name, i));
	json_object_set_new(config, "targets", targets);
	return 0;
}

/* The port of a bare endpoint path: the first ports entry's host port. */
static int
endpoint_port(const struct yaml_doc *doc, const json_t *svc, const json_t *h,
	      const char *name, json_int_t *port)
{
	const json_t *ports = get(svc, "ports"), *first;
	const char *key;

	if (ports == NULL) {
		struct diag_loc loc = yaml_loc_value(doc, h, "endpoint");

		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "'endpoint' is a path but service '%s' has no 'ports' to take the port from; give a full URL such as http://127.0.0.1:8080%s",
				  name, json_string_value(json_object_get(h, "endpoint")));
	}
	if (!json_is_array(ports) || json_array_size(ports) == 0)
		return yaml_type_error(doc, svc, "ports",
				  "a list of mappings with 'container_port' or 'host_port'");
	first = json_array_get(ports, 0);
	key = json_object_get(first, "host_port") ? "host_port" :
	      json_object_get(first, "container_port") ? "container_port" : NULL;
	if (!json_is_object(first) || key == NULL) {
		struct diag_loc loc = yaml_loc_item(doc, ports, 0);

		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "the first of 'ports' needs 'host_port' or 'container_port' for the health check endpoint");
	}
	return manifest_integer(doc, first, key, 1, 65535, port);
}

/* health_check.endpoint -> health.http: a URL, or a path on this host. */
static int
parse_endpoint(const struct yaml_doc *doc, const json_t *svc, const json_t *h,
	       const char *name, json_t *health)
{
	const json_t *endpoint = json_object_get(h, "endpoint");
	const char *path;
	json_int_t port;
	int ret;

	if (!json_is_string(endpoint) || json_string_length(endpoint) == 0)
		return yaml_type_error(doc, h, "endpoint",
				  "a path such as /health or a URL");
	path = json_string_value(endpoint);
	if (strncasecmp(path, "http://", 7) == 0 ||
	    strncasecmp(path, "https://", 8) == 0) {
		json_object_set(health, "http", (json_t *)endpoint);
		return 0;
	}
	if (path[0] != '/') {
		struct diag_loc loc = yaml_loc_value(doc, h, "endpoint");

		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "'endpoint' must be a path such as /health or a URL such as http://127.0.0.1:8080/health, not '%s'",
				  path);
	}
	if ((ret = endpoint_port(doc, svc, h, name, &port)) < 0)
		return ret;
	json_object_set_new(health, "http",
			    json_sprintf("http://" HEALTH_LOCAL_HOST ":%" JSON_INTEGER_FORMAT "%s",
					 port, path));
	return 0;
}

/*
 * health_check -> health, keys in the order manifest.c's parse_health
 * writes them. Keys of health_check with no meaning here go to *extra
 * (a new mapping, or NULL when there are none).
 */
static int
parse_health_check(const struct yaml_doc *doc, const json_t *svc,
		   const char *name, const struct deploycode_defaults *d,
		   json_t *config, json_t **extra)
{
	const json_t *h = get(svc, "health_check");
	json_t *health = json_object(), *cmd = NULL, *value;
	const char *key;
	bool has_endpoint, has_command;
	int ret;

	*extra = NULL;
	if (!json_is_object(h)) {
		ret = yaml_type_error(doc, svc, "health_check",
				 "a mapping with 'endpoint' or 'command'");
		goto out;
	}
	has_endpoint = get(h, "endpoint") != NULL;
	has_command = get(h, "command") != NULL;
	if (has_endpoint == has_command) {
		struct diag_loc loc = yaml_loc_value(doc, svc, "health_check");

		ret = diag_error(CODE_EXIT_DATAERR, &loc,
				 "'health_check' needs exactly one of 'endpoint' or 'command'");
		goto out;
	}
	if (has_endpoint) {
		if ((ret = parse_endpoint(doc, svc, h, name, health)) < 0)
			goto out;
		json_object_set_new(health, "expect", json_integer(HEALTH_DEFAULT_EXPECT));
	} else {
		if ((ret = manifest_command(doc, h, "command", &cmd)) < 0)
			goto out;
		json_object_set_new(health, "cmd", cmd);
	}
	if ((ret = manifest_health_timing(doc, h, timing_keys,
					  d->health_interval_ms, true, health)) < 0)
		goto out;
	json_object_foreach((json_t *)h, key, value) {
		struct diag_loc loc;

		if (key_listed(key, health_keys))
			continue;
		loc = yaml_loc_key(doc, h, key);
		diag_info(DIAG_VERBOSE, &loc,
			  "'health_check.%s' of service '%s' is not a code-plan setting; carried in the step as extra",
			  key, name);
		if (*extra == NULL)
			*extra = json_object();
		json_object_set(*extra, key, value);
	}
	json_object_set(config, "health", health);
	ret = 0;
out:
	if (ret < 0) {
		json_decref(*extra);
		*extra = NULL;
	}
	json_decref(health);
	return ret;
}

/* Keeps secrets sorted and unique: its order must not follow the file's. */
static void
secrets_add(json_t *secrets, const char *name, size_t len)
{
	json_t *item, *add = json_stringn(name, len);
	size_t i;
	int cmp;

	json_array_foreach(secrets, i, item) {
		cmp = strcmp(json_string_value(item), json_string_value(add));
		if (cmp == 0) {
			json_decref(add);
			return;
		}
		if (cmp > 0)
			break;
	}
	json_array_insert_new(secrets, i, add);
}

/*
 * The variables env values take from the deploy environment: every
 * "${NAME}" inside a value, and a whole value "$NAME" (what manifest.c
 * takes as a reference). SPEC treats them as secrets, so their values,
 * known only at deploy time, are masked wherever they show up.
 */
static void
env_references(const json_t *env, json_t *secrets)
{
	const char *key, *s, *end;
	json_t *value;

	json_object_foreach((json_t *)env, key, value) {
		if (!json_is_string(value))
			continue;
		s = json_string_value(value);
		if (s[0] == '$' && s[1] != '{' && manifest_env_name_valid(s + 1, strlen(s + 1))) {
			secrets_add(secrets, s + 1, strlen(s + 1));
			continue;
		}
		while ((s = strstr(s, "${")) != NULL) {
			s += 2;
			end = strchr(s, '}');
			if (end == NULL)
				break;
			if (manifest_env_name_valid(s, (size_t)(end - s)))
				secrets_add(secrets, s, (size_t)(end - s));
			s = end + 1;
		}
	}
}

/* env or environment -> env, then the variables they reference -> secrets. */
static int
parse_env(const struct yaml_doc *doc, const json_t *svc, json_t *config)
{
	const char *key = get(svc, "env") ? "env" : "environment";
	const json_t *env = get(svc, key);
	json_t *secrets = json_array();
	int ret;

	if (env == NULL) {
		ret = 0;
		goto out;
	}
	/* Two maps of one environment: which wins is a guess, so ask. */
	if (get(svc, "env") && get(svc, "environment")) {
		struct diag_loc loc = yaml_loc_key(doc, svc, "environment");

		ret = diag_error(CODE_EXIT_DATAERR, &loc,
				 "'environment' and 'env' are the same thing: use one of them");
		goto out;
	}
	if (json_is_object(env))
		env_references(env, secrets);
	/* manifest_env writes "env" whichever name the file used. */
	if ((ret = manifest_env(doc, svc, key, secrets, config)) < 0)
		goto out;
	if (json_array_size(secrets))
		json_object_set(config, "secrets", secrets);
	ret = 0;
out:
	json_decref(secrets);
	return ret;
}

static int
parse_service(const struct yaml_doc *doc, const json_t *services,
	      const char *name, const void *defaults, struct plan_service *s)
{
	const struct deploycode_defaults *d = defaults;
	const json_t *svc = json_object_get(services, name), *v;
	json_t *config = json_object(), *extra = json_object();
	json_t *list = NULL, *health_extra = NULL, *value;
	uint64_t timeout_ms = d->timeout_ms;
	const char *key;
	size_t i;
	int ret;

	s->name = name;
	s->node = svc;
	if ((ret = manifest_check_name(doc, services, name)) < 0)
		goto out;
	if (!json_is_object(svc)) {
		ret = yaml_type_error(doc, services, name,
				 "a mapping with at least 'command'");
		goto out;
	}
	if ((v = get(svc, "enabled")) != NULL) {
		if (!json_is_boolean(v)) {
			ret = yaml_type_error(doc, svc, "enabled", "true or false");
			goto out;
		}
		s->disabled = json_is_false(v);
	}

	/* dependencies -> depends_on */
	if (get(svc, "dependencies")) {
		if ((ret = manifest_string_list(doc, svc, "dependencies", &list)) < 0)
			goto out;
		s->deps_node = list;
		json_object_set_new(config, "depends_on", list);
	} else {
		json_object_set_new(config, "depends_on", json_array());
	}
	list = json_object_get(config, "depends_on");
	s->n_depends_on = json_array_size(list);
	s->depends_on = xcalloc(s->n_depends_on + 1, sizeof(*s->depends_on));
	for (i = 0; i < s->n_depends_on; i++)
		s->depends_on[i] = json_string_value(json_array_get(list, i));

	/*
	 * deployment.strategy orders deploy-code's phases, which the
	 * dependency stages replace here; within a service its replicas
	 * roll, the native default.
	 */
	json_object_set_new(config, "strategy", json_string("rolling"));
	if ((ret = parse_targets(doc, svc, name, config)) < 0 ||
	    (ret = parse_deploy(doc, services, name, svc, config)) < 0)
		goto out;
	if (get(svc, "health_check") &&
	    (ret = parse_health_check(doc, svc, name, d, config, &health_extra)) < 0)
		goto out;
	if (get(svc, "timeout_seconds") &&
	    (ret = manifest_duration_ms(doc, svc, "timeout_seconds", &timeout_ms)) < 0)
		goto out;
	json_object_set_new(config, "timeout_ms", json_integer((json_int_t)timeout_ms));
	json_object_set_new(config, "retries", json_integer(0));
	json_object_set_new(config, "rollback_on_failure",
			    json_boolean(d->rollback_on_failure));
	if ((ret = parse_env(doc, svc, config)) < 0)
		goto out;

	json_object_foreach((json_t *)svc, key, value) {
		struct diag_loc loc;

		if (key_listed(key, service_keys))
			continue;
		loc = yaml_loc_key(doc, svc, key);
		diag_info(DIAG_VERBOSE, &loc,
			  "'%s' of service '%s' is not a code-plan setting; carried in the step as extra",
			  key, name);
		json_object_set(extra, key, value);
	}
	if (health_extra)
		json_object_set(extra, "health_check", health_extra);
	if (d->strategy && json_object_get(extra, "deployment_strategy") == NULL)
		json_object_set(extra, "deployment_strategy", (json_t *)d->strategy);
	if (json_object_size(extra))
		json_object_set_new(config, "extra", canonical_copy(extra));
	s->config = config;
	config = NULL;
	ret = 0;
out:
	json_decref(config);
	json_decref(extra);
	json_decref(health_extra);
	return ret;
}

/* deployment: -> m->parallel and the defaults every service inherits. */
static int
parse_deployment(const struct yaml_doc *doc, const json_t *root,
		 struct deploycode_defaults *d, unsigned *parallel)
{
	const json_t *dep = get(root, "deployment"), *v;
	const char *key;
	json_t *value;
	json_int_t n;
	int ret;

	d->timeout_ms = DEPLOYCODE_DEFAULT_TIMEOUT_MS;
	d->health_interval_ms = HEALTH_DEFAULT_INTERVAL_MS;
	d->rollback_on_failure = false;
	d->strategy = NULL;
	*parallel = DEPLOYCODE_DEFAULT_PARALLEL;
	if (dep == NULL)
		return 0;
	if (!json_is_object(dep))
		return yaml_type_error(doc, root, "deployment", "a mapping");
	json_object_foreach((json_t *)dep, key, value) {
		struct diag_loc loc;

		if (key_listed(key, deployment_keys))
			continue;
		loc = yaml_loc_key(doc, dep, key);
		diag_info(DIAG_VERBOSE, &loc,
			  "'deployment.%s' has no meaning for code-plan; ignored", key);
	}
	if (get(dep, "max_parallel")) {
		if ((ret = manifest_integer(doc, dep, "max_parallel", 1,
					    DEPLOYCODE_MAX_PARALLEL, &n)) < 0)
			return ret;
		*parallel = (unsigned)n;
	}
	if (get(dep, "timeout_seconds") &&
	    (ret = manifest_duration_ms(doc, dep, "timeout_seconds", &d->timeout_ms)) < 0)
		return ret;
	/* deploy-code's health check period, for checks that set none. */
	if (get(dep, "health_check_interval") &&
	    (ret = manifest_duration_ms(doc, dep, "health_check_interval",
					&d->health_interval_ms)) < 0)
		return ret;
	if ((v = get(dep, "rollback_on_failure")) != NULL) {
		if (!json_is_boolean(v))
			return yaml_type_error(doc, dep, "rollback_on_failure", "true or false");
		d->rollback_on_failure = json_is_true(v);
	}
	if ((v = get(dep, "strategy")) != NULL) {
		struct diag_loc loc = yaml_loc_value(doc, dep, "strategy");

		d->strategy = v;
		diag_info(DIAG_VERBOSE, &loc,
			  "'deployment.strategy' orders deploy-code's phases; code-plan orders by 'dependencies' and deploys each service 'rolling' (the value is carried as extra.deployment_strategy)");
	}
	return 0;
}

int
deploycode_load(struct manifest *m)
{
	const struct yaml_doc *doc = m->doc;
	const json_t *root = yaml_doc_root(doc);
	struct deploycode_defaults defaults;
	const char *name;
	json_t *value;
	int ret;

	json_object_foreach((json_t *)root, name, value) {
		struct diag_loc kloc;

		if (key_listed(name, top_keys))
			continue;
		kloc = yaml_loc_key(doc, root, name);
		diag_info(DIAG_VERBOSE, &kloc,
			  "'%s' has no meaning for code-plan; ignored", name);
	}
	if ((ret = parse_deployment(doc, root, &defaults, &m->parallel)) < 0)
		return ret;
	return manifest_parse_services(m, root, parse_service, &defaults,
				       "the deploy-code manifest");
}
