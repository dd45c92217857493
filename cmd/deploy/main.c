/* main.c: code-deploy: run a plan from code-plan, with rollback, resume and breakers. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/deploy/httpcheck.h"
#include "cmd/deploy/plan.h"
#include "cmd/deploy/run.h"
#include "libcommon/cli.h"
#include "libcommon/diag.h"
#include "libcommon/dirs.h"
#include "libcommon/exitcodes.h"
#include "libcommon/output.h"
#include "libcommon/strbuf.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

enum {
	OPT_PARALLEL = 'p',
	OPT_DRY_RUN = 'n',
	OPT_STATE = CLI_LONG_ONLY,
	OPT_JOURNAL,
	OPT_RESUME,
	OPT_LOG_DIR,
	OPT_KILL_AFTER,
	OPT_RETRY_DELAY,
	OPT_SKIP_INVALID
};

static const struct cli_option deploy_options[] = {
	{ OPT_PARALLEL, "parallel", CLI_REQUIRED_ARG, "N",
	  "services deployed at once inside a stage (default: the plan's, else 5)" },
	{ OPT_STATE, "state", CLI_REQUIRED_ARG, "FILE",
	  "the state file: deployed digests, written on success, locked while running\n"
	  "(default $CODE_STATE_DIR/state.json)" },
	{ OPT_JOURNAL, "journal", CLI_REQUIRED_ARG, "FILE",
	  "the journal of this run's events (default: the state file + .journal)" },
	{ OPT_RESUME, "resume", CLI_NO_ARG, NULL,
	  "continue the journal's unfinished run: skip what completed, redo what was in flight" },
	{ OPT_DRY_RUN, "dry-run", CLI_NO_ARG, NULL, "print the commands that would run, run nothing" },
	{ OPT_LOG_DIR, "log-dir", CLI_REQUIRED_ARG, "DIR",
	  "command output goes to DIR/RUN/SERVICE.TARGET.PHASE.log\n"
	  "(default $CODE_STATE_DIR/logs)" },
	{ OPT_KILL_AFTER, "kill-after", CLI_REQUIRED_ARG, "DUR",
	  "after a timeout, SIGKILL a command's process group DUR after SIGTERM (default 10s)" },
	{ OPT_RETRY_DELAY, "retry-delay", CLI_REQUIRED_ARG, "DUR",
	  "backoff base between attempts of a failed command (default 1s)" },
	{ OPT_SKIP_INVALID, "skip-invalid", CLI_NO_ARG, NULL,
	  "skip malformed plan lines and bad step records instead of stopping" },
	CLI_COMMON_OPTIONS
};

static const char *const deploy_usage[] = {
	"[--parallel N] [--state FILE] [--journal FILE] [--resume] [--dry-run] [--log-dir DIR] [PLAN.ndjson|-]",
	NULL
};

static const struct cli_spec deploy_spec = {
	.name = "code-deploy",
	.usage = deploy_usage,
	.summary = "Run a plan from code-plan: stages in order, services in parallel, rolling,\n"
		   "blue-green and canary strategies, health checks, cascade rollback on failure,\n"
		   "and a journal to resume from after a crash.",
	.options = deploy_options,
	.n_options = sizeof(deploy_options) / sizeof(deploy_options[0]),
	.epilogue = "Exit status: 0 deployed, 1 failed and rolled back, 3 a rollback failed (look!),\n"
		    "64 usage, 65 bad plan, 66 unreadable plan, 69 circuit open, 74 I/O error,\n"
		    "75 another run holds the lock, 130 interrupted.",
};

struct deploy_args {
	struct deploy_options o;
	const char *plan_path;
	bool skip_invalid;
	char *owned[4];
};

static void
parse_args(int argc, char **argv, struct deploy_args *a)
{
	struct cli_parser p;
	int c, first;

	cli_parser_init(&p, &deploy_spec, argc, argv);
	while ((c = cli_next(&p)) != -1) {
		switch (c) {
		case OPT_PARALLEL:
			a->o.parallel = (unsigned)cli_arg_ulong(&deploy_spec, "--parallel", p.arg, 1, 1024);
			break;
		case OPT_STATE: a->o.state_path = p.arg; break;
		case OPT_JOURNAL: a->o.journal_path = p.arg; break;
		case OPT_RESUME: a->o.resume = true; break;
		case OPT_DRY_RUN: a->o.dry_run = true; break;
		case OPT_LOG_DIR: a->o.log_root = p.arg; break;
		case OPT_KILL_AFTER:
			a->o.kill_after_ms = (int64_t)cli_arg_duration_ms(&deploy_spec, "--kill-after", p.arg);
			if (a->o.kill_after_ms <= 0)
				cli_usage_error(&deploy_spec, "--kill-after must be more than 0");
			break;
		case OPT_RETRY_DELAY:
			a->o.retry_delay_ms = (int64_t)cli_arg_duration_ms(&deploy_spec, "--retry-delay",
									  p.arg);
			break;
		case OPT_SKIP_INVALID: a->skip_invalid = true; break;
		default:
			cli_usage_error(&deploy_spec, "unhandled option");
		}
	}
	if (p.level != 0)
		diag_set_level(p.level);
	first = cli_operand_index(&p);
	if (argc - first > 1)
		cli_usage_error(&deploy_spec, "one plan at a time (got %d)", argc - first);
	a->plan_path = argc - first == 1 ? argv[first] : "-";
	if (a->o.resume && a->o.dry_run)
		cli_usage_error(&deploy_spec, "--resume and --dry-run do not go together");
	a->o.progress = cli_want_colour(STDERR_FILENO, p.level);
	cli_parser_release(&p);
}

/* Fills in the state directory's defaults; 0 or the negated exit code. */
static int
default_paths(struct deploy_args *a)
{
	struct strbuf sb = STRBUF_INIT;
	char *dir = NULL;
	int ret;

	if ((ret = dirs_state(&dir)) < 0)
		return ret;
	if ((ret = dirs_check_private(dir)) < 0) {
		free(dir);
		return ret;
	}
	if (a->o.state_path == NULL) {
		strbuf_addf(&sb, "%s/state.json", dir);
		a->o.state_path = a->owned[0] = strbuf_detach(&sb, NULL);
	}
	if (a->o.journal_path == NULL) {
		strbuf_addf(&sb, "%s.journal", a->o.state_path);
		a->o.journal_path = a->owned[1] = strbuf_detach(&sb, NULL);
	}
	if (a->o.log_root == NULL) {
		strbuf_addf(&sb, "%s/logs", dir);
		a->o.log_root = a->owned[2] = strbuf_detach(&sb, NULL);
	}
	strbuf_addf(&sb, "%s/breakers.json", dir);
	a->o.breakers_path = a->owned[3] = strbuf_detach(&sb, NULL);
	free(dir);
	return 0;
}

