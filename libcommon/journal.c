/* journal.c: an append-only NDJSON journal whose records are on disk before the next action. */
#include "libcommon/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcommon/atomic.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

/*
 * Records are numbered in the order they were written. written is the
 * last number written, synced the last one known durable: an fdatasync
 * that started after record k was written covers k. One appender at a
 * time (the syncer) runs fdatasync, outside the mutex so others keep
 * writing; those wait and the first of them to find nobody syncing
 * covers them all with the next one.
 */
struct journal {
	char *path;
	int fd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t written;
	uint64_t synced;
	bool syncing;
	int err;                /* the first failure, sticky */
};

/*
 * Cuts a last line without '\n' (a write cut short by a crash), so the
 * next record does not glue onto it. Reads backwards in blocks: only the
 * tail of a long journal is touched.
 */
static int
cut_torn_tail(int fd)
{
	char buf[4096];
	struct stat st;
	off_t end, start;
	ssize_t n, i;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return 0;
	end = st.st_size;
	while (end > 0) {
		start = end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0;
		n = pread(fd, buf, (size_t)(end - start), start);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != end - start) {
			if (n >= 0)
				errno = EIO;
			return -1;
		}
		for (i = n; i > 0; i--)
			if (buf[i - 1] == '\n')
				break;
		if (i > 0) {
			end = start + i;
			break;
		}
		end = start;
	}
	if (end == st.st_size)
		return 0;
	if (ftruncate(fd, end) < 0 || fdatasync(fd) < 0)
		return -1;
	return 0;
}

static int
open_file(const char *path, bool fresh, bool *created)
{
	int flags = O_RDWR | O_APPEND | O_CLOEXEC;
	int fd;

	for (;;) {
		fd = open(path, flags | O_CREAT | O_EXCL, 0600);
		if (fd >= 0) {
			*created = true;
			return fd;
		}
		if (errno != EEXIST)
			return -1;
		fd = open(path, flags | (fresh ? O_TRUNC : 0));
		if (fd >= 0 || errno != ENOENT)
			return fd;
		/* Removed between the two opens: try creating it again. */
	}
}

int
journal_open(const char *path, bool fresh, struct journal **out)
{
	struct journal *j;
	bool created = false;
	int fd, e;

	struct stat st;

	*out = NULL;
	/* Checked before opening: a FIFO would block the open, a device take records forever. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return diag_error(CODE_EXIT_IOERR, NULL,
				  "cannot open journal '%s': not a regular file", path);
	fd = open_file(path, fresh, &created);
	if (fd < 0)
		return diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
					"cannot open journal '%s'", path);
	if ((created && (fsync(fd) < 0 || atomic_sync_dir(path) < 0)) ||
	    (!created && fresh && fsync(fd) < 0 && errno != EINVAL) ||
	    (!created && !fresh && cut_torn_tail(fd) < 0)) {
		e = errno;
		close(fd);
		return diag_error_errno(CODE_EXIT_IOERR, e, NULL,
					"cannot open journal '%s'", path);
	}
	j = xcalloc(1, sizeof(*j));
	j->path = xstrdup(path);
	j->fd = fd;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	*out = j;
	return 0;
}

/* Records the first failure and says so once; called with the mutex held. */
static int
fail_locked(struct journal *j, int errnum)
{
	if (j->err == 0) {
		j->err = -CODE_EXIT_IOERR;
		diag_error_errno(CODE_EXIT_IOERR, errnum, NULL,
				 "journal '%s': write failed", j->path);
	}
	pthread_cond_broadcast(&j->cv);
	return j->err;
}

int
journal_append(struct journal *j, const char *rec, size_t len)
{
	char *line;
	uint64_t seq, target;
	int ret = 0, rc, e;

	if (memchr(rec, '\n', len) != NULL)
		return diag_error(CODE_EXIT_SOFTWARE, NULL,
				  "journal '%s': record holds a newline", j->path);
	line = xmalloc(len + 1);
	memcpy(line, rec, len);
	line[len] = '\n';

	pthread_mutex_lock(&j->mu);
	if (j->err != 0) {
		ret = j->err;
		goto out;
	}
	/* Under the mutex and whole, so records never interleave. */
	if (atomic_write_all(j->fd, line, len + 1) < 0) {
		ret = fail_locked(j, errno);
		goto out;
	}
	seq = ++j->written;
	while (j->synced < seq) {
		if (j->err != 0) {
			ret = j->err;
			goto out;
		}
		if (j->syncing) {
			pthread_cond_wait(&j->cv, &j->mu);
			continue;
		}
		/* Everything written so far is covered by a sync started now. */
		j->syncing = true;
		target = j->written;
		pthread_mutex_unlock(&j->mu);
		do
			rc = fdatasync(j->fd);
		while (rc < 0 && errno == EINTR);
		e = errno;
		pthread_mutex_lock(&j->mu);
		j->syncing = false;
		if (rc < 0 && e != EINVAL) {
			ret = fail_locked(j, e);
			goto out;
		}
		if (target > j->synced)
			j->synced = target;
		/* Wakes those now durable, and hands the next sync to a waiter. */
		pthread_cond_broadcast(&j->cv);
	}
out:
	pthread_mutex_unlock(&j->mu);
	free(line);
	return ret;
}

int
journal_close(struct journal *j)
{
	int ret;

	if (j == NULL)
		return 0;
	ret = j->err;
	if (close(j->fd) < 0 && ret == 0)
		ret = diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
				       "journal '%s': close failed", j->path);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j->path);
	free(j);
	return ret;
}

static bool
blank(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

static int
read_whole(const char *path, struct strbuf *sb)
{
	char buf[65536];
	ssize_t n;
	int fd, e;

	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A device (/dev/zero) would be read forever. */
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		strbuf_add(sb, buf, (size_t)n);
	}
	e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

int
journal_read(const char *path, journal_record_fn fn, void *ctx)
{
	struct strbuf sb = STRBUF_INIT;
	struct diag_loc loc = { path, 0, 0 };
	json_error_t jerr;
	json_t *rec;
	const char *p, *end, *nl;
	int ret = 0;

	if (read_whole(path, &sb) < 0) {
		if (errno == ENOENT) {
			strbuf_release(&sb);
			return 0;
		}
		ret = errno == EINVAL
		      ? diag_error(CODE_EXIT_NOINPUT, NULL,
				   "cannot read journal '%s': not a regular file", path)
		      : diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
					 "cannot read journal '%s'", path);
		strbuf_release(&sb);
		return ret;
	}
	p = sb.buf;
	end = sb.buf + sb.len;
	/* A last line without '\n' is what a crash leaves: not a record yet. */
	while (ret == 0 && p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		loc.line++;
		if (!blank(p, (size_t)(nl - p))) {
			rec = json_loadb(p, (size_t)(nl - p),
					 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
			if (rec == NULL) {
				ret = diag_error(CODE_EXIT_DATAERR, &loc,
						 "invalid journal record: %s", jerr.text);
				break;
			}
			if (!json_is_object(rec))
				ret = diag_error(CODE_EXIT_DATAERR, &loc,
						 "invalid journal record: not a JSON object");
			else
				ret = fn(rec, loc.line, ctx);
			json_decref(rec);
		}
		p = nl + 1;
	}
	strbuf_release(&sb);
	return ret;
}
