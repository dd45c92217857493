/* test-deploy-proc.c: real commands run with logs, tails, secrets masked, timeouts, the stop switch and many threads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cmd/deploy/proc.h"
#include "libcommon/exitcodes.h"
#include "libcommon/redact.h"
#include "libcommon/strbuf.h"
#include "tests/lib/tap.h"

/* Generous: only a hang fails this, never a slow machine. */
#define HANG_MS 10000

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The whole file as a malloc'd string ("" when missing). */
static char *
slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			strbuf_add(&sb, buf, (size_t)n);
		close(fd);
	}
	strbuf_addstr(&sb, "");
	return strbuf_detach(&sb, NULL);
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Runs one shell command; the result's tail is the caller's to release. */
static int
run_sh(const char *script, const char *log, int64_t timeout_ms, const struct proc_options *opts,
       struct proc_result *r)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct proc_spec spec = { argv, NULL, log, timeout_ms };

	return proc_run(&spec, 1, opts, r);
}

/*
 * Waits (bounded) until no process of the group is left, reaping the
 * orphans that came to us as their subreaper. True when the group is gone.
 */
static bool
group_gone(pid_t pgid)
{
	int64_t end = now_ms() + HANG_MS;

	while (now_ms() < end) {
		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) != 0 && errno == ESRCH)
			return true;
		usleep(10000);
	}
	return false;
}

static void
test_exit_codes(void)
{
	struct proc_result r;
	char desc[128];
	char *argv[] = { "true", NULL };
	struct proc_spec spec = { argv, NULL, NULL, 0 };

	is_int(proc_run(&spec, 1, NULL, &r), 0, "true: runs");
	is_int(r.outcome, PROC_EXITED, "true: exited");
	is_int(r.exit_status, 0, "true: exit 0");
	is_str(r.tail, "", "true: empty tail");
	proc_result_release(&r);

	is_int(run_sh("exit 3", NULL, 0, NULL, &r), 0, "exit 3: runs");
	is_int(r.outcome, PROC_EXITED, "exit 3: exited");
	is_int(r.exit_status, 3, "exit 3: status 3");
	proc_describe(&r, "sh", 0, desc, sizeof(desc));
	is_str(desc, "exit 3", "exit 3: described");
	proc_result_release(&r);

	is_int(run_sh("kill -9 $$", NULL, 0, NULL, &r), 0, "self-kill: runs");
	is_int(r.outcome, PROC_SIGNALED, "self-kill: signaled");
	is_int(r.exit_status, 128 + SIGKILL, "self-kill: 137");
	proc_describe(&r, "sh", 0, desc, sizeof(desc));
	is_str(desc, "killed by SIGKILL", "self-kill: described");
	proc_result_release(&r);
}

static void
test_output(void)
{
	struct proc_result r;
	char log[4096];
	char *text;

	tap_path(log, sizeof(log), "out.log");
	is_int(run_sh("echo to-stdout; echo to-stderr >&2", log, 0, NULL, &r), 0, "output: runs");
	ok(strstr(r.tail, "to-stdout\n") != NULL, "output: stdout in the tail");
	ok(strstr(r.tail, "to-stderr\n") != NULL, "output: stderr in the tail");
	text = slurp(log);
	ok(strstr(text, "to-stdout\n") != NULL, "output: stdout in the log");
	ok(strstr(text, "to-stderr\n") != NULL, "output: stderr in the log");
	free(text);
	proc_result_release(&r);

	is_int(run_sh("i=1; while [ $i -le 100 ]; do echo line$i; i=$((i+1)); done", NULL, 0, NULL,
		      &r), 0, "100 lines: runs");
	is_int((long long)count_lines(r.tail), 20, "100 lines: tail keeps 20");
	ok(strncmp(r.tail, "line81\n", 7) == 0, "100 lines: tail starts at line 81");
	ok(strlen(r.tail) >= 8 && strcmp(r.tail + strlen(r.tail) - 8, "line100\n") == 0,
	   "100 lines: tail ends with line 100");
	proc_result_release(&r);

	{
		struct proc_options o = { NULL, -1, 0, 2 };

		is_int(run_sh("printf 'a\\nb\\nc'", NULL, 0, &o, &r), 0, "tail 2: runs");
		is_str(r.tail, "b\nc", "tail 2: a last line without newline counts");
		proc_result_release(&r);
	}

	is_int(run_sh("head -c 100000 /dev/zero | tr '\\0' a; echo; echo short", NULL, 0, NULL, &r),
	       0, "long line: runs");
	ok(strlen(r.tail) < 5000, "long line: cut in the tail (%zu bytes)", strlen(r.tail));
	ok(strlen(r.tail) > 6 && strcmp(r.tail + strlen(r.tail) - 6, "short\n") == 0,
	   "long line: later lines kept");
	proc_result_release(&r);
}

