/* run.h: a whole scan: inputs planned into stretches, scanned by worker threads, emitted in order. */
#ifndef CODE_LOGSCAN_RUN_H
#define CODE_LOGSCAN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/logscan/scan.h"
#include "cmd/logscan/tally.h"
#include "libcommon/chunkread.h"

enum logscan_format { LOGSCAN_FORMAT_NDJSON, LOGSCAN_FORMAT_TEXT, LOGSCAN_FORMAT_PROM };

/* Everything main decided, as plain data. */
struct logscan_run_options {
	const char *const *paths;    /* none: stdin */
	size_t npaths;
	const struct scan_config *cfg;
	struct tally_spec tally;     /* keys 0 unless --aggregate */
	enum logscan_format format;
	bool scan_binary;            /* -a */
	bool colour;                 /* text format on a terminal */
	unsigned threads;
	enum chunkread_io io;
	const char *state_path;      /* --state, or NULL */
	bool follow;
	uint64_t follow_interval_ms; /* poll period of --follow */
};

/*
 * Runs the scan and writes its output to stdout. Returns 0 when a line
 * matched, 1 when none did, or a negated exit code (66 when an input was
 * missing — the others are still scanned —, 74, 75, 130).
 */
int logscan_run(const struct logscan_run_options *opts);

#endif
