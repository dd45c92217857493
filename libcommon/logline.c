/* logline.c: recognises ISO 8601, syslog, common-log, glog and leading-level lines for ts and level. */
#include "libcommon/logline.h"

#include <string.h>

#define MS_PER_DAY INT64_C(86400000)
/* A year-less stamp further ahead of "now" than this is taken as last year's. */
#define LOGLINE_FUTURE_SLACK_MS MS_PER_DAY
#define LEVEL_WORD_MAX 9
#define GLOG_HEADER_MAX 256

/* A broken-down time as read from a line, before validation. */
struct ll_time {
	int64_t year;
	unsigned month, day, hour, minute, second, millis;
	int offset_min;         /* east of UTC */
};

static const char *const ll_level_names[] = {
	"", "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "CRITICAL"
};

/*
 * Accepted spellings, compared case-insensitively. FATAL, ALERT, EMERG and
 * PANIC fold into CRITICAL so the levels stay a short, ordered list.
 */
static const struct {
	const char *word;
	enum logline_level level;
} ll_level_words[] = {
	{ "TRACE", LOGLINE_LEVEL_TRACE },    { "DEBUG", LOGLINE_LEVEL_DEBUG },
	{ "DBG", LOGLINE_LEVEL_DEBUG },      { "INFO", LOGLINE_LEVEL_INFO },
	{ "NOTICE", LOGLINE_LEVEL_NOTICE },  { "WARN", LOGLINE_LEVEL_WARN },
	{ "WARNING", LOGLINE_LEVEL_WARN },   { "ERR", LOGLINE_LEVEL_ERROR },
	{ "ERROR", LOGLINE_LEVEL_ERROR },    { "CRIT", LOGLINE_LEVEL_CRITICAL },
	{ "CRITICAL", LOGLINE_LEVEL_CRITICAL }, { "FATAL", LOGLINE_LEVEL_CRITICAL },
	{ "ALERT", LOGLINE_LEVEL_CRITICAL }, { "EMERG", LOGLINE_LEVEL_CRITICAL },
	{ "PANIC", LOGLINE_LEVEL_CRITICAL },
};

static const char ll_months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* ctype's answers depend on the locale; log formats do not. */
static bool
ll_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
ll_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
ll_is_word(char c)
{
	return ll_is_digit(c) || ll_is_alpha(c) || c == '_';
}

static char
ll_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static const char *
ll_skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Reads exactly n digits; NULL when fewer are there. */
static const char *
ll_digits(const char *p, const char *end, int n, unsigned *val)
{
	unsigned v = 0;

	if (end - p < n)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (!ll_is_digit(p[i]))
			return NULL;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*val = v;
	return p + n;
}

static bool
ll_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
ll_days_in_month(int64_t y, unsigned m)
{
	static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30,
						31, 31, 30, 31, 30, 31 };

	return m == 2 && ll_is_leap(y) ? 29 : days[m - 1];
}

/* Howard Hinnant's days_from_civil: exact for every proleptic Gregorian date. */
int64_t
logline_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The year of an epoch-ms instant (inverse of the above, years only). */
static int64_t
ll_year_of(int64_t ms)
{
	int64_t z = (ms >= 0 ? ms : ms - MS_PER_DAY + 1) / MS_PER_DAY + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	return yoe + era * 400 + (mp >= 10);
}

/* Impossible dates (Feb 30, hour 25) are "no timestamp", not wrapped. */
static bool
ll_time_valid(const struct ll_time *t)
{
	return t->month >= 1 && t->month <= 12 && t->day >= 1 &&
	       t->day <= ll_days_in_month(t->year, t->month) && t->hour <= 23 &&
	       t->minute <= 59 && t->second <= 60;
}

static int64_t
ll_time_ms(const struct ll_time *t)
{
	int64_t days = logline_days_from_civil(t->year, t->month, t->day);
	int64_t secs = days * 86400 + t->hour * 3600 + t->minute * 60 + t->second;

	return secs * 1000 + t->millis - (int64_t)t->offset_min * 60000;
}