static void
test_secrets(void)
{
	struct redact *red = redact_new();
	struct proc_options o = { NULL, -1, 0, 0 };
	struct proc_result r;
	char log[4096];
	char *text;

	redact_add(red, "s3cr3t-value");
	o.redact = red;
	tap_path(log, sizeof(log), "secret.log");
	is_int(run_sh("echo token=s3cr3t-value; printf 'split=s3cr3'; sleep 0.3; "
		      "printf 't-value end\\n'; echo key=s3cr3t-value >&2",
		      log, 0, &o, &r), 0, "secret: runs");
	text = slurp(log);
	ok(strstr(text, "s3cr3") == NULL, "secret: not in the log");
	ok(strstr(r.tail, "s3cr3") == NULL, "secret: not in the tail");
	ok(strstr(text, "token=***\n") != NULL, "secret: masked in the log");
	ok(strstr(text, "split=*** end\n") != NULL, "secret: masked across two writes in the log");
	ok(strstr(r.tail, "split=*** end\n") != NULL, "secret: masked across two writes in the tail");
	ok(strstr(r.tail, "key=***\n") != NULL, "secret: masked on stderr");
	free(text);
	proc_result_release(&r);
	redact_free(red);
}

static void
test_envp(void)
{
	char *argv[] = { "sh", "-c", "echo foo=$FOO home=${HOME-unset}", NULL };
	char *envp[] = { "FOO=bar", "PATH=/usr/bin:/bin", NULL };
	struct proc_spec spec = { argv, envp, NULL, 0 };
	struct proc_result r;

	is_int(proc_run(&spec, 1, NULL, &r), 0, "envp: runs");
	is_str(r.tail, "foo=bar home=unset\n", "envp: the whole environment is the given one");
	proc_result_release(&r);

	/* Stdin is /dev/null; a descriptor someone left inheritable does not reach the command. */
	if (access("/proc/self/fd", F_OK) == 0 && dup2(STDERR_FILENO, 57) == 57) {
		is_int(run_sh("cat; if [ -e /proc/$$/fd/57 ]; then echo leaked; else echo closed; fi",
			      NULL, 0, NULL, &r), 0, "fds: runs");
		is_str(r.tail, "closed\n", "fds: stdin empty, others closed");
		proc_result_release(&r);
		close(57);
	}
}

/*
 * Runs a script that prints its pid once set up, under a timeout that
 * starts at 200 ms and grows while a loaded machine (valgrind) kills the
 * script before it got that far. Returns the timeout that was used.
 */
static int64_t
run_timed(const char *script, const struct proc_options *o, struct proc_result *r, int *ret)
{
	int64_t t;

	for (t = 200;; t *= 4) {
		*ret = run_sh(script, NULL, t, o, r);
		if (atol(r->tail) > 1 || t >= 12800)
			return t;
		proc_result_release(r);
	}
}

