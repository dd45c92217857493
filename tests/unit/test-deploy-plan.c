/* test-deploy-plan.c: code-plan's output reads into the services to run, and every bad record is refused with its line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "cmd/deploy/plan.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/hash.h"
#include "libcommon/strbuf.h"
#include "tests/lib/tap.h"

/* A step record with everything it needs, to which a case adds one field. */
#define STEP "{\"type\":\"step\",\"stage\":0,\"service\":\"api\",\"action\":\"deploy\"," \
	"\"deploy\":[\"./d.sh\",\"{target}\"]"

static const char *
fixture(char *buf, size_t size, const char *name)
{
	const char *srcdir = getenv("top_srcdir");

	snprintf(buf, size, "%s/tests/data/deploy/plans/%s", srcdir ? srcdir : "..", name);
	return buf;
}

static const struct deploy_service *
find(const struct deploy_plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n_services; i++)
		if (strcmp(p->services[i].name, name) == 0)
			return &p->services[i];
	return NULL;
}

/* The argv (or shell string) of a command as one line, to compare. */
static char *
show(const struct deploy_command *c)
{
	if (c->shell)
		return strdup(c->shell);
	return command_describe(c->argv);
}

static void
is_cmd(const struct deploy_command *c, const char *want, const char *name)
{
	char *got = show(c);

	is_str(got, want, name);
	free(got);
}

/* Writes content to name and reads it as a plan; stderr goes to *err. */
static int
read_text(const char *name, const char *content, bool skip_invalid,
	  struct deploy_plan *p, const char **err, char *path, size_t path_size)
{
	struct plan_read_options opts = { 0, skip_invalid };
	int ret;

	tap_write_file(tap_path(path, path_size, name), content, strlen(content));
	tap_capture_begin();
	ret = plan_read(path, &opts, p);
	*err = tap_capture_end();
	return ret;
}

/* The content must fail with "code-deploy: PATH:" followed by tail. */
static void
expect_error(const char *content, const char *tail)
{
	struct deploy_plan p;
	char path[4200], want[8400];
	const char *err;
	int ret;

	ret = read_text("bad.ndjson", content, false, &p, &err, path, sizeof(path));
	is_int(ret, -CODE_EXIT_DATAERR, tail);
	snprintf(want, sizeof(want), "code-deploy: %s:%s\n", path, tail);
	is_str(err, want, tail);
	ok(p.services == NULL && p.n_services == 0 && p.source == NULL,
	   "the plan is left empty after: %s", tail);
}

