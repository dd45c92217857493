/* filemap.h: a regular file's bytes in memory, mapped read-only. */
#ifndef CODE_FILEMAP_H
#define CODE_FILEMAP_H

#include <stddef.h>

/*
 * The bytes of a regular file: mapped with mmap (read-only, advised
 * sequential) so a scan of a big log copies nothing. data is NULL for an
 * empty file. The mapping is a snapshot only as far as the file is not
 * truncated meanwhile: callers scanning files that may shrink under them
 * (a log being rotated) must read instead (see input.h).
 */
struct filemap {
	const char *data;
	size_t len;
};

/*
 * Returns 0, -CODE_EXIT_NOINPUT ("cannot open 'x': reason", also for a
 * directory or any non-regular file) or -CODE_EXIT_IOERR (mmap failed).
 */
int filemap_open(const char *path, struct filemap *out);
void filemap_close(struct filemap *fm);

#endif
