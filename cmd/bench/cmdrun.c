/* cmdrun.c: one timed run of a benchmarked command, spawned and reaped as hyperfine does, with shell-words splitting for -N. */
#include "cmd/bench/cmdrun.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

extern char **environ;

/* The states of the shell-words crate's splitter, which hyperfine -N uses. */
enum split_state {
	SPLIT_DELIM,
	SPLIT_BACKSLASH,
	SPLIT_UNQUOTED,
	SPLIT_UNQUOTED_BACKSLASH,
	SPLIT_SINGLE,
	SPLIT_DOUBLE,
	SPLIT_DOUBLE_BACKSLASH,
	SPLIT_COMMENT
};

static void
push_word(char ***argv, size_t *n, size_t *alloc, struct strbuf *word)
{
	if (*n + 2 > *alloc) {
		*alloc = *alloc ? *alloc * 2 : 8;
		*argv = xrealloc(*argv, *alloc * sizeof(**argv));
	}
	(*argv)[(*n)++] = strbuf_detach(word, NULL);
	(*argv)[*n] = NULL;
}

void
cmdrun_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/*
 * Follows shell_words::split state for state, so a command line means
 * the same to us as to hyperfine -N: a '#' starting a word comments out
 * the rest of the line, and a backslash ending the line stays literal.
 */
int
cmdrun_split(const char *command, char ***argv)
{
	struct strbuf word = STRBUF_INIT;
	enum split_state st = SPLIT_DELIM;
	char **words = NULL;
	size_t n = 0, alloc = 0, quote_col = 0;
	const char *p;

	*argv = NULL;
	for (p = command;; p++) {
		char c = *p;

		switch (st) {
		case SPLIT_DELIM:
			if (c == '\0')
				goto done;
			if (c == '\'' || c == '"') {
				quote_col = (size_t)(p - command) + 1;
				st = c == '\'' ? SPLIT_SINGLE : SPLIT_DOUBLE;
			} else if (c == '\\') {
				st = SPLIT_BACKSLASH;
			} else if (c == '#') {
				st = SPLIT_COMMENT;
			} else if (c != ' ' && c != '\t' && c != '\n') {
				strbuf_addch(&word, c);
				st = SPLIT_UNQUOTED;
			}
			break;
		case SPLIT_BACKSLASH:
		case SPLIT_UNQUOTED_BACKSLASH:
			if (c == '\0') {
				strbuf_addch(&word, '\\');
				push_word(&words, &n, &alloc, &word);
				goto done;
			}
			/* An escaped newline joins lines: no character at all. */
			if (c == '\n')
				st = st == SPLIT_BACKSLASH ? SPLIT_DELIM : SPLIT_UNQUOTED;
			else {
				strbuf_addch(&word, c);
				st = SPLIT_UNQUOTED;
			}
			break;
		case SPLIT_UNQUOTED:
			if (c == '\0') {
				push_word(&words, &n, &alloc, &word);
				goto done;
			}
			if (c == '\'' || c == '"') {
				quote_col = (size_t)(p - command) + 1;
				st = c == '\'' ? SPLIT_SINGLE : SPLIT_DOUBLE;
			} else if (c == '\\') {
				st = SPLIT_UNQUOTED_BACKSLASH;
			} else if (c == ' ' || c == '\t' || c == '\n') {
				push_word(&words, &n, &alloc, &word);
				st = SPLIT_DELIM;
			} else {
				strbuf_addch(&word, c);
			}
			break;
		case SPLIT_SINGLE:
			if (c == '\0')
				goto unterminated;
			if (c == '\'')
				st = SPLIT_UNQUOTED;
			else
				strbuf_addch(&word, c);
			break;
		case SPLIT_DOUBLE:
			if (c == '\0')
				goto unterminated;
			if (c == '"')
				st = SPLIT_UNQUOTED;
			else if (c == '\\')
				st = SPLIT_DOUBLE_BACKSLASH;
			else
				strbuf_addch(&word, c);
			break;
		case SPLIT_DOUBLE_BACKSLASH:
			if (c == '\0')
				goto unterminated;
			/* Inside "", only these four lose their backslash. */
			if (c != '\n' && c != '$' && c != '`' && c != '"' && c != '\\')
				strbuf_addch(&word, '\\');
			if (c != '\n')
				strbuf_addch(&word, c);
			st = SPLIT_DOUBLE;
			break;
		case SPLIT_COMMENT:
			if (c == '\0')
				goto done;
			if (c == '\n')
				st = SPLIT_DELIM;
			break;
		}
	}
unterminated:
	strbuf_release(&word);
	cmdrun_argv_free(words);
	return diag_error(CODE_EXIT_USAGE, NULL,
			  "unterminated quote in '%s' (the %c at column %zu is never closed)",
			  command, command[quote_col - 1], quote_col);
done:
	strbuf_release(&word);
	if (n == 0) {
		free(words);
		return diag_error(CODE_EXIT_USAGE, NULL, "empty command");
	}
	*argv = words;
	return 0;
}

/* Whether execve could run path; when not, errno says why. */
static bool
is_runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return false;
	}
	return access(path, X_OK) == 0;
}

