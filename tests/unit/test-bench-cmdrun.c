/* test-bench-cmdrun.c: code-bench's command runs: shell-words splitting, exit codes, times, input and output, and a comparison with hyperfine. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/bench/cmdrun.h"
#include "libcommon/exitcodes.h"
#include "tests/lib/tap.h"

/* The words of command joined by '|', or "ERR" when it does not split. */
static const char *
split_join(const char *command, char *buf, size_t size, int *ret, size_t *nwords)
{
	char **argv;
	size_t i, len = 0;

	buf[0] = '\0';
	*nwords = 0;
	*ret = cmdrun_split(command, &argv);
	if (*ret != 0)
		return "ERR";
	for (i = 0; argv[i] != NULL; i++) {
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "|" : "", argv[i]);
		if (len >= size)
			len = size - 1;
	}
	*nwords = i;
	cmdrun_argv_free(argv);
	return buf;
}

/* command with newlines and tabs shown as \n and \t, so TAP lines stay whole. */
static const char *
visible(const char *command, char *buf, size_t size)
{
	size_t len = 0;

	for (; *command != '\0' && len + 3 < size; command++) {
		if (*command == '\n' || *command == '\t') {
			buf[len++] = '\\';
			buf[len++] = *command == '\n' ? 'n' : 't';
		} else {
			buf[len++] = *command;
		}
	}
	buf[len] = '\0';
	return len ? buf : "(empty)";
}

/* A captured diagnostic without its newline, for a test name. */
static const char *
chomp(const char *err, char *buf, size_t size)
{
	snprintf(buf, size, "%s", err);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void
check_split(const char *command, const char *want, size_t want_n)
{
	char buf[512], name[512];
	size_t n;
	int ret;

	is_str(split_join(command, buf, sizeof(buf), &ret, &n), want,
	       visible(command, name, sizeof(name)));
	is_int((long long)n, (long long)want_n, "  word count");
}

static void
check_split_error(const char *command, const char *msg)
{
	char **argv = (char **)1, name[512];
	const char *err;
	int ret;

	tap_capture_begin();
	ret = cmdrun_split(command, &argv);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_USAGE, visible(command, name, sizeof(name)));
	ok(argv == NULL, "  no argv on error");
	ok(strstr(err, msg) != NULL, "  says '%s': %s", msg, chomp(err, name, sizeof(name)));
}

static void
test_split(void)
{
	check_split("true", "true", 1);
	check_split("  plain \t words\nhere  ", "plain|words|here", 3);
	check_split("echo 'single $HOME \\n \"x\"'", "echo|single $HOME \\n \"x\"", 2);
	check_split("echo \"dq \\\" \\\\ \\$ \\` \\n $HOME\"", "echo|dq \" \\ $ ` \\n $HOME", 2);
	check_split("a\\ b \\'c", "a b|'c", 2);
	check_split("x \"\" ''", "x||", 3);
	check_split("\"\"", "", 1);
	check_split("a\"b c\"'d e'f", "ab cd ef", 1);
	check_split("a b#c #comment 'x", "a|b#c", 2);
	check_split("a\\\nb \"c\\\nd\"", "ab|cd", 2);
	check_split("trailing\\", "trailing\\", 1);
	check_split_error("echo 'it", "unterminated quote in 'echo 'it'");
	check_split_error("echo \"abc\\\"", "column 6");
	check_split_error("", "empty command");
	check_split_error(" \t\n ", "empty command");
	check_split_error("# only a comment", "empty command");
}

static int
run_split(const char *command, struct cmdrun_result *r, const char *input)
{
	struct cmdrun_spec spec = { command, NULL, false, input };
	char **argv;
	int ret;

	if (cmdrun_split(command, &argv) != 0)
		return -1;
	ret = cmdrun_once(&spec, argv, r);
	cmdrun_argv_free(argv);
	return ret;
}

