/* proc.c: run deploy commands in their own process groups, with logs, timeouts and a stop switch. */
/* pipe2 and sigabbrev_np are GNU; the fallbacks below cover other libcs. */
#define _GNU_SOURCE
#include "cmd/deploy/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

extern char **environ;

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Longer lines are cut in the tail (the log keeps them whole). */
#define TAIL_LINE_MAX 4096
/* Without pidfds, exits are noticed by polling this often. */
#define FALLBACK_TICK_MS 20
/* What we read from a pipe after its command exited, at most. */
#define DRAIN_MAX (1024 * 1024)
#define READ_SIZE 65536

/* The last lines of a command's output: a ring of lines plus the one being read. */
struct tail {
	struct strbuf *lines;
	unsigned cap, head, count;
	struct strbuf cur;
	bool cur_cut;
};

enum child_state {
	CHILD_IDLE,     /* not started (spawn failed or never tried) */
	CHILD_RUNNING,
	CHILD_DONE      /* reaped */
};

struct child {
	const struct proc_spec *spec;
	enum child_state state;
	pid_t pid;
	int pidfd;              /* -1: exit noticed by waitpid polling */
	int out_fd;             /* our end of the output pipe; -1 once closed */
	int log_fd;
	int log_errno;          /* first write failure */
	int64_t start_ms, end_ms;
	int64_t term_ms;        /* when we sent SIGTERM; -1 not yet */
	bool killed;            /* SIGKILL sent */
	enum proc_outcome why;  /* PROC_TIMEOUT or PROC_STOPPED once term_ms is set */
	int status;
	struct redact_stream rs;
	struct strbuf red;      /* redacted text on its way to the log and tail */
	struct tail tail;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline ms after t, saturating: a timeout of years must not wrap. */
static int64_t
after_ms(int64_t t, int64_t ms)
{
	return ms > INT64_MAX - t ? INT64_MAX : t + ms;
}

static void
tail_init(struct tail *t, unsigned cap)
{
	t->lines = xcalloc(cap, sizeof(*t->lines));
	t->cap = cap;
	t->head = t->count = 0;
	strbuf_init(&t->cur, 0);
	t->cur_cut = false;
}

/* Ends the current line: it takes the ring's oldest slot, whose buffer is reused. */
static void
tail_push(struct tail *t)
{
	unsigned slot = (t->head + t->count) % t->cap;
	struct strbuf old;

	if (t->count == t->cap)
		t->head = (t->head + 1) % t->cap;
	else
		t->count++;
	old = t->lines[slot];
	t->lines[slot] = t->cur;
	t->cur = old;
	strbuf_reset(&t->cur);
	t->cur_cut = false;
}

/* Appends to the current line up to TAIL_LINE_MAX, cutting on a UTF-8 character boundary. */
static void
tail_add_part(struct tail *t, const char *p, size_t len)
{
	size_t room;

	if (t->cur_cut)
		return;
	room = TAIL_LINE_MAX - t->cur.len;
	if (len <= room) {
		strbuf_add(&t->cur, p, len);
		return;
	}
	while (room > 0 && ((unsigned char)p[room] & 0xC0) == 0x80)
		room--;
	strbuf_add(&t->cur, p, room);
	strbuf_addstr(&t->cur, "...");
	t->cur_cut = true;
}

static void
tail_add(struct tail *t, const char *p, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(p, '\n', len);
		size_t part = nl != NULL ? (size_t)(nl - p) : len;

		tail_add_part(t, p, part);
		if (nl == NULL)
			break;
		strbuf_addch(&t->cur, '\n');
		tail_push(t);
		p += part + 1;
		len -= part + 1;
	}
}

/* The kept lines as one string; a last line without '\n' counts as a line. */
static char *
tail_finish(struct tail *t)
{
	struct strbuf out = STRBUF_INIT;
	unsigned i;

	if (t->cur.len > 0)
		tail_push(t);
	for (i = 0; i < t->count; i++) {
		const struct strbuf *l = &t->lines[(t->head + i) % t->cap];

		strbuf_add(&out, l->buf, l->len);
	}
	if (out.buf == NULL)
		return xstrdup("");
	return strbuf_detach(&out, NULL);
}

