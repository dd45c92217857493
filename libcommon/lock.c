/* lock.c: flock-based locks that stop two runs writing one file. */
#include "libcommon/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"

int
lock_acquire(const char *path, int *out_fd)
{
	struct strbuf lock_path = STRBUF_INIT;
	char pid[32];
	int fd, n, ret = -CODE_EXIT_IOERR;

	*out_fd = -1;
	strbuf_addf(&lock_path, "%s.lock", path);
	fd = open(lock_path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		diag_error_errno(CODE_EXIT_IOERR, errno, NULL, "cannot open lock '%s'",
				 lock_path.buf);
		goto out;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			ssize_t got = pread(fd, pid, sizeof(pid) - 1, 0);

			pid[got > 0 ? got : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			ret = diag_error(CODE_EXIT_TEMPFAIL, NULL,
					 "'%s' is locked by another run%s%s%s; try again later",
					 path, pid[0] ? " (pid " : "", pid,
					 pid[0] ? ")" : "");
		} else {
			diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
					 "cannot lock '%s'", lock_path.buf);
		}
		close(fd);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)n, 0);
	*out_fd = fd;
	ret = 0;
out:
	strbuf_release(&lock_path);
	return ret;
}

void
lock_release(int fd)
{
	if (fd < 0)
		return;
	/* Clear the pid first, so a stale file never names a finished run. */
	(void)!ftruncate(fd, 0);
	flock(fd, LOCK_UN);
	close(fd);
}
