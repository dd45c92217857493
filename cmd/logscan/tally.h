/* tally.h: counts, buckets and totals of a scan, summed, folded and written as ndjson, text or prom. */
#ifndef CODE_LOGSCAN_TALLY_H
#define CODE_LOGSCAN_TALLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/diag.h"
#include "libcommon/output.h"

enum tally_format { TALLY_FORMAT_NDJSON, TALLY_FORMAT_TEXT, TALLY_FORMAT_PROM };

/* The keys of --aggregate, as a bit set. */
enum tally_key {
	TALLY_KEY_FILE = 1u << 0,
	TALLY_KEY_PATTERN = 1u << 1,
	TALLY_KEY_LEVEL = 1u << 2,
	TALLY_KEY_SEVERITY = 1u << 3,
	TALLY_KEY_WINDOW = 1u << 4
};

struct tally_spec {
	unsigned keys;        /* TALLY_KEY_*; 0 in --count mode */
	int64_t window_ms;    /* with TALLY_KEY_WINDOW, > 0 */
	size_t max_series;    /* --max-series; 0 = 1000 */
};

/*
 * Parses --aggregate's argument: a comma list of file, pattern, level,
 * severity and window:DURATION (each at most once, window > 0), e.g.
 * "pattern,level,window:60s". Errors are -CODE_EXIT_USAGE with a message
 * naming the bad item (and a did-you-mean).
 */
int tally_parse_keys(const char *arg, struct tally_spec *out);

/* Opaque: count series, bucket series and totals. */
struct tally;

struct tally *tally_new(const struct tally_spec *spec);
void tally_free(struct tally *t);

/*
 * --count: adds n lines to (file, pattern). Adding 0 creates the series,
 * so every pattern of every scanned file gets a count record.
 */
void tally_add_count(struct tally *t, const char *file, const char *pattern, uint64_t n);

/*
 * --aggregate: adds n to the bucket with these labels. Labels whose key is
 * not in the spec are ignored (may be NULL); a NULL label for a key in the
 * spec is the empty value (a line with no level). has_window false means
 * the line had no timestamp (and none before it in its file): the bucket
 * has no window_start. window_start_ms is already a multiple of window_ms.
 */
struct tally_labels {
	const char *file;
	const char *pattern;
	const char *level;
	const char *severity;
	bool has_window;
	int64_t window_start_ms;
};
void tally_add_bucket(struct tally *t, const struct tally_labels *labels, uint64_t n);

/* The total record: files scanned, lines, lines matched, bytes. */
struct tally_totals {
	uint64_t files;
	uint64_t lines;
	uint64_t matched;
	uint64_t bytes;
};
void tally_add_totals(struct tally *t, const struct tally_totals *totals);

/*
 * code-logscan merge: adds one record of a stream. count, bucket and total
 * records are summed (a bucket's keys are the fields it has; window_ms must
 * agree between buckets, else -CODE_EXIT_DATAERR at loc); other record
 * types are skipped and counted (*skipped += 1), as SPEC section 1 says.
 * A record of a known type with missing or mistyped fields is
 * -CODE_EXIT_DATAERR at loc.
 */
int tally_add_record(struct tally *t, const json_t *record, const struct diag_loc *loc,
		     unsigned long *skipped);

/*
 * Writes everything, sorted so the output never depends on input order:
 * count records by file then pattern, bucket records by window_start then
 * file, pattern, level, severity, then the total record (when totals were
 * added). Buckets and prom series are bounded by max_series: past it, the
 * label combinations with the smallest counts fold into one with
 * pattern="other" (other labels dropped) and a warning says how many folded.
 *
 * ndjson: {"type":"count","file":F,"pattern":P,"lines":N}
 *         {"type":"bucket","window_start":"RFC3339","window_ms":60000,
 *          "file":F,"pattern":P,"level":L,"severity":S,"count":N}
 *           (only the spec's keys; window_start absent for no-timestamp lines)
 *         {"type":"total","files":N,"lines":N,"matched":N,"bytes":N}
 * text:   count "FILE:PATTERN:N", bucket columns with a header, total as
 *         "total: N files, N lines, N matched, N bytes".
 * prom:   Prometheus text exposition (gauges, HELP and TYPE once per
 *         family, label values escaped, no timestamps) for node_exporter's
 *         textfile collector; see the man page for the metric names.
 */
int tally_write(struct tally *t, enum tally_format format, struct output *o);

#endif