static void
test_sample(void)
{
	struct plan_read_options opts = { 0, false };
	const struct deploy_service *s;
	struct deploy_plan p;
	char path[4200];
	size_t i;

	is_int(plan_read(fixture(path, sizeof(path), "sample.ndjson"), &opts, &p), 0,
	       "code-plan's output for the sample manifest reads");
	is_str(p.source, path, "the source is the path read");
	is_str(p.manifest, "deploy.yaml", "the manifest comes from the plan record");
	is_str(p.digest, "c28726415848129f4effce2ccee0aec6", "and the digest");
	is_int(p.parallel, 5, "and parallel");
	is_int((long long)p.n_services, 5, "five services");
	is_int(p.n_stages, 3, "in three stages");
	is_int((long long)p.other_records, 0, "no other records");
	{
		static const char *const order[] = { "cache", "db", "api", "worker", "web" };
		static const unsigned stages[] = { 0, 0, 1, 1, 2 };

		for (i = 0; i < 5 && i < p.n_services; i++) {
			is_str(p.services[i].name, order[i], "services in plan order");
			is_int(p.services[i].stage, stages[i], "with their stage");
		}
	}

	s = find(&p, "db");
	ok(s != NULL, "db is there");
	is_int((long long)s->line, 3, "db's line");
	ok(s->deploy, "db is deployed");
	is_str(s->reason, "new", "because it is new");
	is_str(s->digest, "f6e5ab5220d16a223880a058a2ca80fc", "db's digest");
	is_str(s->config_digest, "86c8f46a2a33e142efb3132d56a53541", "db's config digest");
	is_str(s->inputs_digest, "86a8f45e6749a02ae1034368d20021d6", "db's inputs digest");
	is_int(s->strategy, STRATEGY_ROLLING, "db rolls");
	is_int(s->batch, 1, "one target at a time");
	is_int((long long)s->n_targets, 2, "db has two targets");
	is_str(s->targets[1], "db2", "the second is db2");
	is_int((long long)s->n_depends_on, 0, "db depends on nothing");
	ok(s->depends_on != NULL && s->depends_on[0] == NULL, "an empty, terminated list");
	is_cmd(&s->deploy_cmd, "./bin/deploy-db.sh --host '{target}'", "db's deploy argv");
	ok(s->deploy_cmd.shell == NULL, "is an argv list");
	is_cmd(&s->rollback_cmd, "./bin/rollback-db.sh '{target}'", "db's rollback");
	ok(!command_is_set(&s->switch_cmd), "db has no switch");
	is_int(s->health.kind, HEALTH_HTTP, "db has an HTTP check");
	is_str(s->health.url, "http://{target}:8080/health", "on its URL");
	is_int(s->health.expect, 200, "expecting 200");
	ok(s->health.body == NULL, "with no body pattern");
	is_int(s->health.timeout_ms, 5000, "health timeout");
	is_int(s->health.interval_ms, 2000, "health interval");
	is_int(s->health.retries, 10, "health retries");
	is_int(s->health.start_period_ms, 0, "no start period");
	is_int(s->timeout_ms, 600000, "db's command timeout is 10 min");
	is_int(s->retries, 2, "two retries");
	ok(!s->has_canary && !s->monitor.set, "no canary, no monitor");
	ok(s->rollback_on_failure, "rolls back on failure by default");

	s = find(&p, "cache");
	is_int(s->strategy, STRATEGY_ALL_AT_ONCE, "cache goes all at once");
	is_int(s->health.kind, HEALTH_CMD, "with a command check");
	is_cmd(&s->health.cmd, "redis-cli -h '{target}' ping", "the check's argv");
	is_int(s->health.retries, 3, "retried 3 times");

	s = find(&p, "api");
	is_int(s->strategy, STRATEGY_CANARY, "api is a canary");
	is_int((long long)s->n_depends_on, 2, "depending on two services");
	is_str(s->depends_on[1], "cache", "in the record's order");
	ok(s->has_canary, "with canary settings");
	is_int((long long)s->canary.n_steps, 4, "four canary steps");
	ok(s->canary.n_steps == 4 && s->canary.steps[0] == 10 && s->canary.steps[1] == 25 &&
	   s->canary.steps[2] == 50 && s->canary.steps[3] == 100, "10/25/50/100");
	is_int(s->canary.pause_ms, 30000, "a 30 s pause");
	is_cmd(&s->canary.gate, "code-logscan --count /var/log/api/app.log", "the gate");
	is_cmd(&s->switch_cmd, "./bin/lb.sh weight api '{weight}'", "the switch");
	ok(s->monitor.set, "a monitor");
	is_int(s->monitor.duration_ms, 300000, "for 5 min");
	is_int(s->monitor.interval_ms, 5000, "every 5 s");
	is_int(s->monitor.max_interval_ms, 60000, "at most every minute");
	is_int((long long)s->n_env, 2, "two variables");
	ok(s->n_env == 2 && strcmp(s->env[0].name, "API_TOKEN") == 0 &&
	   strcmp(s->env[0].value, "${API_TOKEN}") == 0 && strcmp(s->env[1].name, "REGION") == 0 &&
	   strcmp(s->env[1].value, "eu-1") == 0, "env names and values as written");
	is_int((long long)s->n_secrets, 1, "one secret");
	is_str(s->secrets[0], "API_TOKEN", "named API_TOKEN");
	is_int(s->timeout_ms, 90000, "a 90 s timeout");

	s = find(&p, "worker");
	is_int(s->batch, 2, "worker rolls two at a time");
	is_int(s->retries, 0, "without retries");
	is_int((long long)s->n_targets, 4, "over four targets");
	is_int(s->health.kind, HEALTH_NONE, "worker has no health check");

	s = find(&p, "web");
	is_int(s->strategy, STRATEGY_BLUE_GREEN, "web is blue-green");
	ok(s->deploy_cmd.argv == NULL && s->deploy_cmd.shell != NULL, "its deploy is a shell string");
	is_str(s->deploy_cmd.shell, "./bin/deploy-web.sh {target} && ./bin/warm-cache.sh {target}",
	       "as written");
	is_str(s->health.body, "ok", "its check wants 'ok' in the body");
	is_int(s->health.start_period_ms, 10000, "after a 10 s start period");
	is_cmd(&s->switch_cmd, "./bin/lb.sh swap web", "and switches with lb.sh swap");
	plan_release(&p);
	ok(p.services == NULL && p.source == NULL, "release empties the plan");
}

static void
test_deploy_code(void)
{
	struct plan_read_options opts = { 0, false };
	const struct deploy_service *s;
	struct deploy_plan p;
	char path[4200];
	const char *err;

	tap_capture_begin();
	is_int(plan_read(fixture(path, sizeof(path), "deploy-code.ndjson"), &opts, &p), 0,
	       "code-plan's output for a CODE manifest reads");
	err = tap_capture_end();
	is_str(err, "", "quietly: 'extra' is a known field");
	is_int((long long)p.n_services, 6, "six services");
	is_int(p.n_stages, 4, "in four stages");
	is_int(p.parallel, 4, "parallel from deployment.max_parallel");
	s = find(&p, "mcp_memory");
	ok(s && !s->deploy, "the disabled service is skipped");
	is_str(s->reason, "disabled", "because it is disabled");
	s = find(&p, "redis");
	is_int(s->health.kind, HEALTH_CMD, "redis has a command check");
	is_str(s->health.cmd.shell, "redis-cli -p 6379 ping | grep -q PONG", "run by the shell");
	ok(s->rollback_on_failure, "rollback_on_failure true is read");
	s = find(&p, "postgresql");
	is_int(s->health.start_period_ms, 60000, "a start period from start_period_seconds");
	is_int((long long)s->n_targets, 1, "one target");
	is_str(s->targets[0], "postgresql", "named after the service");
	s = find(&p, "circle_of_experts");
	is_int((long long)s->n_targets, 3, "replicas: 3 gives three targets");
	is_str(s->targets[2], "circle_of_experts-3", "numbered from 1");
	s = find(&p, "api_gateway");
	is_int(s->stage, 3, "the gateway is last");
	is_str(p.services[p.n_services - 1].name, "api_gateway", "and sorted last");
	plan_release(&p);
}