struct signal_watch {
	sigset_t set;
	int stop_write_fd;
};

/*
 * SIGINT and SIGTERM are blocked in every thread and taken here: the
 * first turns the stop switch on (children get SIGTERM, then SIGKILL);
 * SIGUSR1 from main ends the watch.
 */
static void *
signal_watch(void *arg)
{
	struct signal_watch *w = arg;
	bool stopping = false;

	for (;;) {
		int sig;

		if (sigwait(&w->set, &sig) != 0 || sig == SIGUSR1)
			break;
		if (!stopping) {
			diag_warn(NULL, "%s: stopping: no new commands; running ones get SIGTERM",
				  sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGTERM");
			if (write(w->stop_write_fd, "x", 1) < 0)
				_exit(CODE_EXIT_INTERRUPTED);
			stopping = true;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct deploy_args a;
	struct deploy_plan plan;
	struct plan_read_options ropts = { 0, false };
	struct signal_watch watch;
	pthread_t watcher;
	int stop_pipe[2] = { -1, -1 };
	int ret;

	diag_setup("code-deploy");
	memset(&a, 0, sizeof(a));
	memset(&plan, 0, sizeof(plan));
	a.o.kill_after_ms = 10000;
	a.o.retry_delay_ms = 1000;
	parse_args(argc, argv, &a);
	ropts.skip_invalid = a.skip_invalid;
	if ((ret = plan_read(a.plan_path, &ropts, &plan)) < 0)
		return code_exit_status(ret);
	if (!a.o.dry_run && (ret = default_paths(&a)) < 0)
		goto out_plan;
	if ((ret = httpcheck_global_init()) < 0)
		goto out_plan;
	if ((ret = output_open_fd(STDOUT_FILENO, &a.o.out)) < 0)
		goto out_curl;
	if (pipe(stop_pipe) < 0 || fcntl(stop_pipe[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(stop_pipe[1], F_SETFD, FD_CLOEXEC) < 0) {
		ret = diag_error_errno(CODE_EXIT_SOFTWARE, errno, NULL, "pipe");
		goto out_output;
	}
	a.o.stop_fd = stop_pipe[0];
	sigemptyset(&watch.set);
	sigaddset(&watch.set, SIGINT);
	sigaddset(&watch.set, SIGTERM);
	/* A closed terminal stops the run as cleanly as ^C does, so it can be resumed. */
	sigaddset(&watch.set, SIGHUP);
	sigaddset(&watch.set, SIGUSR1);
	watch.stop_write_fd = stop_pipe[1];
	pthread_sigmask(SIG_BLOCK, &watch.set, NULL);
	if (pthread_create(&watcher, NULL, signal_watch, &watch) != 0) {
		ret = diag_error(CODE_EXIT_SOFTWARE, NULL, "cannot start the signal thread");
		goto out_pipe;
	}
	ret = deploy_run(&a.o, &plan);
	pthread_kill(watcher, SIGUSR1);
	pthread_join(watcher, NULL);
out_pipe:
	close(stop_pipe[0]);
	close(stop_pipe[1]);
out_output:
	{
		int oret = output_close(a.o.out);

		if (ret == 0 && oret < 0)
			ret = oret;
	}
out_curl:
	httpcheck_global_cleanup();
out_plan:
	plan_release(&plan);
	for (size_t i = 0; i < sizeof(a.owned) / sizeof(a.owned[0]); i++)
		free(a.owned[i]);
	return code_exit_status(ret);
}