static void
test_exit_codes(void)
{
	struct cmdrun_spec shell = { "exit 3", "/bin/sh", false, NULL };
	struct cmdrun_result r;
	int ret;

	ret = run_split("true", &r, NULL);
	is_int(ret, 0, "true -N runs");
	is_int(r.exit_code, 0, "  exit 0");
	ok(!r.signaled, "  not signaled");
	ok(r.wall_s > 0 && r.wall_s < 20, "  wall time positive and bounded: %g s", r.wall_s);
	ok(r.user_s >= 0 && r.system_s >= 0, "  cpu times not negative");

	ret = run_split("false", &r, NULL);
	is_int(ret, 0, "false -N runs");
	is_int(r.exit_code, 1, "  exit 1");

	ret = run_split("sh -c 'exit 3'", &r, NULL);
	is_int(ret, 0, "sh -c 'exit 3' -N runs");
	is_int(r.exit_code, 3, "  exit 3");
	ok(!r.signaled, "  not signaled");

	ret = cmdrun_once(&shell, NULL, &r);
	is_int(ret, 0, "exit 3 through /bin/sh runs");
	is_int(r.exit_code, 3, "  exit 3");

	shell.command = "kill -9 $$";
	ret = cmdrun_once(&shell, NULL, &r);
	is_int(ret, 0, "a command killed by SIGKILL runs");
	is_int(r.exit_code, 128 + 9, "  exit code 128 + 9");
	ok(r.signaled, "  signaled");

	ret = run_split("sh -c 'kill -TERM $$'", &r, NULL);
	is_int(r.exit_code, 128 + 15, "SIGTERM -N: 128 + 15");
	ok(r.signaled, "  signaled");

	/* We may ignore SIGPIPE; the command must still die of it. */
	ret = run_split("sh -c 'kill -PIPE $$'", &r, NULL);
	is_int(r.exit_code, 128 + 13, "SIGPIPE at its default in the command");
}

static void
test_cpu_time(void)
{
	struct cmdrun_spec spec = {
		"i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done", "/bin/sh", false, NULL
	};
	struct cmdrun_result r;

	is_int(cmdrun_once(&spec, NULL, &r), 0, "a CPU-burning shell loop runs");
	is_int(r.exit_code, 0, "  exit 0");
	ok(r.user_s > 0, "  user time > 0: %g s (wall %g s, system %g s)", r.user_s, r.wall_s,
	   r.system_s);
	ok(r.user_s + r.system_s < r.wall_s * 2 + 0.05,
	   "  cpu time of that one child only, not of earlier children");
}

static void
test_input(void)
{
	const char *check = "sh -c 'read l && [ \"$l\" = magic ]'";
	struct cmdrun_result r;
	const char *err;
	char path[512], msg[512];
	int ret;

	tap_path(path, sizeof(path), "input");
	tap_write_file(path, "magic\n", 6);
	is_int(run_split(check, &r, path), 0, "input_path feeds stdin");
	is_int(r.exit_code, 0, "  the command read it");
	is_int(run_split(check, &r, NULL), 0, "no input_path");
	is_int(r.exit_code, 1, "  the command read /dev/null");
	tap_path(path, sizeof(path), "no-such-input");
	tap_capture_begin();
	ret = run_split(check, &r, path);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "a missing input_path is exit 66");
	ok(strstr(err, "cannot open") && strstr(err, "no-such-input"),
	   "  says so: %s", chomp(err, msg, sizeof(msg)));
}

static char got_out[4096], got_err[4096];

static void
read_file(const char *name, char *buf, size_t size)
{
	char p[512];
	FILE *f = fopen(tap_path(p, sizeof(p), name), "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Runs two commands with our fds 1 and 2 sent to files, as a parent of code-bench would see them. */
static void
test_output(void)
{
	struct cmdrun_spec shown = { "echo shown-out; echo shown-err >&2", "/bin/sh", true, NULL };
	struct cmdrun_spec hidden = { "echo hidden-out; echo hidden-err >&2", "/bin/sh", false, NULL };
	struct cmdrun_result r1, r2;
	char p1[512], p2[512];
	int f1, f2, saved1, saved2, ret1, ret2;

	f1 = open(tap_path(p1, sizeof(p1), "fd1"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	f2 = open(tap_path(p2, sizeof(p2), "fd2"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	fflush(stdout);
	fflush(stderr);
	saved1 = dup(1);
	saved2 = dup(2);
	dup2(f1, 1);
	dup2(f2, 2);
	close(f1);
	close(f2);
	ret1 = cmdrun_once(&shown, NULL, &r1);
	ret2 = cmdrun_once(&hidden, NULL, &r2);
	dup2(saved1, 1);
	dup2(saved2, 2);
	close(saved1);
	close(saved2);
	read_file("fd1", got_out, sizeof(got_out));
	read_file("fd2", got_err, sizeof(got_err));
	ok(ret1 == 0 && ret2 == 0 && r1.exit_code == 0 && r2.exit_code == 0,
	   "output commands ran");
	is_str(got_out, "shown-out\n", "show_output: stdout reaches ours, hidden is not there");
	is_str(got_err, "shown-err\n", "show_output: stderr reaches ours, hidden is not there");
}

static void
test_cannot_run(void)
{
	struct cmdrun_spec bad_shell = { "true", "/nonexistent/sh", false, NULL };
	struct cmdrun_spec false_shell = { "true", "false", false, NULL };
	struct cmdrun_result r;
	const char *err;
	char msg[512];
	int ret;

	tap_capture_begin();
	ret = run_split("no-such-program-cmdrun-test --flag", &r, NULL);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "a missing program is exit 66");
	ok(strstr(err, "cannot run 'no-such-program-cmdrun-test'") != NULL,
	   "  says so: %s", chomp(err, msg, sizeof(msg)));

	tap_capture_begin();
	ret = run_split("/nonexistent/prog", &r, NULL);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "a missing path is exit 66");
	ok(strstr(err, "cannot run '/nonexistent/prog'") != NULL,
	   "  says so: %s", chomp(err, msg, sizeof(msg)));

	tap_capture_begin();
	ret = run_split("/", &r, NULL);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "a directory is exit 66");
	ok(strstr(err, "cannot run '/'") != NULL,
	   "  says so: %s", chomp(err, msg, sizeof(msg)));

	tap_capture_begin();
	ret = cmdrun_once(&bad_shell, NULL, &r);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "a missing shell is exit 66");
	ok(strstr(err, "cannot run '/nonexistent/sh'") != NULL,
	   "  says so: %s", chomp(err, msg, sizeof(msg)));

	tap_capture_begin();
	ret = cmdrun_shell_overhead(&bad_shell, 5, &r);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "shell overhead of a missing shell is exit 66");
	tap_capture_begin();
	ret = cmdrun_shell_overhead(&false_shell, 5, &r);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_NOINPUT, "shell overhead of a shell failing on '' is exit 66");
	ok(strstr(err, "'false -c \"\"' exited with 1") != NULL,
	   "  says so: %s", chomp(err, msg, sizeof(msg)));
}