static void
test_errors(void)
{
	/* Each field's wrong type or value, named with the service. */
	expect_error("{\"type\":\"step\",\"stage\":0,\"action\":\"deploy\",\"deploy\":[\"d\"]}\n",
		     "1: step record: 'service' is missing");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"a b\",\"action\":\"skip\"}\n",
		     "1: step record: 'service' 'a b' is not a service name ([A-Za-z0-9_.-])");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"a\\u0001\",\"action\":\"skip\"}\n",
		     "1: step record: 'service' 'a?' is not a service name ([A-Za-z0-9_.-])");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":5,\"action\":\"skip\"}\n",
		     "1: step record: 'service' must be a string");
	expect_error("{\"type\":\"step\",\"service\":\"api\",\"action\":\"skip\"}\n",
		     "1: step 'api': 'stage' is missing");
	expect_error("{\"type\":\"step\",\"stage\":-1,\"service\":\"api\",\"action\":\"skip\"}\n",
		     "1: step 'api': 'stage' must be a non-negative integer");
	expect_error("{\"type\":\"step\",\"stage\":\"0\",\"service\":\"api\",\"action\":\"skip\"}\n",
		     "1: step 'api': 'stage' must be a non-negative integer");
	expect_error("{\"type\":\"step\",\"stage\":100001,\"service\":\"api\",\"action\":\"skip\"}\n",
		     "1: step 'api': 'stage' must be at most 100000");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"api\"}\n",
		     "1: step 'api': 'action' is missing");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"api\",\"action\":\"run\"}\n",
		     "1: step 'api': 'action' must be 'deploy' or 'skip'");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"api\",\"action\":\"deploy\"}\n",
		     "1: step 'api': 'deploy' is missing: action 'deploy' needs the command");
	expect_error("{\"type\":\"plan\",\"version\":1}\n\n" STEP ",\"timeout_ms\":-5}\n",
		     "3: step 'api': 'timeout_ms' must be a non-negative integer");
	expect_error(STEP ",\"timeout_ms\":1.5}\n",
		     "1: step 'api': 'timeout_ms' must be a non-negative integer");
	expect_error(STEP ",\"timeout_ms\":99999999999999}\n",
		     "1: step 'api': 'timeout_ms' must be at most 31622400000");
	expect_error(STEP ",\"retries\":\"2\"}\n",
		     "1: step 'api': 'retries' must be a non-negative integer");
	expect_error(STEP ",\"retries\":1001}\n", "1: step 'api': 'retries' must be at most 1000");
	expect_error(STEP ",\"batch\":0}\n", "1: step 'api': 'batch' must be a positive integer");
	expect_error(STEP ",\"reason\":5}\n", "1: step 'api': 'reason' must be a string");
	expect_error(STEP ",\"digest\":\"\"}\n", "1: step 'api': 'digest' must be a non-empty string");
	expect_error(STEP ",\"strategy\":\"blue-green\"}\n",
		     "1: step 'api': 'strategy' must be one of rolling, all_at_once, blue_green, canary");
	expect_error(STEP ",\"rollback_on_failure\":\"yes\"}\n",
		     "1: step 'api': 'rollback_on_failure' must be true or false");

	/* Commands. */
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"api\",\"action\":\"deploy\",\"deploy\":[]}\n",
		     "1: step 'api': 'deploy' must be a command: a non-empty list of strings, or a string for /bin/sh -c");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"api\",\"action\":\"deploy\",\"deploy\":{}}\n",
		     "1: step 'api': 'deploy' must be a command: a non-empty list of strings, or a string for /bin/sh -c");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"api\",\"action\":\"deploy\",\"deploy\":\"\"}\n",
		     "1: step 'api': 'deploy' is an empty command");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"api\",\"action\":\"deploy\",\"deploy\":[\"x\",1]}\n",
		     "1: step 'api': 'deploy' word 2 is not a string");
	expect_error("{\"type\":\"step\",\"stage\":0,\"service\":\"api\",\"action\":\"deploy\",\"deploy\":[\"\"]}\n",
		     "1: step 'api': 'deploy' starts with an empty program name");
	expect_error(STEP ",\"rollback\":5}\n",
		     "1: step 'api': 'rollback' must be a command: a non-empty list of strings, or a string for /bin/sh -c");

	/* Names. */
	expect_error(STEP ",\"targets\":[]}\n",
		     "1: step 'api': 'targets' is empty: list at least one, or leave it out");
	expect_error(STEP ",\"targets\":\"h1\"}\n", "1: step 'api': 'targets' must be a list of strings");
	expect_error(STEP ",\"targets\":[\"h1\",2]}\n", "1: step 'api': 'targets' must be a list of strings");
	expect_error(STEP ",\"targets\":[\"h1;rm\"]}\n",
		     "1: step 'api': 'targets' item 'h1;rm' is not a target name ([A-Za-z0-9_.:@%+=,/-])");
	expect_error(STEP ",\"targets\":[\"h1\",\"h 2\"]}\n",
		     "1: step 'api': 'targets' item 'h 2' is not a target name ([A-Za-z0-9_.:@%+=,/-])");
	expect_error(STEP ",\"targets\":[\"h1\",\"h1\"]}\n", "1: step 'api': target 'h1' is listed twice");
	expect_error(STEP ",\"depends_on\":[\"db\",\"api\"]}\n",
		     "1: step 'api': 'depends_on' names the service itself");
	expect_error(STEP ",\"depends_on\":[\"d b\"]}\n",
		     "1: step 'api': 'depends_on' item 'd b' is not a service name ([A-Za-z0-9_.-])");
	expect_error(STEP ",\"secrets\":[\"A-B\"]}\n",
		     "1: step 'api': 'secrets' item 'A-B' is not an environment variable name");
	expect_error(STEP ",\"inputs\":\"x\"}\n", "1: step 'api': 'inputs' must be a list of strings");
	expect_error(STEP ",\"env\":[]}\n", "1: step 'api': 'env' must be an object of strings");
	expect_error(STEP ",\"env\":{\"1A\":\"x\"}}\n",
		     "1: step 'api': 'env' name '1A' is not a valid environment variable name");
	expect_error(STEP ",\"env\":{\"A\":1}}\n", "1: step 'api': 'env' value of A must be a string");

	/* Health. */
	expect_error(STEP ",\"health\":\"x\"}\n",
		     "1: step 'api': 'health' must be an object with 'http' or 'cmd'");
	expect_error(STEP ",\"health\":{}}\n",
		     "1: step 'api': 'health' needs exactly one of 'http' or 'cmd'");
	expect_error(STEP ",\"health\":{\"http\":\"u\",\"cmd\":[\"c\"]}}\n",
		     "1: step 'api': 'health' needs exactly one of 'http' or 'cmd'");
	expect_error(STEP ",\"health\":{\"http\":\"\"}}\n",
		     "1: step 'api': 'health.http' must be a non-empty string");
	expect_error(STEP ",\"health\":{\"http\":\"u\",\"expect\":700}}\n",
		     "1: step 'api': 'health.expect' must be an HTTP status from 100 to 599");
	expect_error(STEP ",\"health\":{\"http\":\"u\",\"expect\":99}}\n",
		     "1: step 'api': 'health.expect' must be an HTTP status from 100 to 599");
	expect_error(STEP ",\"health\":{\"http\":\"u\",\"body\":[]}}\n",
		     "1: step 'api': 'health.body' must be a string");
	expect_error(STEP ",\"health\":{\"cmd\":[\"c\"],\"expect\":200}}\n",
		     "1: step 'api': 'health.expect' applies only to 'http' checks");
	expect_error(STEP ",\"health\":{\"cmd\":[]}}\n",
		     "1: step 'api': 'health.cmd' must be a command: a non-empty list of strings, or a string for /bin/sh -c");
	expect_error(STEP ",\"health\":{\"cmd\":\"c\",\"retries\":-1}}\n",
		     "1: step 'api': 'health.retries' must be a non-negative integer");
	expect_error(STEP ",\"health\":{\"cmd\":\"c\",\"interval_ms\":null}}\n",
		     "1: step 'api': 'health.interval_ms' must be a non-negative integer");

	/* Strategies. */
	expect_error(STEP ",\"strategy\":\"canary\",\"switch\":[\"s\"]}\n",
		     "1: step 'api': strategy 'canary' needs 'canary' with its steps");
	expect_error(STEP ",\"strategy\":\"canary\",\"canary\":{\"steps\":[50,100]}}\n",
		     "1: step 'api': strategy 'canary' needs 'switch', the command that sets the traffic weight");
	expect_error(STEP ",\"strategy\":\"blue_green\"}\n",
		     "1: step 'api': strategy 'blue_green' needs 'switch', the command that moves traffic");
	expect_error(STEP ",\"canary\":{\"steps\":[100]}}\n",
		     "1: step 'api': 'canary' applies only to strategy 'canary', not 'rolling'");
	expect_error(STEP ",\"strategy\":\"all_at_once\",\"batch\":2}\n",
		     "1: step 'api': 'batch' applies only to strategy 'rolling', not 'all_at_once'");
	expect_error(STEP ",\"strategy\":\"canary\",\"switch\":[\"s\"],\"canary\":[]}\n",
		     "1: step 'api': 'canary' must be an object with 'steps'");
	expect_error(STEP ",\"strategy\":\"canary\",\"switch\":[\"s\"],\"canary\":{}}\n",
		     "1: step 'api': 'canary' needs 'steps', such as [10, 25, 50, 100]");
	expect_error(STEP ",\"strategy\":\"canary\",\"switch\":[\"s\"],\"canary\":{\"steps\":[]}}\n",
		     "1: step 'api': 'canary.steps' must be a non-empty list of percentages");
	expect_error(STEP ",\"strategy\":\"canary\",\"switch\":[\"s\"],\"canary\":{\"steps\":[10,5,100]}}\n",
		     "1: step 'api': 'canary.steps' must be increasing percentages from 1 to 100");
	expect_error(STEP ",\"strategy\":\"canary\",\"switch\":[\"s\"],\"canary\":{\"steps\":[0,100]}}\n",
		     "1: step 'api': 'canary.steps' must be increasing percentages from 1 to 100");
	expect_error(STEP ",\"strategy\":\"canary\",\"switch\":[\"s\"],\"canary\":{\"steps\":[50,101]}}\n",
		     "1: step 'api': 'canary.steps' must be increasing percentages from 1 to 100");
	expect_error(STEP ",\"strategy\":\"canary\",\"switch\":[\"s\"],\"canary\":{\"steps\":[10,50]}}\n",
		     "1: step 'api': 'canary.steps' must end at 100, so the release completes");
	expect_error(STEP ",\"strategy\":\"canary\",\"switch\":[\"s\"],\"canary\":{\"steps\":[100],\"gate\":7}}\n",
		     "1: step 'api': 'canary.gate' must be a command: a non-empty list of strings, or a string for /bin/sh -c");
	expect_error(STEP ",\"monitor\":5}\n", "1: step 'api': 'monitor' must be an object with 'duration_ms'");
	expect_error(STEP ",\"monitor\":{}}\n", "1: step 'api': 'monitor' needs 'duration_ms'");
	expect_error(STEP ",\"monitor\":{\"duration_ms\":1000,\"interval_ms\":0}}\n",
		     "1: step 'api': 'monitor' needs 0 < interval_ms <= max_interval_ms");
	expect_error(STEP ",\"monitor\":{\"duration_ms\":1000,\"interval_ms\":70000}}\n",
		     "1: step 'api': 'monitor' needs 0 < interval_ms <= max_interval_ms");

	/* The plan as a whole. */
	expect_error("{\"type\":\"plan\",\"version\":2}\n" STEP "}\n",
		     "1: plan version 2 is not supported (code-deploy reads version 1)");
	expect_error("{\"type\":\"plan\",\"version\":\"1\"}\n" STEP "}\n",
		     "1: plan record: 'version' must be an integer");
	expect_error("{\"type\":\"plan\"}\n" STEP "}\n", "1: plan record has no 'version'");
	expect_error("{\"type\":\"plan\",\"version\":1,\"parallel\":-1}\n" STEP "}\n",
		     "1: plan record: 'parallel' must be a non-negative integer of at most 100000");
	expect_error("{\"type\":\"plan\",\"version\":1,\"manifest\":7}\n" STEP "}\n",
		     "1: plan record: 'manifest' must be a string");
	expect_error("{\"type\":\"plan\",\"version\":1}\n" STEP "}\n{\"type\":\"plan\",\"version\":1}\n",
		     "3: a second plan record (the first is on line 1)");
	expect_error(STEP "}\n{\"type\":\"x\"}\n{\"type\":\"step\",\"stage\":1,\"service\":\"api\",\"action\":\"skip\"}\n",
		     "3: step 'api' repeats the step on line 1 (one step per service)");
	expect_error(STEP "}\n{\"type\":\"step\",}\n", "2:16: invalid JSON: string or '}' expected near '}'");
}

