/* atomic.h: replace a file so readers see the old or the new, never half. */
#ifndef CODE_ATOMIC_H
#define CODE_ATOMIC_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Writes data to a temporary file in path's directory, fsyncs it, renames
 * it over path and fsyncs the directory. Returns 0, or -CODE_EXIT_IOERR
 * after a diagnostic (the temporary file is removed).
 */
int atomic_write_file(const char *path, const void *data, size_t len,
		      mode_t mode);

/*
 * Writes value as compact JSON with sorted keys and a final newline, the
 * same way (the form of every state file). what names the file in the
 * message when value cannot be encoded ("the state file").
 */
int atomic_write_json(const char *path, const json_t *value, mode_t mode, const char *what);

/* Writes all len bytes, going on after short writes and EINTR; 0, or -1 with errno set. */
int atomic_write_all(int fd, const void *data, size_t len);
/*
 * fsyncs the directory holding path, so a name just created or renamed
 * there survives a crash; 0, or -1 with errno set (EINVAL from a file
 * system that cannot sync directories counts as done).
 */
int atomic_sync_dir(const char *path);

#endif