/* ".123", ",123456": any number of digits, kept to milliseconds (truncated). */
static const char *
ll_fraction(const char *p, const char *end, unsigned *millis)
{
	unsigned ms = 0, scale = 100;

	*millis = 0;
	if (p + 1 >= end || (*p != '.' && *p != ',') || !ll_is_digit(p[1]))
		return p;
	for (p++; p < end && ll_is_digit(*p); p++) {
		ms += (unsigned)(*p - '0') * scale;
		scale /= 10;
	}
	*millis = ms;
	return p;
}

/* "HH:MM:SS" with an optional fraction. */
static const char *
ll_clock(const char *p, const char *end, struct ll_time *t)
{
	if (!(p = ll_digits(p, end, 2, &t->hour)) || p >= end || *p++ != ':' ||
	    !(p = ll_digits(p, end, 2, &t->minute)) || p >= end || *p++ != ':' ||
	    !(p = ll_digits(p, end, 2, &t->second)))
		return NULL;
	return ll_fraction(p, end, &t->millis);
}

/*
 * "YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|±HH[:MM]]". No zone means UTC. A zone
 * that starts but is cut or malformed makes the whole stamp invalid.
 */
static const char *
ll_iso(const char *p, const char *end, struct ll_time *t)
{
	unsigned y, oh, om = 0;
	int sign;

	memset(t, 0, sizeof(*t));
	if (!(p = ll_digits(p, end, 4, &y)) || p >= end || *p++ != '-' ||
	    !(p = ll_digits(p, end, 2, &t->month)) || p >= end || *p++ != '-' ||
	    !(p = ll_digits(p, end, 2, &t->day)) || p >= end ||
	    (*p != 'T' && *p != 't' && *p != ' ') || !(p = ll_clock(p + 1, end, t)))
		return NULL;
	t->year = y;
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p == '-' ? -1 : 1;
		if (!(p = ll_digits(p + 1, end, 2, &oh)))
			return NULL;
		if (p < end && *p == ':') {
			if (!(p = ll_digits(p + 1, end, 2, &om)))
				return NULL;
		} else if (p < end && ll_is_digit(*p)) {
			if (!(p = ll_digits(p, end, 2, &om)))
				return NULL;
		}
		if (oh > 23 || om > 59)
			return NULL;
		t->offset_min = sign * (int)(oh * 60 + om);
	}
	/* "2026-11-23T10:00:00Zfoo" or "…:00:001" is not a stamp we understand. */
	if (p < end && ll_is_word(*p))
		return NULL;
	return ll_time_valid(t) ? p : NULL;
}

/* "Nov" → 1…12, 0 when not a month abbreviation (case as written by syslog). */
static unsigned
ll_month(const char *p, const char *end)
{
	if (end - p < 3)
		return 0;
	for (unsigned i = 0; i < 12; i++)
		if (memcmp(p, ll_months[i], 3) == 0)
			return i + 1;
	return 0;
}

/*
 * Year-less stamps take the latest year (now's next, now's, or the one
 * before) that puts them no more than a day after now: December lines read
 * in January are last year's, and a line stamped just past midnight on New
 * Year's Eve by a clock running slightly ahead is next year's.
 */
static bool
ll_resolve_year(struct ll_time *t, const struct logline_context *ctx, int64_t *ms)
{
	int64_t year;

	if (ctx == NULL)
		return false;
	year = ll_year_of(ctx->now_ms);
	for (int64_t y = year + 1; y >= year - 1; y--) {
		t->year = y;
		if (ll_time_valid(t) && ll_time_ms(t) <= ctx->now_ms + LOGLINE_FUTURE_SLACK_MS) {
			*ms = ll_time_ms(t);
			return true;
		}
	}
	return false;
}

/* Whether a year-less date and clock could exist in some (leap) year. */
static bool
ll_shape_valid(struct ll_time *t)
{
	t->year = 2000;
	return ll_time_valid(t);
}

/* Matches a level word of at most LEVEL_WORD_MAX letters ending at a non-word byte. */
static enum logline_level
ll_level_word(const char *p, const char *end, size_t *wlen)
{
	size_t n = 0;

	while (p + n < end && ll_is_alpha(p[n]) && n <= LEVEL_WORD_MAX)
		n++;
	if (n == 0 || n > LEVEL_WORD_MAX || (p + n < end && ll_is_word(p[n])))
		return LOGLINE_LEVEL_NONE;
	for (size_t i = 0; i < sizeof(ll_level_words) / sizeof(ll_level_words[0]); i++) {
		const char *w = ll_level_words[i].word;
		size_t k;

		if (strlen(w) != n)
			continue;
		for (k = 0; k < n && ll_upper(p[k]) == w[k]; k++)
			;
		if (k == n) {
			*wlen = n;
			return ll_level_words[i].level;
		}
	}
	return LOGLINE_LEVEL_NONE;
}