static void
test_no_steps(void)
{
	struct deploy_plan p;
	char path[4200], want[8400];
	const char *err;

	is_int(read_text("empty.ndjson", "", false, &p, &err, path, sizeof(path)),
	       -CODE_EXIT_DATAERR, "an empty plan is bad data");
	snprintf(want, sizeof(want), "code-deploy: no step records in %s\n", path);
	is_str(err, want, "saying there is no step");
	is_int(read_text("plan-only.ndjson", "{\"type\":\"plan\",\"version\":1}\n{\"type\":\"event\"}\n",
			 false, &p, &err, path, sizeof(path)),
	       -CODE_EXIT_DATAERR, "a plan record alone is bad data too");
	snprintf(want, sizeof(want), "code-deploy: no step records in %s\n", path);
	is_str(err, want, "with the same message");

	tap_path(path, sizeof(path), "missing.ndjson");
	tap_capture_begin();
	is_int(plan_read(path, NULL, &p), -CODE_EXIT_NOINPUT, "a missing plan cannot be opened");
	err = tap_capture_end();
	ok(strstr(err, "missing.ndjson") != NULL, "naming it");
}

static void
test_defaults(void)
{
	static const char text[] = STEP "}\n";
	const struct deploy_service *s;
	struct deploy_plan p;
	struct hasher *h;
	char path[4200], hex[HASH_HEX_SIZE];
	const char *err;

	is_int(read_text("minimal.ndjson", text, false, &p, &err, path, sizeof(path)), 0,
	       "a step with only the required fields reads");
	is_str(err, "", "quietly");
	s = &p.services[0];
	is_int((long long)s->n_targets, 1, "the target defaults to");
	is_str(s->targets[0], "api", "the service name");
	is_int(s->strategy, STRATEGY_ROLLING, "strategy rolling");
	is_int(s->batch, 1, "batch 1");
	is_int(s->timeout_ms, 300000, "timeout 5 min");
	is_int(s->retries, 2, "retries 2");
	ok(s->rollback_on_failure, "rollback on failure");
	is_str(s->reason, "", "reason empty");
	ok(s->digest == NULL && s->config_digest == NULL && s->inputs_digest == NULL, "no digests");
	is_int(s->health.kind, HEALTH_NONE, "no health check");
	is_int(s->health.expect, 200, "expect 200");
	is_int(s->health.timeout_ms, 5000, "health timeout 5 s");
	is_int(s->health.interval_ms, 2000, "health interval 2 s");
	is_int(s->health.retries, 10, "health retries 10");
	is_int(s->health.start_period_ms, 0, "no start period");
	ok(!s->monitor.set, "no monitor");
	is_int(s->monitor.interval_ms, 5000, "monitor interval 5 s");
	is_int(s->monitor.max_interval_ms, 60000, "monitor max interval 60 s");
	ok(!s->has_canary && s->canary.pause_ms == 0, "no canary");
	ok(!command_is_set(&s->rollback_cmd) && !command_is_set(&s->switch_cmd),
	   "no rollback, no switch");
	ok(s->n_env == 0 && s->n_secrets == 0, "no env, no secrets");
	ok(p.manifest == NULL, "no manifest without a plan record");
	is_int(p.parallel, 0, "parallel 0");
	is_int(p.n_stages, 1, "one stage");
	h = hasher_new();
	hasher_update(h, "api", 4);
	hasher_update(h, "", 1);
	hasher_hex(h, hex);
	hasher_free(h);
	is_str(p.digest, hex, "the digest hashes the steps' names and digests");
	plan_release(&p);

	is_int(read_text("health.ndjson",
			 STEP ",\"health\":{\"http\":\"http://{target}/\"},\"monitor\":{\"duration_ms\":0}}\n",
			 false, &p, &err, path, sizeof(path)), 0,
	       "an http check with only its URL");
	s = &p.services[0];
	is_int(s->health.kind, HEALTH_HTTP, "is HTTP");
	is_int(s->health.expect, 200, "expecting 200");
	is_int(s->health.retries, 10, "retried 10 times");
	ok(s->monitor.set && s->monitor.duration_ms == 0 && s->monitor.interval_ms == 5000 &&
	   s->monitor.max_interval_ms == 60000, "a monitor with only its duration");
	plan_release(&p);

	is_int(read_text("skip.ndjson",
			 "{\"type\":\"step\",\"stage\":0,\"service\":\"off\",\"action\":\"skip\",\"rollback_on_failure\":false}\n",
			 false, &p, &err, path, sizeof(path)), 0,
	       "a skipped step needs no deploy command");
	s = &p.services[0];
	ok(!s->deploy && !command_is_set(&s->deploy_cmd), "and has none");
	ok(!s->rollback_on_failure, "rollback_on_failure false is kept");
	plan_release(&p);
}

