/* dirwalk.h: the regular files under a list of paths, in a stable order. */
#ifndef CODE_DIRWALK_H
#define CODE_DIRWALK_H

#include <stddef.h>

/*
 * Called for each file found; return 0 to go on, non-zero to stop the
 * walk (dirwalk returns that value). path is valid during the call only.
 */
typedef int (*dirwalk_fn)(const char *path, void *arg);

/*
 * Visits every path in paths: a file (or "-") is passed as given, even a
 * non-regular one such as a pipe; a directory is walked recursively with
 * entries in byte order of their names, visiting regular files only.
 * Symbolic links met inside a directory are followed to files but never
 * into directories (no loops); a link named as an argument is followed.
 * A path that does not exist is reported ("cannot open 'x'") and the walk
 * goes on; the result is then -CODE_EXIT_NOINPUT unless fn stopped it.
 * An unreadable directory met inside the walk is a warning, as in rg.
 */
int dirwalk(const char *const *paths, size_t n, dirwalk_fn fn, void *arg);

#endif
