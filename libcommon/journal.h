/* journal.h: an append-only NDJSON journal whose records are on disk before the next action. */
#ifndef CODE_JOURNAL_H
#define CODE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Opaque; safe to share between threads. */
struct journal;

/*
 * Opens path for appending, creating it 0600 (and fsyncing its directory
 * when it was created). fresh: truncates it first (a new run). Otherwise a
 * torn last line, one without '\n' left by a crash in the middle of a
 * write, is cut off, so the next record starts on a line of its own.
 * Returns 0, or -CODE_EXIT_IOERR after "cannot open journal 'P': reason".
 */
int journal_open(const char *path, bool fresh, struct journal **out);
/*
 * Appends one record: len bytes holding no '\n' (the '\n' is added), and
 * returns once the record is on disk (fdatasync). Thread-safe: appenders
 * that arrive while an fsync is under way are made durable together by
 * the next one (group commit), so N threads pay about one fsync between
 * them, and a record is never acknowledged before it is durable.
 * Returns 0, or -CODE_EXIT_IOERR (the message is printed once; every
 * later append fails too).
 */
int journal_append(struct journal *j, const char *rec, size_t len);
/* Closes; returns the first error seen, or 0. NULL is a no-op. */
int journal_close(struct journal *j);

/*
 * Calls fn on each complete record of path, in order, with the parsed
 * object (borrowed for the call) and its 1-based line number; stops early
 * when fn returns nonzero, and returns that value. A missing file has no
 * records (returns 0). A torn last line (no '\n') is skipped quietly: that
 * is what a crash leaves. A complete line that is not a JSON object is
 * -CODE_EXIT_DATAERR after "P:LINE: ...". An unreadable file is
 * -CODE_EXIT_NOINPUT.
 */
typedef int (*journal_record_fn)(const json_t *rec, unsigned long line, void *ctx);
int journal_read(const char *path, journal_record_fn fn, void *ctx);

#endif