static void
tail_release(struct tail *t)
{
	unsigned i;

	for (i = 0; i < t->cap; i++)
		strbuf_release(&t->lines[i]);
	free(t->lines);
	t->lines = NULL;
	strbuf_release(&t->cur);
}

/* Sends the redacted text gathered in c->red to the log and the tail. */
static void
child_emit(struct child *c)
{
	const char *p = c->red.buf;
	size_t len = c->red.len;

	if (len == 0)
		return;
	tail_add(&c->tail, p, len);
	/*
	 * Opened at the first output: most commands of a big run print
	 * nothing, and creating a thousand empty files in one directory
	 * from many threads costs more than running the commands.
	 */
	if (c->log_fd < 0 && c->spec->log_path != NULL && c->log_errno == 0) {
		c->log_fd = open(c->spec->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (c->log_fd < 0)
			c->log_errno = errno;
	}
	while (c->log_fd >= 0 && c->log_errno == 0 && len > 0) {
		ssize_t w = write(c->log_fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			c->log_errno = errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	strbuf_reset(&c->red);
}

static void
child_output(struct child *c, const char *data, size_t len)
{
	redact_stream_feed(&c->rs, data, len, &c->red);
	child_emit(c);
}

/*
 * Reads once from the pipe. Returns the bytes read, 0 at EOF or on an
 * error (the pipe is then closed), -1 when nothing is there yet.
 */
static ssize_t
child_read(struct child *c, char *buf)
{
	ssize_t n;

	do
		n = read(c->out_fd, buf, READ_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -1;
	if (n <= 0) {
		close(c->out_fd);
		c->out_fd = -1;
		return 0;
	}
	child_output(c, buf, (size_t)n);
	return n;
}

/*
 * Where the program is not found, why (ENOENT, EACCES), or 0. Used only
 * after a child exited 127: under valgrind posix_spawnp forks for real and
 * a failed exec shows only as that exit.
 */
static int
program_missing(const char *prog)
{
	const char *path = getenv("PATH"), *p;
	struct strbuf sb = STRBUF_INIT;
	int err = ENOENT;

	if (strchr(prog, '/') != NULL)
		return access(prog, X_OK) == 0 ? 0 : errno;
	if (path == NULL || *path == '\0')
		path = "/bin:/usr/bin";
	for (p = path; err != 0; p++) {
		const char *end = strchr(p, ':');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		struct stat st;

		strbuf_reset(&sb);
		strbuf_add(&sb, len > 0 ? p : ".", len > 0 ? len : 1);
		strbuf_addch(&sb, '/');
		strbuf_addstr(&sb, prog);
		if (stat(sb.buf, &st) == 0 && S_ISREG(st.st_mode))
			err = access(sb.buf, X_OK) == 0 ? 0 : EACCES;
		if (end == NULL)
			break;
		p = end;
	}
	strbuf_release(&sb);
	return err;
}

static void
note_spawn_failure(struct child *c, struct proc_result *r, int err)
{
	char line[512];

	r->outcome = PROC_SPAWN_FAILED;
	r->exit_status = 127;
	r->spawn_errno = err;
	snprintf(line, sizeof(line), "cannot run '%s': %s\n",
		 c->spec->argv != NULL && c->spec->argv[0] != NULL ? c->spec->argv[0] : "",
		 strerror(err));
	child_output(c, line, strlen(line));
}

/*
 * execvp's search of PATH, done here with stat rather than in the child
 * with one failing execve per directory: the spawning thread waits for
 * the child's exec, and a long PATH made that most of a short command's
 * cost. Writes the first regular file with an execute bit into buf and
 * returns true; false leaves the search (and its error) to posix_spawnp.
 */
static bool
path_lookup(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH"), *p, *end;
	struct stat st;

	if (path == NULL || *name == '\0' || strchr(name, '/') != NULL)
		return false;
	for (p = path; ; p = end + 1) {
		size_t len;

		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);
		/* An empty entry is the current directory, as for execvp. */
		if (snprintf(buf, size, "%.*s%s%s", (int)len, p, len ? "/" : "", name) < (int)size &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) && access(buf, X_OK) == 0)
			return true;
		if (end == NULL)
			return false;
	}
}

/*
 * Starts file in a child of its own process group, stdin from devnull,
 * stdout and stderr into out, with an empty signal mask and the signals in
 * to_default (those we ignore) back at their default. vfork rather than
 * posix_spawn: glibc's posix_spawn maps and unmaps a stack for every
 * child, and unmapping in a process of fifty threads made each spawn cost
 * the whole machine a TLB shootdown (measured: 1,000 steps 3.4 s with
 * posix_spawn, 3.0 s with vfork, make -j50 3.0 s). The child runs on
 * this thread's stack while this thread is suspended and every signal is
 * blocked; it calls only async-signal-safe functions, and reports an exec
 * failure through child_errno, memory the two share.
 */
static int
vfork_exec(pid_t *pid, const char *file, int devnull, int out, const sigset_t *to_default,
	   char *const *argv, char *const *envp)
{
	sigset_t all, old, none;
	volatile int child_errno = 0;
	pid_t p;

	sigfillset(&all);
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	p = vfork();
	if (p == 0) {
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(to_default, sig) == 1)
				sigaction(sig, &dfl, NULL);
		if (setpgid(0, 0) < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0) {
			child_errno = errno;
			_exit(127);
		}
		/* Everything of ours is close-on-exec already; this also covers what a library forgot. */
		(void)syscall(SYS_close_range, STDERR_FILENO + 1, ~0U, 0);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(file, argv, envp);
		child_errno = errno;
		_exit(127);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (p < 0)
		return errno;
	if (child_errno != 0) {
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
		return child_errno;
	}
	*pid = p;
	return 0;
}

/*
 * Starts one child with its pipe; returns 0 or the errno of the failure.
 * *no_pidfd turns true when the kernel has no pidfd_open (before 5.3, or
 * valgrind), so the other children do not ask again.
 */
static int
child_spawn(struct child *c, const posix_spawnattr_t *attr, int devnull,
	    const sigset_t *to_default, bool *no_pidfd)
{
	posix_spawn_file_actions_t fa;
	char *const *envp = c->spec->envp != NULL ? c->spec->envp : environ;
	char file[PATH_MAX];
	int p[2], rc;

	if (c->spec->argv == NULL || c->spec->argv[0] == NULL)
		return EINVAL;
	if (pipe2(p, O_CLOEXEC) != 0)
		return errno;
	/* Only our end is non-blocking: the child's writes must block as usual. */
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0) {
		rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
		if (rc == 0)
			rc = posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
		if (rc == 0)
			rc = posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
		/*
		 * A daemon the command starts must not keep a descriptor of ours
		 * open (the state lock above all) that someone forgot to mark
		 * close-on-exec.
		 */
		if (rc == 0)
			rc = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
#endif
		if (rc == 0 && devnull >= 0 && path_lookup(c->spec->argv[0], file, sizeof(file)))
			rc = vfork_exec(&c->pid, file, devnull, p[1], to_default, c->spec->argv, envp);
		else if (rc == 0)
			rc = posix_spawnp(&c->pid, c->spec->argv[0], &fa, attr, c->spec->argv, envp);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		return rc;
	}
	c->out_fd = p[0];
	c->state = CHILD_RUNNING;
	if (!*no_pidfd) {
		c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
		*no_pidfd = c->pidfd < 0 && errno == ENOSYS;
	}
	return 0;
}

/* Signals the child's process group (or the child alone before it has made one). */
static void
child_signal(struct child *c, int sig)
{
	if (kill(-c->pid, sig) != 0 && errno == ESRCH)
		(void)kill(c->pid, sig);
}

static void
child_terminate(struct child *c, enum proc_outcome why, int64_t now)
{
	if (c->state != CHILD_RUNNING || c->term_ms >= 0)
		return;
	c->why = why;
	c->term_ms = now;
	child_signal(c, SIGTERM);
}

/*
 * Reaps the child if it has exited. A child we were stopping takes what
 * is left of its group with it: SIGKILL goes out while the leader is still
 * a zombie, so the group's id cannot have been reused.
 */
static bool
child_reap(struct child *c, char *buf)
{
	siginfo_t si;
	size_t drained = 0;
	ssize_t n;
	pid_t got;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
		if (errno != ECHILD)
			return false;
		/* Reaped behind our back (SIGCHLD ignored, a waitpid(-1) elsewhere): status unknown. */
		c->status = 255 << 8;
	} else if (si.si_pid == 0) {
		return false;
	} else {
		if (c->term_ms >= 0 && !c->killed) {
			(void)kill(-c->pid, SIGKILL);
			c->killed = true;
		}
		do
			got = waitpid(c->pid, &c->status, 0);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			c->status = 255 << 8;
	}
	c->end_ms = now_ms();
	c->state = CHILD_DONE;
	if (c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	/* What it wrote is in the pipe now; whatever it left running may hold the pipe forever. */
	while (c->out_fd >= 0 && drained < DRAIN_MAX && (n = child_read(c, buf)) > 0)
		drained += (size_t)n;
	if (c->out_fd >= 0) {
		close(c->out_fd);
		c->out_fd = -1;
	}
	return true;
}

/* Milliseconds until this child's next deadline, -1 for none. */
static int64_t
child_next_deadline(const struct child *c, int64_t kill_after)
{
	if (c->state != CHILD_RUNNING)
		return -1;
	if (c->term_ms >= 0)
		return c->killed ? -1 : after_ms(c->term_ms, kill_after);
	if (c->spec->timeout_ms > 0)
		return after_ms(c->start_ms, c->spec->timeout_ms);
	return -1;
}

static void
child_check_deadline(struct child *c, int64_t kill_after, int64_t now)
{
	if (c->state != CHILD_RUNNING)
		return;
	if (c->term_ms < 0) {
		if (c->spec->timeout_ms > 0 && now >= after_ms(c->start_ms, c->spec->timeout_ms))
			child_terminate(c, PROC_TIMEOUT, now);
	} else if (!c->killed && now >= after_ms(c->term_ms, kill_after)) {
		child_signal(c, SIGKILL);
		c->killed = true;
	}
}

static bool
stop_readable(short revents)
{
	return (revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/* Waits for every running child, feeding their output through. */
static void
run_loop(struct child *kids, size_t n, const struct proc_options *opts, int64_t kill_after)
{
	struct pollfd *pf = xcalloc(2 * n + 1, sizeof(*pf));
	size_t *owner = xcalloc(2 * n + 1, sizeof(*owner));
	char *buf = xmalloc(READ_SIZE);
	int stop_fd = opts != NULL ? opts->stop_fd : -1;
	bool stopping = false;

	for (;;) {
		int64_t now = now_ms(), next = -1;
		size_t i, nfds = 0, running = 0;
		bool need_tick = false;
		int timeout, rc;

		for (i = 0; i < n; i++) {
			struct child *c = &kids[i];
			int64_t d;

			if (c->state != CHILD_RUNNING)
				continue;
			running++;
			if (c->out_fd >= 0) {
				pf[nfds].fd = c->out_fd;
				pf[nfds].events = POLLIN;
				owner[nfds++] = i;
			}
			if (c->pidfd >= 0) {
				pf[nfds].fd = c->pidfd;
				pf[nfds].events = POLLIN;
				owner[nfds++] = i;
			} else {
				need_tick = true;
			}
			d = child_next_deadline(c, kill_after);
			if (d >= 0 && (next < 0 || d < next))
				next = d;
		}
		if (running == 0)
			break;
		if (stop_fd >= 0 && !stopping) {
			pf[nfds].fd = stop_fd;
			pf[nfds].events = POLLIN;
			owner[nfds++] = n;
		}
		if (next < 0)
			timeout = -1;
		else
			timeout = next <= now ? 0 : next - now > INT_MAX ? INT_MAX : (int)(next - now);
		if (need_tick && (timeout < 0 || timeout > FALLBACK_TICK_MS))
			timeout = FALLBACK_TICK_MS;
		rc = poll(pf, (nfds_t)nfds, timeout);
		if (rc < 0 && errno != EINTR) {
			/* Cannot happen with valid fds; tick rather than spin. */
			(void)poll(NULL, 0, FALLBACK_TICK_MS);
			rc = 0;
		}
		now = now_ms();
		for (i = 0; rc > 0 && i < nfds; i++) {
			struct child *c;

			if (pf[i].revents == 0)
				continue;
			if (owner[i] == n) {
				if (pf[i].revents & POLLNVAL) {
					stop_fd = -1;
				} else if (stop_readable(pf[i].revents)) {
					size_t k;

					stopping = true;
					for (k = 0; k < n; k++)
						child_terminate(&kids[k], PROC_STOPPED, now);
				}
				continue;
			}
			c = &kids[owner[i]];
			if (c->state != CHILD_RUNNING)
				continue;
			if (pf[i].fd == c->out_fd)
				(void)child_read(c, buf);
			else if (pf[i].fd == c->pidfd)
				(void)child_reap(c, buf);
		}
		for (i = 0; i < n; i++) {
			struct child *c = &kids[i];

			if (c->state == CHILD_RUNNING && c->pidfd < 0)
				(void)child_reap(c, buf);
			child_check_deadline(c, kill_after, now);
		}
	}
	free(buf);
	free(owner);
	free(pf);
}

static void
child_result(struct child *c, struct proc_result *r)
{
	int st = c->status, err;

	r->duration_ms = c->end_ms - c->start_ms;
	if (WIFSIGNALED(st)) {
		r->outcome = PROC_SIGNALED;
		r->exit_status = 128 + WTERMSIG(st);
	} else {
		r->outcome = PROC_EXITED;
		r->exit_status = WEXITSTATUS(st);
	}
	if (c->term_ms >= 0)
		r->outcome = c->why;
	else if (r->outcome == PROC_EXITED && r->exit_status == 127 &&
		 (err = program_missing(c->spec->argv[0])) != 0)
		note_spawn_failure(c, r, err);
}

static void
spawnattr_setup(posix_spawnattr_t *attr, sigset_t *ignored)
{
	sigset_t none;

	sigemptyset(&none);
	/*
	 * Whatever we ignore or block (SIGPIPE, SIGINT in a handler thread)
	 * must not reach the command. exec itself resets caught signals; only
	 * ignored ones survive it, so only those are reset: asking for all 64
	 * cost the child 64 sigaction calls before every exec.
	 */
	sigemptyset(ignored);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler == SIG_IGN)
			sigaddset(ignored, sig);
	}
	(void)posix_spawnattr_init(attr);
	(void)posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				       POSIX_SPAWN_SETSIGDEF);
	(void)posix_spawnattr_setpgroup(attr, 0);
	(void)posix_spawnattr_setsigmask(attr, &none);
	(void)posix_spawnattr_setsigdefault(attr, ignored);
}