static void
test_ordering_and_digest(void)
{
	static const char text[] =
		"{\"type\":\"step\",\"stage\":1,\"service\":\"b\",\"action\":\"skip\",\"digest\":\"db\"}\n"
		"{\"type\":\"step\",\"stage\":0,\"service\":\"a\",\"action\":\"skip\",\"digest\":\"da\"}\n"
		"{\"type\":\"step\",\"stage\":3,\"service\":\"c\",\"action\":\"skip\"}\n"
		"{\"type\":\"step\",\"stage\":1,\"service\":\"a.2\",\"action\":\"skip\",\"digest\":\"dd\"}\n"
		"{\"type\":\"step\",\"stage\":0,\"service\":\"e-1\",\"action\":\"skip\",\"digest\":\"de\"}\n"
		"{\"type\":\"summary\",\"status\":\"succeeded\"}\n";
	struct deploy_plan p;
	struct hasher *h;
	char path[4200], hex[HASH_HEX_SIZE];
	const char *err;

	is_int(read_text("order.ndjson", text, false, &p, &err, path, sizeof(path)), 0,
	       "steps out of stage order read");
	ok(p.n_services == 5 && strcmp(p.services[0].name, "a") == 0 &&
	   strcmp(p.services[1].name, "e-1") == 0 && strcmp(p.services[2].name, "b") == 0 &&
	   strcmp(p.services[3].name, "a.2") == 0 && strcmp(p.services[4].name, "c") == 0,
	   "sorted by stage, keeping the file's order within a stage");
	is_int(p.n_stages, 4, "the highest stage + 1 stages");
	is_int((long long)p.other_records, 1, "the summary record is counted and skipped");
	h = hasher_new();
	hasher_update(h, "a\0da", 5);
	hasher_update(h, "e-1\0de", 7);
	hasher_update(h, "b\0db", 5);
	hasher_update(h, "a.2\0dd", 7);
	hasher_update(h, "c\0", 3);
	hasher_hex(h, hex);
	hasher_free(h);
	is_str(p.digest, hex, "the digest hashes the digests in stage order");
	plan_release(&p);
}