static void
test_shell_overhead(void)
{
	struct cmdrun_spec spec = { "ignored; exit 7", "/bin/sh", true, NULL };
	struct cmdrun_result mean;

	is_int(cmdrun_shell_overhead(&spec, 20, &mean), 0, "shell overhead of /bin/sh");
	ok(mean.wall_s > 0 && mean.wall_s < 5, "  small positive mean wall: %g s", mean.wall_s);
	ok(mean.user_s >= 0 && mean.system_s >= 0, "  user %g s, system %g s", mean.user_s,
	   mean.system_s);
	is_int(mean.exit_code, 0, "  the command itself is not run");
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads "mean" of the first result of hyperfine's --export-json. */
static double
hyperfine_mean(const char *path)
{
	char buf[65536];
	const char *p;
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strstr(buf, "\"mean\":");
	return p ? strtod(p + 7, NULL) : -1;
}

static void
test_many_runs(void)
{
	struct cmdrun_spec spec = { "true", NULL, false, NULL };
	struct cmdrun_result r;
	double t0, elapsed, sum = 0;
	char **argv, cmd[1024], json[512];
	unsigned i, runs = 1000, failed = 0;

	if (cmdrun_split("true", &argv) != 0) {
		ok(0, "split true");
		return;
	}
	t0 = now_s();
	for (i = 0; i < runs; i++) {
		if (cmdrun_once(&spec, argv, &r) != 0 || r.exit_code != 0)
			failed++;
		sum += r.wall_s;
		if (now_s() - t0 > 600)
			break;
	}
	elapsed = now_s() - t0;
	cmdrun_argv_free(argv);
	is_int(i, runs, "1000 runs of true -N finish within the hang bound");
	is_int(failed, 0, "  all exit 0");
	tap_diag("cmdrun: %u runs of true -N: mean %.1f us measured, %.1f us wall per run",
		 i, sum / (i ? i : 1) * 1e6, elapsed / (i ? i : 1) * 1e6);

	if (system("command -v hyperfine >/dev/null 2>&1") != 0) {
		tap_diag("hyperfine is not installed: no comparison");
		return;
	}
	tap_path(json, sizeof(json), "hyperfine.json");
	snprintf(cmd, sizeof(cmd),
		 "hyperfine -N --runs %u --style none --export-json '%s' true >/dev/null 2>&1",
		 runs, json);
	t0 = now_s();
	if (system(cmd) != 0) {
		tap_diag("hyperfine failed: no comparison");
		return;
	}
	elapsed = now_s() - t0;
	tap_diag("hyperfine: %u runs of true -N: mean %.1f us measured, %.1f us wall per run "
		 "(whole process, start-up included)",
		 runs, hyperfine_mean(json) * 1e6, elapsed / runs * 1e6);
}

int
main(void)
{
	test_split();
	test_exit_codes();
	test_cpu_time();
	test_input();
	test_output();
	test_cannot_run();
	test_shell_overhead();
	test_many_runs();
	return tap_done();
}
