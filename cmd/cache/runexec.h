/* runexec.h: `code-cache run`'s command: run it teeing its output, or replay a stored run. */
#ifndef CODE_CACHE_RUNEXEC_H
#define CODE_CACHE_RUNEXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/cache/entry.h"
#include "libcommon/strbuf.h"

struct runexec_result {
	int exit_status;        /* the exit code, or 128 + the signal that killed it */
	bool signaled;
	struct strbuf out;      /* everything it wrote to stdout, in order */
	struct strbuf err;      /* and to stderr */
};

/*
 * Spawns argv[0] (searched in PATH) with argv, directly (no shell). Its
 * stdout and stderr go through pipes: each byte is written on to our own
 * stdout/stderr as it comes (so a long build shows progress) and kept in
 * res. stdin: the given bytes when has_stdin (code-cache read them to
 * hash them), else our own stdin is inherited. No lock is held meanwhile.
 * Returns 0 with res filled (whatever the command's status), or
 * -CODE_EXIT_NOINPUT when the command cannot be started ("cannot run
 * 'x': reason"), -CODE_EXIT_IOERR when our output fails.
 */
int runexec_spawn(char *const *argv, const void *stdin_data, size_t stdin_len, bool has_stdin,
		  struct runexec_result *res);
void runexec_result_release(struct runexec_result *res);

/*
 * Reads the --output files after a successful run into files (data and
 * paths point into storage, which the caller releases; mode & 0777).
 * A missing output is -CODE_EXIT_NOINPUT ("the command did not write
 * 'x'"): nothing is stored then.
 */
int runexec_collect(const char *const *outputs, size_t n, struct run_file **files,
		    struct strbuf *storage);

/*
 * A hit: writes the stored stdout then stderr (the order between the two
 * streams is not kept), then each output file atomically (temp + rename,
 * its mode), creating missing parent directories. Only files named in
 * outputs are written: a stored path not asked for is ignored.
 */
int runexec_replay(const struct run_record *rec, const char *const *outputs, size_t n);

#endif
