/* cmdrun.h: one timed run of a benchmarked command: wall, user and system time, exit status. */
#ifndef BENCH_CMDRUN_H
#define BENCH_CMDRUN_H

#include <stdbool.h>
#include <stddef.h>

/*
 * How a command line is run, as hyperfine does: through a shell
 * ("sh -c CMD", or --shell's program) so pipes and globs work, or with
 * -N split into words (quotes and backslashes as a POSIX shell reads
 * them, no expansion) and spawned directly, which has no shell start-up
 * to correct for.
 */
struct cmdrun_spec {
	const char *command;
	const char *shell;          /* NULL: no shell (-N); else e.g. "/bin/sh" */
	bool show_output;           /* false: stdout and stderr to /dev/null */
	const char *input_path;     /* stdin from this file; NULL: /dev/null */
};

struct cmdrun_result {
	double wall_s;              /* fork to reap, CLOCK_MONOTONIC */
	double user_s;              /* the child's, from wait4's rusage */
	double system_s;
	int exit_code;              /* the code, or 128 + the signal */
	bool signaled;
};

/*
 * Splits command into words for -N: 'single' and "double" quotes and
 * backslashes as sh does, no variables or globs. Returns 0 with a
 * NULL-terminated malloc'd argv (free with cmdrun_argv_free), or
 * -CODE_EXIT_USAGE after "unterminated quote in 'CMD'" / "empty command".
 */
int cmdrun_split(const char *command, char ***argv);
void cmdrun_argv_free(char **argv);

/*
 * Runs the command once and measures it: posix_spawn (no fork+exec
 * copying our memory), then wait4 for the rusage of exactly that child;
 * the clock starts just before the spawn and stops when wait4 returns.
 * Returns 0 with r filled whatever the command's status, or
 * -CODE_EXIT_NOINPUT when it cannot be started ("cannot run 'x': reason").
 * argv: from cmdrun_split when spec->shell is NULL (split once, reused for
 * every run), else ignored.
 */
int cmdrun_once(const struct cmdrun_spec *spec, char *const *argv, struct cmdrun_result *r);

/*
 * hyperfine's shell spawn correction: the mean wall/user/system time of
 * running the shell with an empty command (spec->command ignored), over
 * n runs (0 counts as 1) after a few warm-ups; the caller subtracts it
 * from every timed run of a shell command (results below zero become
 * zero). A shell that fails on '' is -CODE_EXIT_NOINPUT. With no shell
 * (-N) the mean is all zero.
 */
int cmdrun_shell_overhead(const struct cmdrun_spec *spec, unsigned n, struct cmdrun_result *mean);

#endif