static void
test_timeouts(void)
{
	struct proc_options o = { NULL, -1, 300, 0 };
	struct proc_result r;
	char desc[128];
	int64_t t0, t;
	pid_t pgid;
	int ret;

	t0 = now_ms();
	(void)run_timed("echo $$; sleep 100 & sleep 100 & wait", &o, &r, &ret);
	is_int(ret, 0, "timeout tree: runs");
	ok(now_ms() - t0 < 4 * HANG_MS, "timeout tree: returned");
	is_int(r.outcome, PROC_TIMEOUT, "timeout tree: timed out");
	ok(r.exit_status > 128, "timeout tree: killed by a signal (%d)", r.exit_status);
	pgid = (pid_t)atol(r.tail);
	ok(pgid > 1 && group_gone(pgid), "timeout tree: no process of the group is left");
	proc_result_release(&r);
	r.outcome = PROC_TIMEOUT;
	proc_describe(&r, "sh", 200, desc, sizeof(desc));
	is_str(desc, "timed out after 200ms", "timeout: described");

	t0 = now_ms();
	t = run_timed("trap '' TERM; echo $$; sleep 100; echo survived", &o, &r, &ret);
	is_int(ret, 0, "TERM ignored: runs");
	ok(now_ms() - t0 < 4 * HANG_MS, "TERM ignored: returned (timeout %lld ms)", (long long)t);
	is_int(r.outcome, PROC_TIMEOUT, "TERM ignored: timed out");
	is_int(r.exit_status, 128 + SIGKILL, "TERM ignored: died by SIGKILL");
	ok(strstr(r.tail, "survived") == NULL, "TERM ignored: did not go on");
	pgid = (pid_t)atol(r.tail);
	ok(pgid > 1 && group_gone(pgid), "TERM ignored: no process of the group is left");
	proc_result_release(&r);
}

struct poke {
	int fd;
	int delay_ms;
	const char *after;      /* a file to wait for (bounded) first; NULL none */
};

static void *
poke_later(void *arg)
{
	const struct poke *p = arg;
	int64_t end = now_ms() + HANG_MS;

	while (p->after != NULL && access(p->after, F_OK) != 0 && now_ms() < end)
		usleep(10000);
	usleep((useconds_t)p->delay_ms * 1000);
	if (write(p->fd, "x", 1) != 1)
		abort();
	return NULL;
}

static void
test_stop(void)
{
	struct proc_options o = { NULL, -1, 0, 0 };
	struct proc_result r;
	struct poke pk;
	pthread_t th;
	char desc[128], path[4096], script[4200];
	int p[2];
	int64_t t0;
	pid_t pgid;

	if (pipe(p) != 0)
		abort();
	ok(!proc_stop_requested(p[0]), "stop: off at first");
	ok(proc_sleep(p[0], 50), "stop: a short sleep passes whole");
	ok(proc_sleep(-1, 20), "stop: sleep without a switch");
	o.stop_fd = p[0];
	pk.fd = p[1];
	pk.delay_ms = 200;
	/* The switch turns on once the command is under way, however slow the machine. */
	tap_path(path, sizeof(path), "started");
	pk.after = path;
	snprintf(script, sizeof(script), "echo $$; touch '%s'; sleep 100", path);
	pthread_create(&th, NULL, poke_later, &pk);
	t0 = now_ms();
	is_int(run_sh(script, NULL, 0, &o, &r), 0, "stop: runs");
	ok(now_ms() - t0 < HANG_MS, "stop: returned");
	pthread_join(th, NULL);
	is_int(r.outcome, PROC_STOPPED, "stop: stopped");
	ok(r.exit_status > 128, "stop: killed by a signal (%d)", r.exit_status);
	proc_describe(&r, "sh", 0, desc, sizeof(desc));
	is_str(desc, "stopped", "stop: described");
	pgid = (pid_t)atol(r.tail);
	ok(pgid > 1 && group_gone(pgid), "stop: no process of the group is left");
	proc_result_release(&r);
	ok(proc_stop_requested(p[0]), "stop: on after the write");
	ok(!proc_sleep(p[0], 60000), "stop: sleep returns at once when on");

	/* A switch already on starts nothing. */
	tap_path(path, sizeof(path), "never-made");
	snprintf(script, sizeof(script), "touch '%s'", path);
	is_int(run_sh(script, NULL, 0, &o, &r), 0, "stop on: runs");
	is_int(r.outcome, PROC_STOPPED, "stop on: stopped");
	ok(access(path, F_OK) != 0, "stop on: the command never ran");
	proc_result_release(&r);
	close(p[0]);
	close(p[1]);

	/* The sleep wakes when the switch turns on. */
	if (pipe(p) != 0)
		abort();
	pk.fd = p[1];
	pk.after = NULL;
	pthread_create(&th, NULL, poke_later, &pk);
	t0 = now_ms();
	ok(!proc_sleep(p[0], 60000), "sleep: stopped early");
	ok(now_ms() - t0 < HANG_MS, "sleep: woke before the hang bound");
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
}

