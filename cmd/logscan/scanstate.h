/* scanstate.h: --state FILE, where each log was left, so cron runs neither skip nor double-count. */
#ifndef CODE_LOGSCAN_SCANSTATE_H
#define CODE_LOGSCAN_SCANSTATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * The file: {"version":1,"files":{"PATH":{"dev":N,"inode":N,"offset":N,
 * "line":N,"head":"XXH3-128 hex of the first min(offset,256) bytes"}}},
 * PATH as given on the command line (or found in a directory walk).
 * Written atomically (temp + fsync + rename), 0600, under a lock on
 * "FILE.lock" held from load to free.
 */
struct scanstate;

/*
 * Loads path (a missing file is an empty state) and takes its lock.
 * Errors: -CODE_EXIT_TEMPFAIL when another run holds the lock (the lock
 * module's message), -CODE_EXIT_DATAERR for a malformed state file (with
 * its location), -CODE_EXIT_NOINPUT when it cannot be read.
 */
int scanstate_load(const char *path, struct scanstate **out);
void scanstate_free(struct scanstate *st);

/*
 * Where to resume a file that is about to be scanned (fd open for
 * reading, sb its fstat). Cases:
 *  - unknown path: start 0, line 0.
 *  - same dev+inode, size >= offset, head unchanged: start at offset/line.
 *  - same inode but smaller than offset, or head changed (truncated or
 *    rewritten in place): start 0, line 0, truncated = true.
 *  - another inode (rotated): the old inode is looked for among the files
 *    of the same directory; if found, rotated_path names it and the caller
 *    finishes it from rotated_start/rotated_line before scanning the new
 *    file from 0. If not found, rotated_lost = true (a warning is the
 *    caller's) and the new file starts at 0.
 * rotated_path is malloc'd (caller frees) or NULL.
 */
struct scanstate_resume {
	off_t start;
	uint64_t line;
	bool truncated;
	char *rotated_path;
	off_t rotated_start;
	uint64_t rotated_line;
	bool rotated_lost;
};
int scanstate_resume(struct scanstate *st, const char *path, int fd,
		     const struct stat *sb, struct scanstate_resume *out);

/*
 * Records that path (fd, sb) has been consumed up to offset, which is
 * line lines in; the head fingerprint is read from fd. Call after its
 * output is written, and only for whole lines.
 */
int scanstate_record(struct scanstate *st, const char *path, int fd,
		     const struct stat *sb, off_t offset, uint64_t line);

/*
 * Writes the state atomically. Entries for paths not recorded in this run
 * are kept (a file may be missing for one run).
 */
int scanstate_save(struct scanstate *st);

#endif
