/* proc.h: run deploy commands in their own process groups, with logs, timeouts and a stop switch. */
#ifndef DEPLOY_PROC_H
#define DEPLOY_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/redact.h"

#define PROC_TAIL_LINES 20
#define PROC_KILL_AFTER_MS 10000

/* One command to run. */
struct proc_spec {
	char *const *argv;          /* argv[0] searched in PATH (as execvp) */
	char *const *envp;          /* the whole environment; NULL: ours */
	const char *log_path;       /* stdout+stderr appended here (0600, created at the first
				       output: a silent command leaves no file); NULL: tail only */
	int64_t timeout_ms;         /* <= 0: none */
};

/* Shared by all commands of one run; read-only, so threads share it. */
struct proc_options {
	const struct redact *redact;    /* secrets masked in the log and the tail; may be NULL */
	int stop_fd;                    /* readable (never drained) = stop everything now; -1 none */
	int64_t kill_after_ms;          /* SIGTERM to SIGKILL; <= 0: PROC_KILL_AFTER_MS */
	unsigned tail_lines;            /* 0: PROC_TAIL_LINES */
};

enum proc_outcome {
	PROC_EXITED,        /* exit_status holds the code (0 = success) */
	PROC_SIGNALED,      /* killed by a signal we did not send */
	PROC_TIMEOUT,       /* ran past timeout_ms: we stopped it */
	PROC_STOPPED,       /* stop_fd became readable: we stopped it */
	PROC_SPAWN_FAILED   /* could not start: spawn_errno */
};

struct proc_result {
	enum proc_outcome outcome;
	int exit_status;        /* exit code; 128 + signal when killed; 127 spawn failure */
	int spawn_errno;
	int64_t duration_ms;
	char *tail;             /* last tail_lines lines of output, redacted, malloc'd ("" when none) */
	bool logged;            /* something was written to log_path */
};

/*
 * Runs the n commands at once and waits until each has ended. Each child
 * gets its own process group, stdin from /dev/null, and stdout+stderr
 * into one pipe that we read, redact and append to its log file and tail.
 *
 * A command ends when its own process exits: processes it left in the
 * background (a daemon it started) are not waited for, and whatever they
 * write after that is not read. A timeout or the stop switch sends
 * SIGTERM to the whole process group, then SIGKILL to the group
 * kill_after_ms later if the command has not exited by then (so a tree
 * that ignores SIGTERM still dies); once a command we stopped has exited,
 * what is left of its group gets SIGKILL at once. When the stop switch is
 * already on, nothing starts and every result is PROC_STOPPED.
 *
 * Returns 0 with every result filled (whatever the commands did), or
 * -CODE_EXIT_IOERR when a log file cannot be opened or written (the
 * commands still run to their end, so none is left behind). Results are
 * filled either way, so release them.
 * Thread-safe: many threads may call it at once. Only our own children are
 * reaped, so SIGCHLD must not be ignored and nobody may waitpid(-1).
 */
int proc_run(const struct proc_spec *specs, size_t n, const struct proc_options *opts,
	     struct proc_result *results);
void proc_result_release(struct proc_result *r);

/* True when the stop switch is on (stop_fd readable). */
bool proc_stop_requested(int stop_fd);
/*
 * Sleeps ms, waking early when the stop switch turns on. Returns true if
 * the whole time passed, false if stopped.
 */
bool proc_sleep(int stop_fd, int64_t ms);

/* "exit 3", "killed by SIGKILL", "timed out after 2s", "cannot run 'x': No such file or directory" */
void proc_describe(const struct proc_result *r, const char *argv0, int64_t timeout_ms,
		   char *buf, size_t size);

#endif