static void
test_verbose(void)
{
	static const char text[] =
		"{\"type\":\"plan\",\"version\":1,\"future\":true}\n"
		STEP ",\"zzz\":1,\"health\":{\"cmd\":\"c\",\"yyy\":[]}}\n"
		"{\"type\":\"step\",\"stage\":0,\"service\":\"b\",\"action\":\"skip\",\"zzz\":2,\"q\\u0007\":0,"
		"\"extra\":{\"ports\":[]}}\n"
		"{\"type\":\"event\"}\n{\"type\":\"event\"}\n";
	struct deploy_plan p;
	char path[4200], want[20000];
	const char *err;

	diag_set_level(DIAG_VERBOSE);
	is_int(read_text("verbose.ndjson", text, false, &p, &err, path, sizeof(path)), 0,
	       "unknown fields are no error");
	diag_set_level(DIAG_NORMAL);
	snprintf(want, sizeof(want),
		 "code-deploy: %s:2: step 'api': ignoring unknown field 'health.yyy'\n"
		 "code-deploy: %s:2: step 'api': ignoring unknown field 'zzz'\n"
		 "code-deploy: %s:3: step 'b': ignoring unknown field 'q?'\n"
		 "code-deploy: %s: skipped 2 records of other types\n",
		 path, path, path, path);
	is_str(err, want, "said under -v once per field name, with the other records");
	is_int((long long)p.other_records, 2, "two other records");
	plan_release(&p);

	is_int(read_text("verbose.ndjson", text, false, &p, &err, path, sizeof(path)), 0,
	       "and without -v");
	is_str(err, "", "nothing is said");
	plan_release(&p);
}