int
proc_run(const struct proc_spec *specs, size_t n, const struct proc_options *opts,
	 struct proc_result *results)
{
	const struct redact *red = opts != NULL ? opts->redact : NULL;
	unsigned tail_lines = opts != NULL && opts->tail_lines > 0 ? opts->tail_lines : PROC_TAIL_LINES;
	int64_t kill_after = opts != NULL && opts->kill_after_ms > 0 ? opts->kill_after_ms
								    : PROC_KILL_AFTER_MS;
	struct child *kids;
	posix_spawnattr_t attr;
	bool stopped, no_pidfd = false;
	int ret = 0;
	size_t i;

	if (n == 0)
		return 0;
	kids = xcalloc(n, sizeof(*kids));
	for (i = 0; i < n; i++) {
		struct child *c = &kids[i];

		c->spec = &specs[i];
		c->state = CHILD_IDLE;
		c->pidfd = c->out_fd = c->log_fd = -1;
		c->term_ms = -1;
		redact_stream_init(&c->rs, red);
		strbuf_init(&c->red, 0);
		tail_init(&c->tail, tail_lines);
		memset(&results[i], 0, sizeof(results[i]));
		results[i].outcome = PROC_SPAWN_FAILED;
		results[i].exit_status = 127;
	}
	stopped = ret == 0 && opts != NULL && proc_stop_requested(opts->stop_fd);
	if (ret == 0 && !stopped) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sigset_t to_default;

