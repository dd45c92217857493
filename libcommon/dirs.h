/* dirs.h: where state and cache live (SPEC section 1), created 0700. */
#ifndef CODE_DIRS_H
#define CODE_DIRS_H

/*
 * $CODE_STATE_DIR, else $XDG_STATE_HOME/code-tools, else
 * ~/.local/state/code-tools. Creates it (and parents) 0700 when missing.
 * Returns 0 and a malloc'd path the caller frees, or -CODE_EXIT_IOERR.
 */
int dirs_state(char **out);
/* $CODE_CACHE_DIR, else $XDG_CACHE_HOME/code-tools, else ~/.cache/code-tools. */
int dirs_cache(char **out);
/* mkdir -p with mode for each created component; 0 or -CODE_EXIT_IOERR. */
int dirs_make(const char *path, unsigned mode);

/*
 * Checks that a directory holding private data (a cache, state) is safe to
 * use: it is owned by the calling user, and no component of its path is a
 * symbolic link owned by anyone but that user or root (another user could
 * point it elsewhere). Group or other permission bits on it are removed,
 * with a warning. Returns 0, or -CODE_EXIT_NOINPUT after
 * "refusing to use 'DIR': REASON".
 */
int dirs_check_private(const char *path);

#endif
