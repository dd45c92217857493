/* lock.h: flock-based locks that stop two runs writing one file. */
#ifndef CODE_LOCK_H
#define CODE_LOCK_H

/*
 * Takes an exclusive lock on "<path>.lock" (created 0600) without waiting;
 * a lock file rather than path itself, because atomic renames replace
 * path's inode. Writes our pid into it for the message the loser sees.
 * Returns 0 and the held fd, -CODE_EXIT_TEMPFAIL with "'<path>' is locked
 * by another run (pid N)" when held, -CODE_EXIT_IOERR on other errors.
 */
int lock_acquire(const char *path, int *out_fd);
/* Releases and closes; fd < 0 is a no-op. */
void lock_release(int fd);

#endif