/*
 * A level at p as "LEVEL", "[LEVEL]", "LEVEL:" or "level=LEVEL" (value
 * optionally quoted). Fills out's level fields and returns where the
 * message starts, after the separators; NULL when there is no level.
 */
static const char *
ll_level_at(const char *line, const char *p, const char *end, struct logline *out)
{
	enum logline_level lv;
	char close = 0;
	size_t n = 0;

	if (p < end && *p == '[') {
		close = ']';
		p++;
	} else if (end - p > 6 && memcmp(p, "level=", 6) == 0) {
		p += 6;
		if (p < end && *p == '"') {
			close = '"';
			p++;
		}
	}
	lv = ll_level_word(p, end, &n);
	if (lv == LOGLINE_LEVEL_NONE)
		return NULL;
	if (close) {
		if (p + n >= end || p[n] != close)
			return NULL;
	}
	out->level = lv;
	out->level_off = (size_t)(p - line);
	out->level_len = n;
	p += n + (close ? 1 : 0);
	if (p < end && *p == ':')
		p++;
	return ll_skip_blanks(p, end);
}

/* The level, if any, then the message offset, for whatever follows a stamp. */
static void
ll_after_stamp(const char *line, const char *p, const char *end, struct logline *out)
{
	const char *msg;

	p = ll_skip_blanks(p, end);
	msg = ll_level_at(line, p, end, out);
	out->msg_off = (size_t)((msg ? msg : p) - line);
}

static void
ll_set_ts(struct logline *out, int64_t ms)
{
	out->has_ts = true;
	out->ts_ms = ms;
}

/* "<PRI>" → the syslog severity's level; NULL unless 1–3 digits up to 191. */
static const char *
ll_syslog_pri(const char *line, const char *p, const char *end, struct logline *out)
{
	static const enum logline_level severity[8] = {
		LOGLINE_LEVEL_CRITICAL, LOGLINE_LEVEL_CRITICAL, LOGLINE_LEVEL_CRITICAL,
		LOGLINE_LEVEL_ERROR, LOGLINE_LEVEL_WARN, LOGLINE_LEVEL_NOTICE,
		LOGLINE_LEVEL_INFO, LOGLINE_LEVEL_DEBUG
	};
	const char *start = p;
	unsigned pri = 0;
	int n = 0;

	for (p++; p < end && ll_is_digit(*p) && n < 3; p++, n++)
		pri = pri * 10 + (unsigned)(*p - '0');
	if (n == 0 || pri > 191 || p >= end || *p != '>')
		return NULL;
	p++;
	out->level = severity[pri % 8];
	out->level_off = (size_t)(start - line);
	out->level_len = (size_t)(p - start);
	return p;
}

/* Skips one space-free field and the single space after it; NULL at the end. */
static const char *
ll_field(const char *p, const char *end)
{
	while (p < end && *p != ' ')
		p++;
	return p < end ? p + 1 : NULL;
}

/*
 * RFC 5424 after "<PRI>": "1 TIMESTAMP HOST APP PROCID MSGID SD MSG". The
 * structured data is "-" or bracketed elements with \] escapes.
 */
static void
ll_rfc5424(const char *line, const char *p, const char *end, struct logline *out)
{
	struct ll_time t;
	const char *q;

	p += 2;
	if (p < end && *p == '-') {
		p++;
	} else {
		if (!(q = ll_iso(p, end, &t)))
			return;
		ll_set_ts(out, ll_time_ms(&t));
		p = q;
	}
	if (p >= end || *p++ != ' ')
		return;
	for (int i = 0; i < 4 && p; i++)
		p = ll_field(p, end);
	if (!p || p >= end)
		return;
	if (*p == '-') {
		p++;
	} else {
		while (p < end && *p == '[') {
			for (p++; p < end && *p != ']'; p++)
				if (*p == '\\' && p + 1 < end)
					p++;
			if (p >= end)
				return;
			p++;
		}
	}
	if (p < end && *p == ' ')
		p++;
	out->msg_off = (size_t)(p - line);
}