static void
test_daemon(void)
{
	struct proc_result r;
	int64_t t0 = now_ms();
	pid_t daemon;

	is_int(run_sh("sleep 30 & echo $!; echo started", NULL, 0, NULL, &r), 0, "daemon: runs");
	ok(now_ms() - t0 < HANG_MS, "daemon: returned without waiting for the daemon");
	is_int(r.outcome, PROC_EXITED, "daemon: exited");
	is_int(r.exit_status, 0, "daemon: exit 0");
	ok(strstr(r.tail, "started\n") != NULL, "daemon: output read");
	daemon = (pid_t)atol(r.tail);
	ok(daemon > 1 && kill(daemon, SIGKILL) == 0, "daemon: still there, killed by us");
	/* Our orphan as the subreaper: reaped here, not left a zombie. */
	if (daemon > 1)
		(void)waitpid(daemon, NULL, 0);
	proc_result_release(&r);
}

static void
test_spawn_failure(void)
{
	char *argv[] = { "no-such-program-x7q", NULL };
	struct proc_spec spec = { argv, NULL, NULL, 0 };
	struct proc_result r;
	char log[4096], desc[256];
	char *text;
	const char *want = "cannot run 'no-such-program-x7q': No such file or directory";

	tap_path(log, sizeof(log), "missing.log");
	spec.log_path = log;
	is_int(proc_run(&spec, 1, NULL, &r), 0, "missing: returns 0");
	is_int(r.outcome, PROC_SPAWN_FAILED, "missing: spawn failed");
	is_int(r.exit_status, 127, "missing: 127");
	is_int(r.spawn_errno, ENOENT, "missing: ENOENT");
	ok(strstr(r.tail, want) != NULL, "missing: message in the tail");
	text = slurp(log);
	ok(strstr(text, want) != NULL, "missing: message in the log");
	free(text);
	proc_describe(&r, argv[0], 0, desc, sizeof(desc));
	is_str(desc, want, "missing: described");
	proc_result_release(&r);

	/* A file without execute permission, by path. */
	tap_path(log, sizeof(log), "not-executable");
	tap_write_file(log, "#!/bin/sh\n", 10);
	chmod(log, 0644);
	argv[0] = log;
	spec.log_path = NULL;
	is_int(proc_run(&spec, 1, NULL, &r), 0, "not executable: returns 0");
	is_int(r.outcome, PROC_SPAWN_FAILED, "not executable: spawn failed");
	is_int(r.spawn_errno, EACCES, "not executable: EACCES");
	ok(strstr(r.tail, "Permission denied") != NULL, "not executable: message in the tail");
	proc_result_release(&r);
}

static void
test_many(void)
{
	char scripts[5][64];
	char *argvs[5][4];
	struct proc_spec specs[5];
	struct proc_result res[5];
	char want[64];
	int i, good = 0;

	for (i = 0; i < 5; i++) {
		snprintf(scripts[i], sizeof(scripts[i]), "sleep 0.%d; echo cmd %d; exit %d", 5 - i,
			 i, i);
		argvs[i][0] = "sh";
		argvs[i][1] = "-c";
		argvs[i][2] = scripts[i];
		argvs[i][3] = NULL;
		specs[i].argv = argvs[i];
		specs[i].envp = NULL;
		specs[i].log_path = NULL;
		specs[i].timeout_ms = 0;
	}
	is_int(proc_run(specs, 5, NULL, res), 0, "five: run");
	for (i = 0; i < 5; i++) {
		snprintf(want, sizeof(want), "cmd %d\n", i);
		good += res[i].outcome == PROC_EXITED && res[i].exit_status == i &&
			strcmp(res[i].tail, want) == 0;
		proc_result_release(&res[i]);
	}
	is_int(good, 5, "five: each reported with its own status and output");
}

struct worker {
	int failures;
};

