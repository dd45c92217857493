/* fuzz-deploy-plan.c: libFuzzer target feeding arbitrary bytes to code-deploy's plan reader, as one step record and as a whole plan file. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/deploy/plan.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/hash.h"

/* Small, so the long-line path is hit too. */
#define FUZZ_MAX_LINE 4096

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fuzzer-only state: the scratch plan file, made once and rewritten per input. */
static char fuzz_path[] = "/tmp/fuzz-deploy-plan-XXXXXX";
static int fuzz_fd = -1;

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	diag_setup("fuzz-deploy-plan");
	/* -v paths too (unknown fields); run with -close_fd_mask=2 to hide them. */
	diag_set_level(DIAG_VERBOSE);
	fuzz_fd = mkstemp(fuzz_path);
	if (fuzz_fd < 0) {
		perror("mkstemp");
		abort();
	}
	atexit(fuzz_cleanup);
	return 0;
}

/* Expanding and describing a command must work on whatever was accepted. */
static void
fuzz_command(const struct deploy_command *c)
{
	char **argv;
	char *text;

	if (!command_is_set(c)) {
		assert(command_expand(c, "s", "t", "w") == NULL);
		return;
	}
	argv = command_expand(c, "{service}", "t{target}", NULL);
	assert(argv != NULL && argv[0] != NULL);
	text = command_describe(argv);
	assert(text != NULL);
	free(text);
	command_argv_free(argv);
}

static bool
fuzz_name_ok(const char *s, const char *extra)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return false;
	return true;
}

/* The promises plan.h makes about an accepted step. */
static void
fuzz_check_service(const struct deploy_service *s)
{
	size_t i;

	assert(s->name && fuzz_name_ok(s->name, "_.-"));
	assert(s->reason != NULL);
	assert(s->n_targets >= 1 && s->targets[s->n_targets] == NULL);
	for (i = 0; i < s->n_targets; i++)
		assert(fuzz_name_ok(s->targets[i], "_.:@%+=,/-"));
	assert(s->depends_on != NULL);
	for (i = 0; i < s->n_depends_on; i++)
		assert(fuzz_name_ok(s->depends_on[i], "_.-") &&
		       strcmp(s->depends_on[i], s->name) != 0);
	assert(s->batch >= 1);
	assert(!s->deploy || command_is_set(&s->deploy_cmd));
	assert(s->timeout_ms >= 0 && s->health.timeout_ms >= 0 &&
	       s->health.interval_ms >= 0 && s->health.start_period_ms >= 0);
	if (s->strategy == STRATEGY_CANARY)
		assert(s->has_canary && command_is_set(&s->switch_cmd));
	if (s->strategy == STRATEGY_BLUE_GREEN)
		assert(command_is_set(&s->switch_cmd));
	if (s->has_canary) {
		assert(s->strategy == STRATEGY_CANARY);
		assert(s->canary.n_steps >= 1 && s->canary.steps[s->canary.n_steps - 1] == 100);
		for (i = 0; i < s->canary.n_steps; i++)
			assert(s->canary.steps[i] >= 1 &&
			       (i == 0 || s->canary.steps[i] > s->canary.steps[i - 1]));
	}
	if (s->monitor.set)
		assert(s->monitor.interval_ms > 0 &&
		       s->monitor.interval_ms <= s->monitor.max_interval_ms);
	if (s->health.kind == HEALTH_HTTP)
		assert(s->health.url && s->health.url[0] != '\0' &&
		       s->health.expect >= 100 && s->health.expect <= 599);
	if (s->health.kind == HEALTH_CMD)
		assert(command_is_set(&s->health.cmd));
	for (i = 0; i < s->n_env; i++)
		assert(s->env[i].name && s->env[i].value);
	assert(strategy_name(s->strategy) != NULL);
	fuzz_command(&s->deploy_cmd);
	fuzz_command(&s->rollback_cmd);
	fuzz_command(&s->switch_cmd);
	fuzz_command(&s->health.cmd);
	fuzz_command(&s->canary.gate);
}

/* The bytes as one JSON value: the unit the plan is made of. */
static void
fuzz_step(const uint8_t *data, size_t size)
{
	struct deploy_service s;
	json_error_t err;
	json_t *rec;
	int ret;

	rec = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (rec == NULL)
		return;
	ret = plan_step_from_json(rec, "fuzz", 1, &s);
	assert(ret == 0 || ret == -CODE_EXIT_DATAERR);
	if (ret == 0) {
		assert(s.line == 1);
		fuzz_check_service(&s);
		plan_service_release(&s);
	}
	/* Released on error: nothing left behind. */
	assert(s.name == NULL && s.targets == NULL && s.deploy_cmd.argv == NULL);
	json_decref(rec);
}

/* The bytes as a plan file, strict and with skip_invalid. */
static void
fuzz_plan(bool skip_invalid)
{
	struct plan_read_options opts = { FUZZ_MAX_LINE, skip_invalid };
	struct deploy_plan p;
	unsigned highest = 0;
	size_t i;
	int ret;

	ret = plan_read(fuzz_path, &opts, &p);
	assert(ret == 0 || ret == -CODE_EXIT_DATAERR);
	if (ret < 0) {
		assert(p.services == NULL && p.n_services == 0 && p.digest == NULL);
		return;
	}
	assert(p.n_services >= 1 && p.digest != NULL && p.digest[0] != '\0');
	assert(skip_invalid || p.skipped == 0);
	for (i = 0; i < p.n_services; i++) {
		fuzz_check_service(&p.services[i]);
		if (i > 0) {
			assert(p.services[i - 1].stage <= p.services[i].stage);
			if (p.services[i - 1].stage == p.services[i].stage)
				assert(p.services[i - 1].line < p.services[i].line);
			assert(strcmp(p.services[i - 1].name, p.services[i].name) != 0);
		}
		if (p.services[i].stage > highest)
			highest = p.services[i].stage;
	}
	assert(p.n_stages == highest + 1);
	plan_release(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_step(data, size);
	if (ftruncate(fuzz_fd, 0) < 0 || pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
	fuzz_plan(false);
	fuzz_plan(true);
	return 0;
}
