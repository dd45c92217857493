/* runexec.c: run a command teeing and capturing its output, or replay a stored run byte for byte. */
#include "cmd/cache/runexec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/dirs.h"
#include "libcommon/exitcodes.h"
#include "libcommon/xalloc.h"

extern char **environ;

/* Writes all of buf to fd; EPIPE and friends are our own output failing. */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Whether prog can be run: a path must be executable, a bare name must be
 * found in PATH. Checked first so the error is ours and immediate, whatever
 * the spawn implementation (under valgrind a failed exec only shows as a
 * child exiting 127).
 */
static bool
program_found(const char *prog)
{
	const char *path = getenv("PATH"), *p;
	struct strbuf sb = STRBUF_INIT;
	bool found = false;

	if (strchr(prog, '/') != NULL)
		return access(prog, X_OK) == 0;
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; !found; p++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct stat st;

		strbuf_reset(&sb);
		strbuf_add(&sb, len ? p : ".", len ? len : 1);
		strbuf_addch(&sb, '/');
		strbuf_addstr(&sb, prog);
		found = stat(sb.buf, &st) == 0 && S_ISREG(st.st_mode) && access(sb.buf, X_OK) == 0;
		if (end == NULL)
			break;
		p = end;
	}
	strbuf_release(&sb);
	return found;
}

static void
close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

int
runexec_spawn(char *const *argv, const void *stdin_data, size_t stdin_len, bool has_stdin,
	      struct runexec_result *res)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, inp[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	struct sigaction ign, old_pipe;
	size_t in_off = 0;
	pid_t pid;
	int rc, status, ret = 0, write_errno = 0;

	memset(res, 0, sizeof(*res));
	strbuf_init(&res->out, 0);
	strbuf_init(&res->err, 0);
	if (!program_found(argv[0]))
		return diag_error(CODE_EXIT_NOINPUT, NULL, "cannot run '%s': %s", argv[0],
				  strchr(argv[0], '/') ? strerror(errno) : "not found in PATH");
	if (pipe(outp) != 0 || pipe(errp) != 0 || (has_stdin && pipe(inp) != 0)) {
		ret = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "cannot make a pipe");
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	posix_spawn_file_actions_addclose(&fa, outp[0]);
	posix_spawn_file_actions_addclose(&fa, errp[0]);
	if (has_stdin) {
		posix_spawn_file_actions_adddup2(&fa, inp[0], STDIN_FILENO);
		posix_spawn_file_actions_addclose(&fa, inp[1]);
	}
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		ret = diag_error_errno(CODE_EXIT_NOINPUT, rc, NULL, "cannot run '%s'", argv[0]);
		goto out;
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (has_stdin) {
		close(inp[0]);
		inp[0] = -1;
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
		if (stdin_len == 0) {
			close(inp[1]);
			inp[1] = -1;
		}
	}
	/* A command that stops reading its stdin must not kill us with SIGPIPE. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old_pipe);
	while (outp[0] >= 0 || errp[0] >= 0) {
		struct pollfd pf[3];
		int nfds = 0, i;

		pf[nfds].fd = outp[0];
		pf[nfds++].events = POLLIN;
		pf[nfds].fd = errp[0];
		pf[nfds++].events = POLLIN;
		pf[nfds].fd = inp[1];
		pf[nfds++].events = POLLOUT;
		if (poll(pf, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			int *fd = i == 0 ? &outp[0] : &errp[0];
			struct strbuf *keep = i == 0 ? &res->out : &res->err;
			char buf[65536];
			ssize_t n;

			if (*fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(*fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			strbuf_add(keep, buf, (size_t)n);
			/* Keep capturing even if our own output fails: the run still completes. */
			if (write_errno == 0) {
				int w = write_all(i == 0 ? STDOUT_FILENO : STDERR_FILENO, buf, (size_t)n);

				if (w < 0)
					write_errno = -w;
			}
		}
		if (inp[1] >= 0 && (pf[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(inp[1], (const char *)stdin_data + in_off, stdin_len - in_off);

			if (n > 0)
				in_off += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) || in_off == stdin_len) {
				close(inp[1]);
				inp[1] = -1;
			}
		}
	}
	if (inp[1] >= 0) {
		close(inp[1]);
		inp[1] = -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (WIFSIGNALED(status)) {
		res->signaled = true;
		res->exit_status = 128 + WTERMSIG(status);
	} else {
		res->exit_status = WEXITSTATUS(status);
	}
	if (write_errno != 0 && write_errno != EPIPE)
		ret = diag_error_errno(CODE_EXIT_IOERR, write_errno, NULL, "write error");
out:
	close_pair(outp);
	close_pair(errp);
	close_pair(inp);
	return ret;
}