/*
 * Finds prog as execvp would, before the clock starts, so the timed spawn
 * is a single execve and no failed ones along PATH. Returns a malloc'd
 * path, or NULL with errno set.
 */
static char *
resolve_program(const char *prog)
{
	const char *path = getenv("PATH"), *p;
	struct strbuf sb = STRBUF_INIT;

	if (strchr(prog, '/') != NULL) {
		return is_runnable(prog) ? xstrdup(prog) : NULL;
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		strbuf_reset(&sb);
		/* An empty PATH entry is the current directory. */
		strbuf_add(&sb, len ? p : ".", len ? len : 1);
		strbuf_addch(&sb, '/');
		strbuf_addstr(&sb, prog);
		if (is_runnable(sb.buf))
			return strbuf_detach(&sb, NULL);
		if (end == NULL)
			break;
		p = end;
	}
	strbuf_release(&sb);
	errno = ENOENT;
	return NULL;
}

static double
ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) * 1e-9;
}

static double
tv_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec * 1e-6;
}

int
cmdrun_once(const struct cmdrun_spec *spec, char *const *argv, struct cmdrun_result *r)
{
	char *shell_argv[4];
	char *const *args = argv;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t set;
	struct timespec t0, t1;
	struct rusage ru;
	char *prog;
	pid_t pid;
	int nullfd, infd, rc, status, ret = 0;

	memset(r, 0, sizeof(*r));
	if (spec->shell != NULL) {
		shell_argv[0] = (char *)spec->shell;
		shell_argv[1] = (char *)"-c";
		shell_argv[2] = (char *)spec->command;
		shell_argv[3] = NULL;
		args = shell_argv;
	}
	if (args == NULL || args[0] == NULL)
		return diag_error(CODE_EXIT_USAGE, NULL, "empty command");
	prog = resolve_program(args[0]);
	if (prog == NULL)
		return diag_error(CODE_EXIT_NOINPUT, NULL, "cannot run '%s': %s", args[0],
				  strchr(args[0], '/') ? strerror(errno) : "not found in PATH");

	/* Every descriptor is opened here, not by the child, so none of it is timed. */
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0) {
		ret = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "cannot open '/dev/null'");
		free(prog);
		return ret;
	}
	infd = nullfd;
	if (spec->input_path != NULL) {
		infd = open(spec->input_path, O_RDONLY | O_CLOEXEC);
		if (infd < 0) {
			ret = diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL, "cannot open '%s'",
					       spec->input_path);
			close(nullfd);
			free(prog);
			return ret;
		}
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, infd, STDIN_FILENO);
	if (!spec->show_output) {
		posix_spawn_file_actions_adddup2(&fa, nullfd, STDOUT_FILENO);
		posix_spawn_file_actions_adddup2(&fa, nullfd, STDERR_FILENO);
	}
	/*
	 * As Rust's Command (and so hyperfine) spawns: no blocked signals and
	 * SIGPIPE at its default even if we ignore it, so a command behaves as
	 * it does from a shell.
	 */
	posix_spawnattr_init(&attr);
	sigemptyset(&set);
	posix_spawnattr_setsigmask(&attr, &set);
	sigaddset(&set, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &set);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = posix_spawn(&pid, prog, &fa, &attr, args, environ);
	if (rc == 0) {
		while (wait4(pid, &status, 0, &ru) < 0) {
			if (errno != EINTR) {
				rc = errno;
				break;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
	}

	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (infd != nullfd)
		close(infd);
	close(nullfd);
	free(prog);
	if (rc != 0)
		return diag_error_errno(CODE_EXIT_NOINPUT, rc, NULL, "cannot run '%s'", args[0]);
	r->wall_s = ts_diff(&t0, &t1);
	r->user_s = tv_seconds(&ru.ru_utime);
	r->system_s = tv_seconds(&ru.ru_stime);
	if (WIFSIGNALED(status)) {
		r->exit_code = 128 + WTERMSIG(status);
		r->signaled = true;
	} else {
		r->exit_code = WEXITSTATUS(status);
	}
	return 0;
}

int
cmdrun_shell_overhead(const struct cmdrun_spec *spec, unsigned n, struct cmdrun_result *mean)
{
	struct cmdrun_spec empty = *spec;
	struct cmdrun_result r;
	double wall = 0, user = 0, sys = 0;
	unsigned i, warmups = 3;
	int ret;

	memset(mean, 0, sizeof(*mean));
	if (spec->shell == NULL)
		return 0;
	if (n == 0)
		n = 1;
	empty.command = "";
	empty.show_output = false;
	for (i = 0; i < warmups + n; i++) {
		ret = cmdrun_once(&empty, NULL, &r);
		if (ret != 0)
			return ret;
		if (r.exit_code != 0)
			return diag_error(CODE_EXIT_NOINPUT, NULL,
					  "cannot measure the shell's start-up: '%s -c \"\"' %s %d",
					  spec->shell, r.signaled ? "was killed by signal" : "exited with",
					  r.signaled ? r.exit_code - 128 : r.exit_code);
		if (i < warmups)
			continue;
		wall += r.wall_s;
		user += r.user_s;
		sys += r.system_s;
	}
	mean->wall_s = wall / n;
	mean->user_s = user / n;
	mean->system_s = sys / n;
	return 0;
}