static void
test_skip_invalid(void)
{
	static const char text[] =
		STEP "}\n"
		"{\"type\":\"step\",\n"
		"{\"type\":\"step\",\"stage\":0,\"service\":\"b\",\"action\":\"skip\",\"timeout_ms\":-1}\n"
		"{\"type\":\"step\",\"stage\":0,\"service\":\"c\",\"action\":\"skip\"}\n";
	struct deploy_plan p;
	char path[4200], want[20000];
	const char *err;

	is_int(read_text("skip.ndjson", text, true, &p, &err, path, sizeof(path)), 0,
	       "skip_invalid reads past a bad line and a bad step");
	is_int((long long)p.n_services, 2, "two good steps");
	ok(p.n_services == 2 && strcmp(p.services[1].name, "c") == 0, "the last one is c");
	is_int((long long)p.skipped, 2, "two skipped");
	snprintf(want, sizeof(want),
		 "code-deploy: %s:3: warning: skipped step 'b': 'timeout_ms' must be a non-negative integer\n"
		 "code-deploy: %s: warning: skipped 1 invalid line\n", path, path);
	is_str(err, want, "the bad step is warned about, the bad line counted");
	plan_release(&p);

	is_int(read_text("skip.ndjson", text, false, &p, &err, path, sizeof(path)),
	       -CODE_EXIT_DATAERR, "without it the bad line stops the read");
	ok(strstr(err, ":2:") != NULL, "at line 2");

	is_int(read_text("skip-all.ndjson",
			 "{\"type\":\"step\",\"stage\":0,\"service\":\"b\",\"action\":\"deploy\"}\n",
			 true, &p, &err, path, sizeof(path)),
	       -CODE_EXIT_DATAERR, "skipping every step leaves no step: an error");
	ok(strstr(err, "no step records") != NULL, "saying so");
}

static void
test_zstd(void)
{
	struct plan_read_options opts = { 0, false };
	struct deploy_plan plain, packed;
	char path[4200], zpath[4200];
	FILE *f;
	char *data, *z;
	size_t len, bound, zlen;

	fixture(path, sizeof(path), "sample.ndjson");
	f = fopen(path, "rb");
	data = malloc(1 << 16);
	len = f ? fread(data, 1, 1 << 16, f) : 0;
	if (f)
		fclose(f);
	bound = ZSTD_compressBound(len);
	z = malloc(bound);
	zlen = ZSTD_compress(z, bound, data, len, 3);
	ok(!ZSTD_isError(zlen), "the sample compresses");
	tap_write_file(tap_path(zpath, sizeof(zpath), "sample.ndjson.zst"), z, zlen);
	is_int(plan_read(path, &opts, &plain), 0, "the plain sample reads");
	is_int(plan_read(zpath, &opts, &packed), 0, "and compressed with zstd");
	is_int((long long)packed.n_services, (long long)plain.n_services, "to as many services");
	is_str(packed.digest, plain.digest, "with the same digest");
	is_int((long long)packed.services[4].line, 6, "and the same line numbers");
	plan_release(&plain);
	plan_release(&packed);
	free(data);
	free(z);
}

static void
test_expand(void)
{
	struct deploy_command argv_cmd = { NULL, NULL }, sh = { NULL, NULL }, none = { NULL, NULL };
	char *words[] = { "./lb.sh", "{service}:{target}", "w={weight}%", "{target}{target}",
			  "{{target}}", "{targets}", "{weight", NULL };
	char **out;
	char *text;

	argv_cmd.argv = words;
	out = command_expand(&argv_cmd, "api", "h1", "25");
	text = command_describe(out);
	is_str(text, "./lb.sh api:h1 w=25% h1h1 '{h1}' '{targets}' '{weight'",
	       "every placeholder in every word is replaced");
	free(text);
	command_argv_free(out);

	out = command_expand(&argv_cmd, "{target}", "h1", NULL);
	is_str(out[1], "{target}:h1", "a value is not expanded again");
	is_str(out[2], "w={weight}%", "a NULL value leaves its placeholder");
	command_argv_free(out);

	sh.shell = "deploy {service} --to {target} && echo '{weight}'";
	out = command_expand(&sh, "web", "w1", "50");
	ok(out && out[3] == NULL, "the shell form gives three words");
	is_str(out[0], "/bin/sh", "/bin/sh");
	is_str(out[1], "-c", "-c");
	is_str(out[2], "deploy web --to w1 && echo '50'", "and the expanded string");
	command_argv_free(out);

	ok(command_expand(&none, "a", "b", "c") == NULL, "an unset command expands to NULL");
	ok(!command_is_set(&none) && command_is_set(&sh) && command_is_set(&argv_cmd),
	   "command_is_set");
	command_argv_free(NULL);
}

static void
test_describe(void)
{
	char *quoted[] = { "deploy.sh", "--host=db1", "a b", "it's", "", "x,y@z%+1/2:3",
			   "$HOME", "tab\there", NULL };
	char *empty[] = { NULL };
	char *text;

	text = command_describe(quoted);
	is_str(text, "deploy.sh --host=db1 'a b' 'it'\\''s' '' x,y@z%+1/2:3 '$HOME' 'tab\there'",
	       "plain words bare, others single-quoted with ' escaped");
	free(text);
	text = command_describe(empty);
	is_str(text, "", "no words, an empty string");
	free(text);
	is_str(strategy_name(STRATEGY_ROLLING), "rolling", "rolling");
	is_str(strategy_name(STRATEGY_ALL_AT_ONCE), "all_at_once", "all_at_once");
	is_str(strategy_name(STRATEGY_BLUE_GREEN), "blue_green", "blue_green");
	is_str(strategy_name(STRATEGY_CANARY), "canary", "canary");
}

/* A small deterministic generator, so a failing mutation can be replayed. */
static uint32_t
next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*state >> 33);
}

/* Where a value sits: an object member or an array element. */
struct slot {
	json_t *parent;
	const char *key;
	size_t index;
};