void
runexec_result_release(struct runexec_result *res)
{
	strbuf_release(&res->out);
	strbuf_release(&res->err);
}

int
runexec_collect(const char *const *outputs, size_t n, struct run_file **files,
		struct strbuf *storage)
{
	size_t i, *offs = xcalloc(n ? n : 1, sizeof(*offs));
	struct run_file *f = xcalloc(n ? n : 1, sizeof(*f));
	int ret = 0;

	for (i = 0; i < n && ret == 0; i++) {
		struct stat st;
		int fd = open(outputs[i], O_RDONLY | O_CLOEXEC);
		char buf[65536];
		ssize_t got;

		if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			ret = diag_error(CODE_EXIT_NOINPUT, NULL,
					 "the command did not write '%s' (--output); nothing is cached",
					 outputs[i]);
			if (fd >= 0)
				close(fd);
			break;
		}
		f[i].path = outputs[i];
		f[i].path_len = strlen(outputs[i]);
		f[i].mode = (uint32_t)(st.st_mode & 0777);
		offs[i] = storage->len;
		while ((got = read(fd, buf, sizeof(buf))) > 0)
			strbuf_add(storage, buf, (size_t)got);
		if (got < 0)
			ret = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "cannot read '%s'",
					       outputs[i]);
		f[i].len = storage->len - offs[i];
		close(fd);
	}
	/* Pointers only now: the storage may have moved while it grew. */
	for (i = 0; i < n; i++)
		f[i].data = storage->buf != NULL ? storage->buf + offs[i] : "";
	free(offs);
	if (ret < 0) {
		free(f);
		*files = NULL;
		return ret;
	}
	*files = f;
	return 0;
}

/* Writes one output file: parents made, temp file, mode, rename. */
static int
replay_file(const char *path, const struct run_file *f)
{
	struct strbuf tmp = STRBUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd, ret = 0;

	if (slash != NULL && slash != path) {
		char *dir = xstrdup(path);

		dir[slash - path] = '\0';
		ret = dirs_make(dir, 0777);
		free(dir);
		if (ret < 0)
			return ret;
	}
	strbuf_addf(&tmp, "%s.code-cache.%ld.tmp", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)f->mode);
	if (fd < 0) {
		ret = diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "cannot write '%s'", path);
	} else {
		int w = write_all(fd, f->data, f->len);

		/* The umask must not change the stored mode. */
		if (w == 0 && fchmod(fd, (mode_t)f->mode) != 0)
			w = -errno;
		if (close(fd) != 0 && w == 0)
			w = -errno;
		if (w == 0 && rename(tmp.buf, path) != 0)
			w = -errno;
		if (w < 0) {
			ret = diag_error_errno(CODE_EXIT_IOERR, -w, NULL, "cannot write '%s'", path);
			unlink(tmp.buf);
		}
	}
	strbuf_release(&tmp);
	return ret;
}

int
runexec_replay(const struct run_record *rec, const char *const *outputs, size_t n)
{
	size_t i, k;
	int w;

	w = write_all(STDOUT_FILENO, rec->out, rec->out_len);
	if (w == 0)
		w = write_all(STDERR_FILENO, rec->err, rec->err_len);
	if (w < 0 && w != -EPIPE)
		return diag_error_errno(CODE_EXIT_IOERR, -w, NULL, "write error");
	for (i = 0; i < n; i++) {
		size_t len = strlen(outputs[i]);

		for (k = 0; k < rec->nfiles; k++)
			if (rec->files[k].path_len == len &&
			    memcmp(rec->files[k].path, outputs[i], len) == 0)
				break;
		if (k == rec->nfiles)
			return diag_error(CODE_EXIT_DATAERR, NULL,
					  "the cached run has no '%s'", outputs[i]);
		if ((w = replay_file(outputs[i], &rec->files[k])) < 0)
			return w;
	}
	return 0;
}