/*
 * RFC 3164: "Nov 23 10:00:01 host tag[pid]: message" (day may be
 * space-padded). The message starts after the tag's colon when there is
 * one, else after the host; its leading level word, if any, is the level.
 */
static bool
ll_rfc3164(const char *line, const char *p, const char *end,
	   const struct logline_context *ctx, struct logline *out)
{
	struct ll_time t;
	int64_t ms;
	const char *q;

	memset(&t, 0, sizeof(t));
	if (!(t.month = ll_month(p, end)) || end - p < 7 || p[3] != ' ')
		return false;
	p += 4;
	if (*p == ' ' && ll_is_digit(p[1])) {
		t.day = (unsigned)(p[1] - '0');
		p += 2;
	} else if (!(p = ll_digits(p, end, 2, &t.day))) {
		return false;
	}
	if (p >= end || *p++ != ' ' || !(p = ll_clock(p, end, &t)) ||
	    (p < end && *p != ' ') || !ll_shape_valid(&t))
		return false;
	if (ll_resolve_year(&t, ctx, &ms))
		ll_set_ts(out, ms);
	p = ll_skip_blanks(p, end);
	out->msg_off = (size_t)(p - line);
	if (!(p = ll_field(p, end)))
		return true;
	q = p;
	while (q < end && *q != ' ' && *q != ':')
		q++;
	if (q < end && *q == ':' && q > p)
		p = q + 1;
	p = ll_skip_blanks(p, end);
	q = ll_level_at(line, p, end, out);
	out->msg_off = (size_t)((q ? q : p) - line);
	return true;
}

/*
 * Common/combined log: "host ident user [23/Nov/2026:10:00:00 +0100]
 * \"GET / HTTP/1.1\" 500 …". The level comes from the status: 5xx ERROR,
 * 4xx WARN, anything else INFO. The message starts at the request.
 */
static bool
ll_clf(const char *line, const char *p, const char *end, struct logline *out)
{
	struct ll_time t;
	unsigned y, oh, om, status;
	const char *q;
	int sign;

	for (int i = 0; i < 3 && p; i++)
		p = ll_field(p, end);
	if (!p || p >= end || *p++ != '[')
		return false;
	memset(&t, 0, sizeof(t));
	if (!(p = ll_digits(p, end, 2, &t.day)) || p >= end || *p++ != '/' ||
	    !(t.month = ll_month(p, end)) || end - p < 4 || p[3] != '/')
		return false;
	if (!(p = ll_digits(p + 4, end, 4, &y)) || p >= end || *p++ != ':' ||
	    !(p = ll_clock(p, end, &t)) || end - p < 7 || *p != ' ' ||
	    (p[1] != '+' && p[1] != '-'))
		return false;
	t.year = y;
	sign = p[1] == '-' ? -1 : 1;
	if (!(p = ll_digits(p + 2, end, 2, &oh)) || !(p = ll_digits(p, end, 2, &om)) ||
	    p >= end || *p++ != ']' || oh > 23 || om > 59)
		return false;
	t.offset_min = sign * (int)(oh * 60 + om);
	if (!ll_time_valid(&t))
		return false;
	ll_set_ts(out, ll_time_ms(&t));
	p = ll_skip_blanks(p, end);
	out->msg_off = (size_t)(p - line);
	if (p >= end || *p != '"')
		return true;
	for (q = p + 1; q < end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < end)
			q++;
	if (q >= end || q + 1 >= end || q[1] != ' ')
		return true;
	q += 2;
	if (!ll_digits(q, end, 3, &status) || (q + 3 < end && q[3] != ' '))
		return true;
	out->level = status >= 500 && status <= 599 ? LOGLINE_LEVEL_ERROR :
		     status >= 400 && status <= 499 ? LOGLINE_LEVEL_WARN :
						      LOGLINE_LEVEL_INFO;
	out->level_off = (size_t)(q - line);
	out->level_len = 3;
	return true;
}

/*
 * glog: "E1123 10:00:00.123456  1234 file.cc:42] message". I, W, E and F
 * map to INFO, WARN, ERROR and CRITICAL; the year comes as for syslog.
 */
