/* atomic.c: replace a file so readers see the old or the new, never half. */
#include "libcommon/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

int
atomic_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
atomic_sync_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd, ret = 0;

	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (fsync(fd) < 0 && errno != EINVAL))
		ret = -1;
	if (fd >= 0)
		close(fd);
	free(dir);
	return ret;
}

int
atomic_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	struct strbuf tmp = STRBUF_INIT;
	int fd, err, ret = -CODE_EXIT_IOERR;

	strbuf_addf(&tmp, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		err = errno;
		diag_error_errno(CODE_EXIT_IOERR, err, NULL,
				 "cannot create a temporary file for '%s'", path);
		goto out;
	}
	if (fchmod(fd, mode) < 0 || atomic_write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0) {
		err = errno;
		close(fd);
		unlink(tmp.buf);
		diag_error_errno(CODE_EXIT_IOERR, err, NULL, "cannot write '%s'", path);
		goto out;
	}
	if (close(fd) < 0) {
		err = errno;
		unlink(tmp.buf);
		diag_error_errno(CODE_EXIT_IOERR, err, NULL, "cannot write '%s'", path);
		goto out;
	}
	if (rename(tmp.buf, path) < 0) {
		err = errno;
		unlink(tmp.buf);
		diag_error_errno(CODE_EXIT_IOERR, err, NULL, "cannot replace '%s'", path);
		goto out;
	}
	if (atomic_sync_dir(path) < 0) {
		diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
				 "cannot sync the directory of '%s'", path);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&tmp);
	return ret;
}

int
atomic_write_json(const char *path, const json_t *value, mode_t mode, const char *what)
{
	char *text = value ? json_dumps(value, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	size_t len;
	int ret;

	if (text == NULL)
		return diag_error(CODE_EXIT_SOFTWARE, NULL, "cannot encode %s '%s'", what, path);
	len = strlen(text);
	/* json_dumps leaves no room for the newline: grow by one. */
	text = xrealloc(text, len + 2);
	text[len] = '\n';
	text[len + 1] = '\0';
	ret = atomic_write_file(path, text, len + 1, mode);
	free(text);
	return ret;
}