static void *
run_trues(void *arg)
{
	struct worker *w = arg;
	char *argv[] = { "true", NULL };
	struct proc_spec spec = { argv, NULL, NULL, 0 };
	struct proc_result r;
	int i;

	for (i = 0; i < 20; i++) {
		if (proc_run(&spec, 1, NULL, &r) != 0 || r.outcome != PROC_EXITED ||
		    r.exit_status != 0)
			w->failures++;
		proc_result_release(&r);
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t th[16];
	struct worker w[16];
	int i, failures = 0;

	for (i = 0; i < 16; i++) {
		w[i].failures = 0;
		pthread_create(&th[i], NULL, run_trues, &w[i]);
	}
	for (i = 0; i < 16; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	is_int(failures, 0, "threads: 16 x 20 runs of true all exit 0");
}

static void
test_log_file(void)
{
	struct proc_result r;
	struct stat st;
	char log[4096], bad[4096];
	const char *err;
	char *text;

	tap_path(log, sizeof(log), "append.log");
	is_int(run_sh("echo one", log, 0, NULL, &r), 0, "log: first run");
	proc_result_release(&r);
	is_int(run_sh("echo two", log, 0, NULL, &r), 0, "log: second run");
	proc_result_release(&r);
	text = slurp(log);
	is_str(text, "one\ntwo\n", "log: appended");
	free(text);
	ok(stat(log, &st) == 0 && (st.st_mode & 0777) == 0600, "log: mode 0600");

	tap_path(log, sizeof(log), "silent.log");
	is_int(run_sh("exit 0", log, 0, NULL, &r), 0, "log: a silent command");
	ok(!r.logged && access(log, F_OK) != 0, "log: a silent command leaves no log file");
	proc_result_release(&r);

	tap_path(bad, sizeof(bad), "no/such/dir/x.log");
	tap_capture_begin();
	is_int(run_sh("echo never", bad, 0, NULL, &r), -CODE_EXIT_IOERR, "bad log: IO error");
	err = tap_capture_end();
	ok(strstr(err, "no/such/dir/x.log") != NULL, "bad log: the path is named");
	ok(r.tail != NULL, "bad log: result still releasable");
	proc_result_release(&r);

	/* A log on a full device: the command still runs to its end. */
	if (access("/dev/full", W_OK) == 0) {
		int64_t t0 = now_ms();

		tap_capture_begin();
		is_int(run_sh("echo a; echo b; exit 4", "/dev/full", 0, NULL, &r), -CODE_EXIT_IOERR,
		       "full log: IO error");
		err = tap_capture_end();
		is_int(r.exit_status, 4, "full log: the command ran to its end");
		ok(now_ms() - t0 < HANG_MS, "full log: returned");
		ok(strstr(err, "/dev/full") != NULL, "full log: the file is named");
		is_int((long long)count_lines(err), 1, "full log: one message");
		proc_result_release(&r);
	}
}

static void
test_describe(void)
{
	struct proc_result r;
	char buf[128];

	memset(&r, 0, sizeof(r));
	r.outcome = PROC_SIGNALED;
	r.exit_status = 128 + SIGKILL;
	proc_describe(&r, "x", 0, buf, sizeof(buf));
	is_str(buf, "killed by SIGKILL", "describe: SIGKILL");
	r.outcome = PROC_TIMEOUT;
	proc_describe(&r, "x", 2000, buf, sizeof(buf));
	is_str(buf, "timed out after 2s", "describe: 2s");
	r.outcome = PROC_STOPPED;
	proc_describe(&r, "x", 0, buf, sizeof(buf));
	is_str(buf, "stopped", "describe: stopped");
	r.outcome = PROC_SPAWN_FAILED;
	r.spawn_errno = EACCES;
	proc_describe(&r, "x", 0, buf, sizeof(buf));
	is_str(buf, "cannot run 'x': Permission denied", "describe: EACCES");
}

int
main(void)
{
	(void)tap_tmpdir();
#ifdef __linux__
	/* Orphans of the commands come to us, so the tests can see their groups end. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
#endif
	test_exit_codes();
	test_output();
	test_secrets();
	test_envp();
	test_timeouts();
	test_stop();
	test_daemon();
	test_spawn_failure();
	test_many();
	test_threads();
	test_log_file();
	test_describe();
	return tap_done();
}