static bool
ll_glog(const char *line, const char *p, const char *end,
	const struct logline_context *ctx, struct logline *out)
{
	static const char letters[] = "IWEF";
	static const enum logline_level levels[] = {
		LOGLINE_LEVEL_INFO, LOGLINE_LEVEL_WARN, LOGLINE_LEVEL_ERROR,
		LOGLINE_LEVEL_CRITICAL
	};
	const char *start = p, *letter;
	struct ll_time t;
	int64_t ms;

	if (p >= end || *p == '\0' || !(letter = strchr(letters, *p)))
		return false;
	memset(&t, 0, sizeof(t));
	if (!(p = ll_digits(p + 1, end, 2, &t.month)) ||
	    !(p = ll_digits(p, end, 2, &t.day)) || p >= end || *p++ != ' ' ||
	    !(p = ll_clock(p, end, &t)) || (p < end && *p != ' ') || !ll_shape_valid(&t))
		return false;
	out->level = levels[letter - letters];
	out->level_off = (size_t)(start - line);
	out->level_len = 1;
	if (ll_resolve_year(&t, ctx, &ms))
		ll_set_ts(out, ms);
	p = ll_skip_blanks(p, end);
	out->msg_off = (size_t)(p - line);
	/* The header "threadid file:line] " is short; look no further for its end. */
	for (const char *q = p; q + 1 < end && q - p < GLOG_HEADER_MAX; q++) {
		if (q[0] == ']' && q[1] == ' ') {
			out->msg_off = (size_t)(q + 2 - line);
			break;
		}
	}
	return true;
}

/* An ISO stamp at p, optionally in brackets or quotes; NULL when there is none. */
static const char *
ll_iso_stamp(const char *p, const char *end, struct logline *out)
{
	struct ll_time t;
	char close = 0;
	const char *q;

	if (p < end && (*p == '[' || *p == '"')) {
		close = *p == '[' ? ']' : '"';
		p++;
	}
	if (!(q = ll_iso(p, end, &t)))
		return NULL;
	if (close) {
		if (q >= end || *q != close)
			return NULL;
		q++;
	}
	ll_set_ts(out, ll_time_ms(&t));
	return q;
}

void
logline_parse(const char *line, size_t len, const struct logline_context *ctx,
	      struct logline *out)
{
	const char *end = line + len, *p, *q;
	static const char *const keys[] = { "time=", "ts=", "timestamp=" };

	memset(out, 0, sizeof(*out));
	p = ll_skip_blanks(line, end);
	if (p >= end)
		return;

	if (*p == '<') {
		if (!(q = ll_syslog_pri(line, p, end, out)))
			return;
		if (end - q >= 2 && q[0] == '1' && q[1] == ' ')
			ll_rfc5424(line, q, end, out);
		else if (!ll_rfc3164(line, q, end, ctx, out))
			out->msg_off = (size_t)(q - line);
		/* A level word opening a 3164 message overrides the priority's. */
		return;
	}
	if ((q = ll_iso_stamp(p, end, out))) {
		ll_after_stamp(line, q, end, out);
		return;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t k = strlen(keys[i]);

		if ((size_t)(end - p) > k && memcmp(p, keys[i], k) == 0) {
			if ((q = ll_iso_stamp(p + k, end, out))) {
				ll_after_stamp(line, q, end, out);
				return;
			}
		}
	}
	if (ll_rfc3164(line, p, end, ctx, out))
		return;
	memset(out, 0, sizeof(*out));
	if (ll_glog(line, p, end, ctx, out))
		return;
	memset(out, 0, sizeof(*out));
	if (ll_clf(line, p, end, out))
		return;
	memset(out, 0, sizeof(*out));
	if ((q = ll_level_at(line, p, end, out)))
		out->msg_off = (size_t)(q - line);
}

const char *
logline_level_name(enum logline_level level)
{
	if ((unsigned)level >= sizeof(ll_level_names) / sizeof(ll_level_names[0]))
		return "";
	return ll_level_names[level];
}

void
logline_format_ts(int64_t ts_ms, char out[TIMEFMT_RFC3339_SIZE])
{
	timefmt_rfc3339(ts_ms, out);
}