		spawnattr_setup(&attr, &to_default);
		for (i = 0; i < n; i++) {
			struct child *c = &kids[i];
			int err;

			c->start_ms = now_ms();
			if ((err = child_spawn(c, &attr, devnull, &to_default, &no_pidfd)) != 0) {
				c->end_ms = now_ms();
				results[i].duration_ms = c->end_ms - c->start_ms;
				note_spawn_failure(c, &results[i], err);
			}
		}
		posix_spawnattr_destroy(&attr);
		if (devnull >= 0)
			close(devnull);
		run_loop(kids, n, opts, kill_after);
	}
	for (i = 0; i < n; i++) {
		struct child *c = &kids[i];

		if (stopped) {
			results[i].outcome = PROC_STOPPED;
			results[i].exit_status = 128 + SIGTERM;
		} else if (c->state == CHILD_DONE) {
			child_result(c, &results[i]);
		}
		redact_stream_finish(&c->rs, &c->red);
		child_emit(c);
		results[i].tail = tail_finish(&c->tail);
		results[i].logged = c->log_fd >= 0;
		if (c->log_errno != 0 && ret == 0)
			ret = diag_error_errno(CODE_EXIT_IOERR, c->log_errno, NULL,
					       "cannot write log file '%s'", c->spec->log_path);
		if (c->log_fd >= 0 && close(c->log_fd) != 0 && ret == 0)
			ret = diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
					       "cannot write log file '%s'", c->spec->log_path);
		redact_stream_release(&c->rs);
		strbuf_release(&c->red);
		tail_release(&c->tail);
	}
	free(kids);
	return ret;
}

