/* logline.h: the timestamp, level and message start of one log line, without allocating. */
#ifndef CODE_LOGLINE_H
#define CODE_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/timefmt.h"

/* Canonical levels, in increasing severity; NONE when the line names none. */
enum logline_level {
	LOGLINE_LEVEL_NONE = 0,
	LOGLINE_LEVEL_TRACE,
	LOGLINE_LEVEL_DEBUG,
	LOGLINE_LEVEL_INFO,
	LOGLINE_LEVEL_NOTICE,
	LOGLINE_LEVEL_WARN,
	LOGLINE_LEVEL_ERROR,
	LOGLINE_LEVEL_CRITICAL
};

/*
 * What the parser needs beyond the line. now_ms (epoch milliseconds UTC)
 * supplies the year that syslog (RFC 3164) and glog lines leave out; a NULL
 * context means those lines get no timestamp.
 */
struct logline_context {
	int64_t now_ms;
};

/*
 * The result. Offsets are bytes from the start of the line and never exceed
 * its length; level_off/level_len give the level as spelt in the line (or
 * the syslog priority "<34>", the HTTP status "500", the glog letter).
 */
struct logline {
	bool has_ts;
	int64_t ts_ms;          /* epoch milliseconds UTC; 0 without has_ts */
	enum logline_level level;
	size_t level_off;
	size_t level_len;       /* 0 when level is NONE */
	size_t msg_off;         /* 0 when nothing was recognised */
};

/*
 * Parses the line's first len bytes (no NUL needed, none read beyond len).
 * Never fails: an unrecognised line yields no timestamp, no level and
 * msg_off 0. Thread-safe; no allocation.
 */
void logline_parse(const char *line, size_t len, const struct logline_context *ctx,
		   struct logline *out);

/* "TRACE" … "CRITICAL", or "" for NONE. */
const char *logline_level_name(enum logline_level level);

/* Writes ts_ms as records' "ts": "2026-11-23T10:00:00.123Z". */
void logline_format_ts(int64_t ts_ms, char out[TIMEFMT_RFC3339_SIZE]);

/* Days since 1970-01-01 of a proleptic Gregorian date (no range checks). */
int64_t logline_days_from_civil(int64_t year, unsigned month, unsigned day);

#endif