static void
collect_slots(json_t *v, struct slot *slots, size_t *n, size_t max)
{
	const char *key;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, child) {
			if (*n < max)
				slots[(*n)++] = (struct slot){ v, key, 0 };
			collect_slots(child, slots, n, max);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (*n < max)
				slots[(*n)++] = (struct slot){ v, NULL, i };
			collect_slots(child, slots, n, max);
		}
	}
}

static json_t *
random_value(uint64_t *state)
{
	switch (next_random(state) % 12) {
	case 0: return json_null();
	case 1: return json_true();
	case 2: return json_integer(-1);
	case 3: return json_integer(0);
	case 4: return json_real(1.5);
	case 5: return json_string("");
	case 6: return json_string("x y");
	case 7: return json_array();
	case 8: return json_object();
	case 9: return json_pack("[i]", 1);
	case 10: return json_integer(INT64_MAX);
	default: return json_pack("{s:s}", "http", "u");
	}
}

/* Deletes or replaces one random value inside rec. */
static void
mutate(json_t *rec, uint64_t *state)
{
	struct slot slots[256];
	struct slot *s;
	size_t n = 0;

	collect_slots(rec, slots, &n, 256);
	if (n == 0)
		return;
	s = &slots[next_random(state) % n];
	if (next_random(state) % 2 == 0) {
		if (s->key)
			json_object_del(s->parent, s->key);
		else
			json_array_remove(s->parent, s->index);
	} else if (s->key) {
		json_object_set_new(s->parent, s->key, random_value(state));
	} else {
		json_array_set_new(s->parent, s->index, random_value(state));
	}
}

/* What every accepted step promises the engine. */
static bool
service_sane(const struct deploy_service *s)
{
	size_t i;

	if (s->name == NULL || s->reason == NULL || s->n_targets == 0 || s->targets == NULL ||
	    s->depends_on == NULL || s->batch == 0)
		return false;
	if (s->deploy && !command_is_set(&s->deploy_cmd))
		return false;
	if (s->strategy == STRATEGY_CANARY &&
	    (!s->has_canary || !command_is_set(&s->switch_cmd)))
		return false;
	if (s->has_canary && (s->canary.n_steps == 0 ||
			      s->canary.steps[s->canary.n_steps - 1] != 100))
		return false;
	if (s->health.kind == HEALTH_HTTP && s->health.url == NULL)
		return false;
	if (s->health.kind == HEALTH_CMD && !command_is_set(&s->health.cmd))
		return false;
	for (i = 0; i < s->n_targets; i++)
		if (s->targets[i] == NULL || s->targets[i][0] == '\0')
			return false;
	return true;
}

static void
test_mutations(void)
{
	struct plan_read_options opts = { 0, false };
	static const char *const bases[] = { "api", "web", "db" };
	struct deploy_plan p;
	json_t *originals[3];
	uint64_t state = 20261123;
	unsigned accepted = 0, refused = 0, bad = 0, unplaced = 0, insane = 0;
	char path[4200];
	size_t i;
	int round;

	is_int(plan_read(fixture(path, sizeof(path), "sample.ndjson"), &opts, &p), 0,
	       "the sample reads for the mutations");
	{
		FILE *f = fopen(path, "r");
		char line[8192];

		while (f && fgets(line, sizeof(line), f)) {
			json_t *rec = json_loads(line, 0, NULL);

			for (i = 0; i < 3; i++)
				if (rec && strcmp(json_string_value(json_object_get(rec, "service")) ?
						  json_string_value(json_object_get(rec, "service")) : "",
						  bases[i]) == 0)
					originals[i] = json_incref(rec);
			json_decref(rec);
		}
		if (f)
			fclose(f);
	}
	plan_release(&p);

	for (round = 0; round < 200; round++) {
		json_t *rec = json_deep_copy(originals[round % 3]);
		struct deploy_service s;
		unsigned k, times = 1 + next_random(&state) % 3;
		const char *err;
		int ret;

		for (k = 0; k < times; k++)
			mutate(rec, &state);
		tap_capture_begin();
		ret = plan_step_from_json(rec, "m.ndjson", 7, &s);
		err = tap_capture_end();
		if (ret == 0) {
			accepted++;
			if (!service_sane(&s) || s.line != 7)
				insane++;
			plan_service_release(&s);
		} else if (ret == -CODE_EXIT_DATAERR) {
			refused++;
			if (strncmp(err, "code-deploy: m.ndjson:7: step ", 30) != 0) {
				unplaced++;
				tap_diag("round %d: %s", round, err);
			}
			if (s.name != NULL || s.targets != NULL)
				bad++;
		} else {
			bad++;
		}
		json_decref(rec);
	}
	for (i = 0; i < 3; i++)
		json_decref(originals[i]);
	is_int(bad, 0, "200 mutated records give 0 or 65, releasing what they built");
	is_int(unplaced, 0, "every refusal names the file, line and step");
	is_int(insane, 0, "every accepted record keeps the promises of plan.h");
	ok(accepted > 0 && refused > 0, "some accepted (%u), some refused (%u)", accepted, refused);
}

int
main(void)
{
	diag_setup("code-deploy");
	test_sample();
	test_deploy_code();
	test_errors();
	test_no_steps();
	test_defaults();
	test_ordering_and_digest();
	test_verbose();
	test_skip_invalid();
	test_zstd();
	test_expand();
	test_describe();
	test_mutations();
	return tap_done();
}