void
proc_result_release(struct proc_result *r)
{
	free(r->tail);
	r->tail = NULL;
}

bool
proc_stop_requested(int stop_fd)
{
	struct pollfd pf;

	if (stop_fd < 0)
		return false;
	pf.fd = stop_fd;
	pf.events = POLLIN;
	pf.revents = 0;
	while (poll(&pf, 1, 0) < 0)
		if (errno != EINTR)
			return false;
	return stop_readable(pf.revents);
}

bool
proc_sleep(int stop_fd, int64_t ms)
{
	int64_t deadline = after_ms(now_ms(), ms > 0 ? ms : 0);

	for (;;) {
		struct pollfd pf;
		int64_t left = deadline - now_ms();
		int rc;

		if (left <= 0)
			return !proc_stop_requested(stop_fd);
		pf.fd = stop_fd;
		pf.events = POLLIN;
		pf.revents = 0;
		rc = poll(&pf, stop_fd >= 0 ? 1 : 0, left > INT_MAX ? INT_MAX : (int)left);
		if (rc > 0 && stop_readable(pf.revents))
			return false;
		if (rc > 0 && (pf.revents & POLLNVAL))
			stop_fd = -1;
	}
}

/* The signal's name without "SIG", or NULL. */
static const char *
signal_abbrev(int sig)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	return sigabbrev_np(sig);
#else
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" }, { SIGILL, "ILL" },
		{ SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" }, { SIGBUS, "BUS" }, { SIGFPE, "FPE" },
		{ SIGKILL, "KILL" }, { SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" },
		{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" }, { SIGXCPU, "XCPU" },
		{ SIGXFSZ, "XFSZ" }, { SIGSYS, "SYS" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sig == sig)
			return names[i].name;
	return NULL;
#endif
}

void
proc_describe(const struct proc_result *r, const char *argv0, int64_t timeout_ms, char *buf,
	      size_t size)
{
	char dur[64];
	const char *name;

	if (size == 0)
		return;
	switch (r->outcome) {
	case PROC_EXITED:
		snprintf(buf, size, "exit %d", r->exit_status);
		break;
	case PROC_SIGNALED:
		name = signal_abbrev(r->exit_status - 128);
		if (name != NULL)
			snprintf(buf, size, "killed by SIG%s", name);
		else
			snprintf(buf, size, "killed by signal %d", r->exit_status - 128);
		break;
	case PROC_TIMEOUT:
		units_format_duration_ms(timeout_ms > 0 ? (uint64_t)timeout_ms : 0, dur, sizeof(dur));
		snprintf(buf, size, "timed out after %s", dur);
		break;
	case PROC_STOPPED:
		snprintf(buf, size, "stopped");
		break;
	case PROC_SPAWN_FAILED:
	default:
		snprintf(buf, size, "cannot run '%s': %s", argv0 != NULL ? argv0 : "?",
			 strerror(r->spawn_errno != 0 ? r->spawn_errno : ENOENT));
		break;
	}
}
