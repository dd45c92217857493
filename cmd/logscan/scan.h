/* scan.h: one stretch of a log scanned for a pattern set: matching lines, counts and buckets. */
#ifndef CODE_LOGSCAN_SCAN_H
#define CODE_LOGSCAN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/logline.h"
#include "libcommon/regexset.h"
#include "libcommon/strbuf.h"
#include "simd/litscan.h"

enum scan_mode {
	SCAN_MODE_MATCH,      /* keep every matching line (match records) */
	SCAN_MODE_COUNT,      /* per-pattern line counts only */
	SCAN_MODE_AGGREGATE   /* bucket counts by pattern/level/severity/window */
};

/*
 * What every worker shares, read-only once built: the compiled set, the
 * literal prefilter over it, and how to scan.
 */
struct scan_config {
	const struct regexset *set;
	size_t npatterns;
	int *severity_rank;          /* per pattern: -1 none, else 0..5 (debug..critical) */
	bool *literal_only;          /* per pattern: a prefilter hit is a match */
	bool *always;                /* per pattern: has no literal, runs on every line */
	bool any_always;
	struct litscan *prefilter;   /* NULL when no pattern has a literal */
	enum scan_mode mode;
	bool agg_pattern, agg_level, agg_severity, agg_window;
	int64_t window_ms;
	size_t max_text;             /* match text kept per line */
	struct logline_context logctx;
	bool avx2;                   /* bytecount_newlines may use AVX2 */
};

/* Builds the prefilter and per-pattern facts; severities[p] may be NULL. */
int scan_config_init(struct scan_config *cfg, const struct regexset *set,
		     const char *const *severities, enum scan_mode mode);
void scan_config_release(struct scan_config *cfg);
/* The start of the window holding ts: a multiple of window_ms, rounding down for times before 1970 too. */
int64_t scan_window_floor(int64_t ts, int64_t window_ms);
/* The names of the severity ranks, for labels and records. */
const char *scan_severity_name(int rank);

/* A matching line kept for a match record; text lives in scan_result.text. */
struct scan_hit {
	uint64_t line;        /* 1-based, relative to the stretch's first line */
	uint64_t offset;      /* absolute byte offset of the line in the file */
	size_t text_off;
	size_t text_len;      /* at most max_text */
	bool truncated;
	size_t pat_off;       /* into scan_result.pats */
	size_t npat;
};

/*
 * A bucket key: pattern index or SIZE_MAX when patterns are not a key,
 * severity rank or -1, level, window. window_state: 0 no timestamp known
 * anywhere before, 1 window_start valid, 2 unresolved (the line had no
 * timestamp and nothing before it in this stretch did: it takes the
 * previous stretch's last timestamp).
 */
struct scan_bucket {
	size_t pattern;
	int severity;
	enum logline_level level;
	int window_state;
	int64_t window_start;
	uint64_t count;
};

/* What a stretch of lines gave. Plain data: merged and emitted in order by the caller. */
struct scan_result {
	uint64_t lines;
	uint64_t matched;
	uint64_t bytes;
	uint64_t *pattern_lines;     /* npatterns */
	struct scan_hit *hits;
	size_t nhits, hits_cap;
	size_t *pats;
	size_t npats, pats_cap;
	struct strbuf text;
	struct scan_bucket *buckets;
	size_t nbuckets, buckets_cap;
	size_t *bucket_index;        /* open addressing over buckets */
	size_t bucket_index_cap;
	bool has_last_ts;            /* the last timestamp seen in the stretch */
	int64_t last_ts;
	uint64_t consumed;           /* bytes scanned (whole lines) */
	uint64_t *limit_hits;        /* per pattern: lines where a regex limit stopped it */
};

void scan_result_init(struct scan_result *r, const struct scan_config *cfg);
void scan_result_release(struct scan_result *r);

/* Per-thread: a matcher and scratch space. */
struct scan_worker {
	const struct scan_config *cfg;
	struct regexset_matcher *matcher;
	uint32_t *stamp;             /* per pattern: the line it was last a candidate on */
	uint32_t line_stamp;
	size_t *cands;
	unsigned long *limit_seen;   /* the matcher's limit counts already reported */
};

void scan_worker_init(struct scan_worker *w, const struct scan_config *cfg);
void scan_worker_release(struct scan_worker *w);

/*
 * Scans data[0, len): whole lines, the last one possibly without '\n'.
 * offset is data[0]'s position in the file; the lines continue the
 * stretch that r accumulates (its hits' line numbers count from the
 * stretch's start). Chunks of one stretch must come in order.
 */
/* Moves the limit hits the worker's matcher saw since the last call into r. */
void scan_worker_take_limit_hits(struct scan_worker *w, struct scan_result *r);

void scan_chunk(struct scan_worker *w, const char *data, size_t len, uint64_t offset,
		struct scan_result *r);

#endif
