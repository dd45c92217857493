/* tally.c: counts, buckets and totals of a scan, summed, folded and written as ndjson, text or prom. */
#include "cmd/logscan/tally.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "libcommon/arena.h"
#include "libcommon/exitcodes.h"
#include "libcommon/jsonw.h"
#include "libcommon/logline.h"
#include "libcommon/strbuf.h"
#include "libcommon/strmap.h"
#include "libcommon/suggest.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

/*
 * Prometheus metric names (--format prom). Dashboards and alerts depend on
 * them, so they never change; new ones may be added. All are gauges: each
 * run writes a fresh file for node_exporter's textfile collector.
 *
 *   code_logscan_matched_lines{file,pattern}   --count: lines of the file
 *                                              matching the pattern
 *   code_logscan_bucket_lines{KEYS}            --aggregate: lines matched per
 *                                              label combination; labels are
 *                                              the keys given (file, pattern,
 *                                              level, severity). With window,
 *                                              only the latest window's
 *                                              buckets (the collector forbids
 *                                              timestamps)
 *   code_logscan_window_start_seconds          start of that latest window,
 *                                              Unix time
 *   code_logscan_window_seconds                the window length
 *   code_logscan_files                         files scanned
 *   code_logscan_lines                         lines scanned
 *   code_logscan_matched_lines_any             lines matching at least one
 *                                              pattern (a line matching two
 *                                              patterns counts once here,
 *                                              twice in matched_lines)
 *   code_logscan_bytes                         bytes scanned
 *
 * Values are integers, except the two window gauges for windows that are
 * not whole seconds ("0.25"). Label values are escaped (\\, \", \n); they
 * are UTF-8, as the format requires, because every label is (a byte that
 * is not UTF-8 becomes U+FFFD in all formats, see intern_entry).
 *
 * Folding (--max-series N, 0 meaning 1000): a series is a distinct label
 * combination, the window excluded. When there are more than N, the N-1
 * with the largest total counts (over all windows; ties by the labels'
 * byte order) are kept and the rest are summed, per window, into the
 * series pattern="other" with every other label empty; a warning says how
 * many folded. A real series that is already pattern="other" with empty
 * labels merges with the folded one. When pattern is not one of the keys,
 * the folded series still carries pattern "other" (ndjson field, prom
 * label, and text then shows a PATTERN column). Folding bounds buckets in
 * every format and the prom count series; ndjson and text count records
 * are never folded. In prom with a window, only the latest window is
 * exposed, so only its series are counted against N.
 */

#define TALLY_MAX_SERIES_DEFAULT 1000

enum { LAB_FILE, LAB_PATTERN, LAB_LEVEL, LAB_SEVERITY, LAB_N };

static const unsigned lab_key[LAB_N] = {
	TALLY_KEY_FILE, TALLY_KEY_PATTERN, TALLY_KEY_LEVEL, TALLY_KEY_SEVERITY
};
static const char *const lab_name[LAB_N] = { "file", "pattern", "level", "severity" };
static const char *const lab_column[LAB_N] = { "FILE", "PATTERN", "LEVEL", "SEVERITY" };

/*
 * One count or bucket. Labels are interned, so two keys are equal when
 * their pointers are; an absent label is the tally's interned "".
 */
struct series {
	const char *lab[LAB_N];
	int64_t win;        /* window start in ms; 0 without has_win */
	bool has_win;
	uint64_t count;
};

/*
 * Series by key, in insertion order, with an open-addressing index over
 * them: --aggregate adds one bucket per matching line, so this is the hot
 * path. slots hold index + 1, 0 for empty; the load stays below 1/2.
 */
struct stable {
	struct series *v;
	size_t n, alloc;
	size_t *slots;
	size_t mask;
	uint64_t seed;
};

/*
 * Callers pass the same few label pointers again and again (pattern names,
 * logline_level_name's constants, the file being scanned), so a small
 * cache by caller pointer skips the map; the strcmp keeps it right when a
 * caller reuses a buffer for another value.
 */
#define INTERN_CACHE 16

/* A string as given and the label it stands for (the same unless not UTF-8). */
struct intern_entry {
	const char *given;
	const char *label;
};

struct intern_cache {
	const char *raw;                  /* the caller's pointer */
	const struct intern_entry *entry;
};

struct tally {
	unsigned keys;          /* grows with the keys merge sees */
	int64_t window_ms;      /* 0 until known */
	size_t max_series;
	struct arena *arena;    /* interned label strings */
	struct strmap *strings;
	const char *empty;
	const char *other;
	struct intern_cache cache[LAB_N][INTERN_CACHE];
	struct stable counts;
	struct stable buckets;
	size_t last_bucket;     /* index of the bucket added last, SIZE_MAX for none */
	bool has_totals;
	struct tally_totals totals;
};

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/*
 * Window starts come from the logs, so a fixed hash could be aimed at one
 * probe chain; a per-table seed from the clock and an ASLR address cannot.
 */
static void
stable_init(struct stable *st, size_t expected)
{
	struct timespec ts = { 0, 0 };
	uint64_t x[2];
	size_t size = 64;

	while (size < expected * 2 + 2 && size < (SIZE_MAX >> 2))
		size <<= 1;
	memset(st, 0, sizeof(*st));
	st->slots = xcalloc(size, sizeof(*st->slots));
	st->mask = size - 1;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	x[0] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	x[1] = (uint64_t)(uintptr_t)st;
	st->seed = XXH3_64bits(x, sizeof(x));
}

static void
stable_release(struct stable *st)
{
	free(st->v);
	free(st->slots);
	memset(st, 0, sizeof(*st));
}

static uint64_t
stable_hash(const struct stable *st, const struct series *k)
{
	uint64_t x[LAB_N + 2];
	size_t i;

	for (i = 0; i < LAB_N; i++)
		x[i] = (uint64_t)(uintptr_t)k->lab[i];
	x[LAB_N] = k->has_win;
	x[LAB_N + 1] = (uint64_t)k->win;
	return XXH3_64bits_withSeed(x, sizeof(x), st->seed);
}

static bool
series_same(const struct series *a, const struct series *b)
{
	return a->lab[0] == b->lab[0] && a->lab[1] == b->lab[1] &&
	       a->lab[2] == b->lab[2] && a->lab[3] == b->lab[3] &&
	       a->has_win == b->has_win && a->win == b->win;
}

/* The slot holding k, or the empty slot where it belongs. */
static size_t *
stable_slot(const struct stable *st, const struct series *k, uint64_t hash)
{
	size_t i = (size_t)hash & st->mask;

	for (;;) {
		size_t *s = &st->slots[i];

		if (*s == 0 || series_same(&st->v[*s - 1], k))
			return s;
		i = (i + 1) & st->mask;
	}
}

static void
stable_grow(struct stable *st)
{
	size_t size = (st->mask + 1) * 2, i;

	free(st->slots);
	st->slots = xcalloc(size, sizeof(*st->slots));
	st->mask = size - 1;
	for (i = 0; i < st->n; i++)
		*stable_slot(st, &st->v[i], stable_hash(st, &st->v[i])) = i + 1;
}

/* Index of k, or SIZE_MAX when absent. */
static size_t
stable_find(const struct stable *st, const struct series *k)
{
	size_t *s = stable_slot(st, k, stable_hash(st, k));

	return *s ? *s - 1 : SIZE_MAX;
}

/* Adds n to k's count, creating k (count n) when new; returns its index. */
static size_t
stable_add(struct stable *st, const struct series *k, uint64_t n)
{
	size_t *s = stable_slot(st, k, stable_hash(st, k));
	struct series *e;

	if (*s) {
		e = &st->v[*s - 1];
		e->count = add_sat(e->count, n);
		return *s - 1;
	}
	if (st->n == st->alloc) {
		st->alloc = st->alloc ? st->alloc * 2 : 64;
		st->v = xrealloc(st->v, st->alloc * sizeof(*st->v));
	}
	e = &st->v[st->n];
	*e = *k;
	e->count = n;
	*s = ++st->n;
	if (st->n * 2 > st->mask)
		stable_grow(st);
	return st->n - 1;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * JSON and the Prometheus format need UTF-8, and merge must read back
 * what we write, so a label that is not UTF-8 (a file name in Latin-1)
 * gets U+FFFD for each bad byte, in every format. Names differing only in
 * such bytes become one label.
 */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (; *p; p += n)
		if ((n = utf8_len(p)) == 0)
			return false;
	return true;
}

static const struct intern_entry *
intern_entry(struct tally *t, const char *s)
{
	struct intern_entry *e = strmap_get(t->strings, s);
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p;
	size_t n;

	if (e != NULL)
		return e;
	e = arena_alloc(t->arena, sizeof(*e));
	e->given = arena_strdup(t->arena, s);
	if (utf8_valid(s)) {
		e->label = e->given;
	} else {
		for (p = (const unsigned char *)s; *p; p += n ? n : 1) {
			n = utf8_len(p);
			if (n)
				strbuf_add(&sb, p, n);
			else
				strbuf_add(&sb, "\xef\xbf\xbd", 3);
		}
		e->label = intern_entry(t, sb.buf)->label;
		strbuf_release(&sb);
	}
	strmap_add(t->strings, e->given, e);
	return e;
}

static const char *
intern(struct tally *t, const char *s)
{
	return intern_entry(t, s)->label;
}

static const char *
intern_label(struct tally *t, int lab, const char *s)
{
	struct intern_cache *c;

	if (s == NULL || *s == '\0')
		return t->empty;
	c = &t->cache[lab][((uintptr_t)s >> 3 ^ (uintptr_t)s >> 9) % INTERN_CACHE];
	if (c->raw != s || strcmp(c->entry->given, s) != 0) {
		c->raw = s;
		c->entry = intern_entry(t, s);
	}
	return c->entry->label;
}

/* ---------------------------------------------------------------- keys */

static const char *const key_words[] = { "file", "pattern", "level", "severity", "window" };

/* One item of --aggregate's list, e.g. "level" or "window:60s" (modified). */
static int
parse_key_item(char *item, unsigned *keys, int64_t *window_ms)
{
	size_t nwords = sizeof(key_words) / sizeof(key_words[0]), i;
	char *colon = strchr(item, ':');
	const char *sugg;
	unsigned bit = 0;
	uint64_t ms;

	if (colon != NULL)
		*colon = '\0';
	for (i = 0; i < nwords; i++)
		if (strcmp(item, key_words[i]) == 0)
			bit = i < LAB_N ? lab_key[i] : TALLY_KEY_WINDOW;
	if (bit == 0) {
		sugg = suggest_closest(item, key_words, nwords);
		if (sugg != NULL)
			return diag_error(CODE_EXIT_USAGE, NULL,
					  "--aggregate: unknown key '%s' (did you mean '%s'?)", item, sugg);
		return diag_error(CODE_EXIT_USAGE, NULL,
				  "--aggregate: unknown key '%s' (keys are file, pattern, level, severity, window:DURATION)",
				  item);
	}
	if (*keys & bit)
		return diag_error(CODE_EXIT_USAGE, NULL, "--aggregate: key '%s' given twice", item);
	*keys |= bit;
	if (bit != TALLY_KEY_WINDOW) {
		if (colon != NULL)
			return diag_error(CODE_EXIT_USAGE, NULL,
					  "--aggregate: key '%s' takes no value (only window:DURATION does)",
					  item);
		return 0;
	}
	if (colon == NULL || colon[1] == '\0')
		return diag_error(CODE_EXIT_USAGE, NULL,
				  "--aggregate: window needs a duration, e.g. window:60s");
	/* Window starts are multiples of the window: keep them far from overflow. */
	if (units_parse_duration_ms(colon + 1, &ms) < 0 || ms > INT64_MAX / 2)
		return diag_error(CODE_EXIT_USAGE, NULL,
				  "--aggregate: bad window duration '%s' (e.g. 250ms, 60s, 5m, 1h)",
				  colon + 1);
	if (ms == 0)
		return diag_error(CODE_EXIT_USAGE, NULL,
				  "--aggregate: the window must be at least 1ms, not '%s'", colon + 1);
	*window_ms = (int64_t)ms;
	return 0;
}

int
tally_parse_keys(const char *arg, struct tally_spec *out)
{
	unsigned keys = 0;
	int64_t window_ms = 0;
	const char *p, *end;
	int ret;

	if (arg == NULL || *arg == '\0')
		return diag_error(CODE_EXIT_USAGE, NULL,
				  "--aggregate needs keys: file, pattern, level, severity, window:DURATION");
	for (p = arg;; p = end + 1) {
		char *item;

		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p)
			return diag_error(CODE_EXIT_USAGE, NULL, "--aggregate: empty key in '%s'", arg);
		item = xstrndup(p, (size_t)(end - p));
		ret = parse_key_item(item, &keys, &window_ms);
		free(item);
		if (ret < 0)
			return ret;
		if (*end == '\0')
			break;
	}
	/* max_series is the caller's (--max-series), left as it was. */
	out->keys = keys;
	out->window_ms = window_ms;
	return 0;
}

/* ---------------------------------------------------------------- adding */

struct tally *
tally_new(const struct tally_spec *spec)
{
	struct tally *t = xcalloc(1, sizeof(*t));

	t->keys = spec->keys;
	t->window_ms = (spec->keys & TALLY_KEY_WINDOW) ? spec->window_ms : 0;
	t->max_series = spec->max_series ? spec->max_series : TALLY_MAX_SERIES_DEFAULT;
	t->arena = arena_new(0);
	t->strings = strmap_new(256);
	t->empty = intern(t, "");
	t->other = intern(t, "other");
	stable_init(&t->counts, 64);
	stable_init(&t->buckets, 1024);
	t->last_bucket = SIZE_MAX;
	return t;
}

void
tally_free(struct tally *t)
{
	if (t == NULL)
		return;
	stable_release(&t->counts);
	stable_release(&t->buckets);
	strmap_free(t->strings);
	arena_free(t->arena);
	free(t);
}

static void
count_key(struct tally *t, struct series *k, const char *file, const char *pattern)
{
	k->lab[LAB_FILE] = intern_label(t, LAB_FILE, file);
	k->lab[LAB_PATTERN] = intern_label(t, LAB_PATTERN, pattern);
	k->lab[LAB_LEVEL] = t->empty;
	k->lab[LAB_SEVERITY] = t->empty;
	k->has_win = false;
	k->win = 0;
}

void
tally_add_count(struct tally *t, const char *file, const char *pattern, uint64_t n)
{
	struct series k;

	count_key(t, &k, file, pattern);
	stable_add(&t->counts, &k, n);
}

void
tally_add_bucket(struct tally *t, const struct tally_labels *labels, uint64_t n)
{
	const char *raw[LAB_N] = {
		labels->file, labels->pattern, labels->level, labels->severity
	};
	struct series k;
	int i;

	for (i = 0; i < LAB_N; i++)
		k.lab[i] = (t->keys & lab_key[i]) ? intern_label(t, i, raw[i]) : t->empty;
	k.has_win = (t->keys & TALLY_KEY_WINDOW) && labels->has_window;
	k.win = k.has_win ? labels->window_start_ms : 0;
	/* Runs of lines in one bucket are common: skip the hash for them. */
	if (t->last_bucket != SIZE_MAX && series_same(&t->buckets.v[t->last_bucket], &k)) {
		struct series *e = &t->buckets.v[t->last_bucket];

		e->count = add_sat(e->count, n);
		return;
	}
	t->last_bucket = stable_add(&t->buckets, &k, n);
}

void
tally_add_totals(struct tally *t, const struct tally_totals *totals)
{
	t->has_totals = true;
	t->totals.files = add_sat(t->totals.files, totals->files);
	t->totals.lines = add_sat(t->totals.lines, totals->lines);
	t->totals.matched = add_sat(t->totals.matched, totals->matched);
	t->totals.bytes = add_sat(t->totals.bytes, totals->bytes);
}

/* ---------------------------------------------------------------- merge */

/* Gets a string field: 1 found, 0 absent (allowed when optional), or an error. */
static int
rec_string(const json_t *rec, const char *type, const char *key, bool optional,
	   const struct diag_loc *loc, const char **out)
{
	const json_t *v = json_object_get(rec, key);

	*out = NULL;
	if (v == NULL && optional)
		return 0;
	/* Labels are C strings: an embedded NUL would silently cut one. */
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return diag_error(CODE_EXIT_DATAERR, loc, "%s record: '%s' must be a string",
				  type, key);
	*out = json_string_value(v);
	return 1;
}

static int
rec_u64(const json_t *rec, const char *type, const char *key, const struct diag_loc *loc,
	uint64_t *out)
{
	const json_t *v = json_object_get(rec, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return diag_error(CODE_EXIT_DATAERR, loc,
				  "%s record: '%s' must be a non-negative integer", type, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Parses the one form window_start is written in, "2026-11-23T10:00:00.000Z".
 * Formatting the result again and comparing rejects out-of-range fields
 * (month 13, February 30) without a calendar table here.
 */
static int
parse_window_start(const char *s, int64_t *out_ms)
{
	char again[TIMEFMT_RFC3339_SIZE];
	int y, mo, d, h, mi, sec, ms;
	int64_t v;

	if (strlen(s) != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z')
		return -1;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	ms = digits(s + 20, 3);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0)
		return -1;
	v = logline_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000 +
	    (int64_t)h * 3600000 + (int64_t)mi * 60000 + (int64_t)sec * 1000 + ms;
	logline_format_ts(v, again);
	if (strcmp(again, s) != 0)
		return -1;
	*out_ms = v;
	return 0;
}

static int
add_bucket_record(struct tally *t, const json_t *rec, const struct diag_loc *loc)
{
	const char *lab[LAB_N], *ws;
	const json_t *wv = json_object_get(rec, "window_ms");
	unsigned keys = 0;
	int64_t win = 0, wms = 0;
	uint64_t count;
	struct series k;
	int i, ret;

	for (i = 0; i < LAB_N; i++) {
		if ((ret = rec_string(rec, "bucket", lab_name[i], true, loc, &lab[i])) < 0)
			return ret;
		if (ret)
			keys |= lab_key[i];
	}
	if ((ret = rec_string(rec, "bucket", "window_start", true, loc, &ws)) < 0)
		return ret;
	if (ws != NULL && parse_window_start(ws, &win) < 0)
		return diag_error(CODE_EXIT_DATAERR, loc,
				  "bucket record: 'window_start' must be an RFC 3339 UTC time like 2026-11-23T10:00:00.000Z");
	if (wv != NULL || ws != NULL) {
		if (!json_is_integer(wv) || json_integer_value(wv) <= 0)
			return diag_error(CODE_EXIT_DATAERR, loc,
					  "bucket record: 'window_ms' must be a positive integer");
		wms = (int64_t)json_integer_value(wv);
		if (t->window_ms != 0 && t->window_ms != wms)
			return diag_error(CODE_EXIT_DATAERR, loc,
					  "bucket record: 'window_ms' is %" PRId64 " but earlier buckets have %" PRId64,
					  wms, t->window_ms);
		keys |= TALLY_KEY_WINDOW;
	}
	if ((ret = rec_u64(rec, "bucket", "count", loc, &count)) < 0)
		return ret;

	/* The key set is the union seen: a missing key is the empty label. */
	t->keys |= keys;
	if (wms != 0)
		t->window_ms = wms;
	for (i = 0; i < LAB_N; i++)
		k.lab[i] = intern_label(t, i, lab[i]);
	k.has_win = ws != NULL;
	k.win = win;
	stable_add(&t->buckets, &k, count);
	return 0;
}

int
tally_add_record(struct tally *t, const json_t *record, const struct diag_loc *loc,
		 unsigned long *skipped)
{
	const char *type = json_string_value(json_object_get(record, "type"));
	const char *file, *pattern;
	struct tally_totals tot;
	uint64_t n;
	int ret;

	if (type == NULL)
		return diag_error(CODE_EXIT_DATAERR, loc, "record: 'type' must be a string");
	if (strcmp(type, "count") == 0) {
		if ((ret = rec_string(record, type, "file", false, loc, &file)) < 0 ||
		    (ret = rec_string(record, type, "pattern", false, loc, &pattern)) < 0 ||
		    (ret = rec_u64(record, type, "lines", loc, &n)) < 0)
			return ret;
		tally_add_count(t, file, pattern, n);
		return 0;
	}
	if (strcmp(type, "bucket") == 0)
		return add_bucket_record(t, record, loc);
	if (strcmp(type, "total") == 0) {
		if ((ret = rec_u64(record, type, "files", loc, &tot.files)) < 0 ||
		    (ret = rec_u64(record, type, "lines", loc, &tot.lines)) < 0 ||
		    (ret = rec_u64(record, type, "matched", loc, &tot.matched)) < 0 ||
		    (ret = rec_u64(record, type, "bytes", loc, &tot.bytes)) < 0)
			return ret;
		tally_add_totals(t, &tot);
		return 0;
	}
	if (skipped != NULL)
		(*skipped)++;
	return 0;
}

/* ---------------------------------------------------------------- sorting and folding */

static int
cmp_labels(const struct series *a, const struct series *b)
{
	int i, c;

	for (i = 0; i < LAB_N; i++)
		if (a->lab[i] != b->lab[i] && (c = strcmp(a->lab[i], b->lab[i])) != 0)
			return c;
	return 0;
}

/* Output order: buckets without a window first, then by window, then labels. */
static int
cmp_output(const void *pa, const void *pb)
{
	const struct series *a = pa, *b = pb;

	if (a->has_win != b->has_win)
		return a->has_win ? 1 : -1;
	if (a->win != b->win)
		return a->win < b->win ? -1 : 1;
	return cmp_labels(a, b);
}

/* Folding rank: largest total first, ties in label order. */
static int
cmp_rank(const void *pa, const void *pb)
{
	const struct series *a = *(const struct series *const *)pa;
	const struct series *b = *(const struct series *const *)pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return cmp_labels(a, b);
}

/*
 * Copies src[0..n) into a new array of at most max series (windows
 * aside), folding as the comment at the top says, and sorts it for
 * output. Returns the array; *folded is how many series were folded.
 */
static struct series *
fold_sorted(const struct tally *t, const struct series *src, size_t n, size_t max,
	    size_t *out_n, size_t *folded)
{
	struct stable ser, out;
	struct series **rank, *res, k;
	bool *kept;
	size_t i, idx;

	*folded = 0;
	stable_init(&ser, n < 4096 ? n : 4096);
	for (i = 0; i < n; i++) {
		k = src[i];
		k.has_win = false;
		k.win = 0;
		stable_add(&ser, &k, src[i].count);
	}
	if (ser.n <= max) {
		stable_release(&ser);
		res = xmalloc((n ? n : 1) * sizeof(*res));
		if (n)
			memcpy(res, src, n * sizeof(*res));
		qsort(res, n, sizeof(*res), cmp_output);
		*out_n = n;
		return res;
	}
	rank = xmalloc(ser.n * sizeof(*rank));
	for (i = 0; i < ser.n; i++)
		rank[i] = &ser.v[i];
	qsort(rank, ser.n, sizeof(*rank), cmp_rank);
	kept = xcalloc(ser.n, sizeof(*kept));
	for (i = 0; i + 1 < max; i++)
		kept[rank[i] - ser.v] = true;
	*folded = ser.n - (max - 1);

	stable_init(&out, max * 2);
	for (i = 0; i < n; i++) {
		k = src[i];
		k.has_win = false;
		k.win = 0;
		idx = stable_find(&ser, &k);
		k = src[i];
		if (!kept[idx]) {
			k.lab[LAB_FILE] = t->empty;
			k.lab[LAB_PATTERN] = t->other;
			k.lab[LAB_LEVEL] = t->empty;
			k.lab[LAB_SEVERITY] = t->empty;
		}
		stable_add(&out, &k, src[i].count);
	}
	free(kept);
	free(rank);
	stable_release(&ser);
	res = out.v;
	*out_n = out.n;
	free(out.slots);
	qsort(res, *out_n, sizeof(*res), cmp_output);
	return res;
}

static void
warn_folded(const struct tally *t, size_t folded)
{
	if (folded)
		diag_warn(NULL, "folded %zu label combinations into pattern=\"other\" (--max-series %zu)",
			  folded, t->max_series);
}

static struct series *
sorted_copy(const struct stable *st)
{
	struct series *res = xmalloc((st->n ? st->n : 1) * sizeof(*res));

	if (st->n)
		memcpy(res, st->v, st->n * sizeof(*res));
	qsort(res, st->n, sizeof(*res), cmp_output);
	return res;
}

/* ---------------------------------------------------------------- writing */

static void
add_u64(struct strbuf *sb, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strbuf_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}

/* Milliseconds as exact decimal seconds: "60", "0.25", "-1.5". */
static void
add_seconds(struct strbuf *sb, int64_t ms)
{
	uint64_t u = ms < 0 ? 0 - (uint64_t)ms : (uint64_t)ms;
	unsigned frac = (unsigned)(u % 1000);

	if (ms < 0)
		strbuf_addch(sb, '-');
	add_u64(sb, u / 1000);
	if (frac) {
		char f[5];
		int len = 3;

		snprintf(f, sizeof(f), ".%03u", frac);
		while (f[len] == '0')
			len--;
		strbuf_add(sb, f, (size_t)len + 1);
	}
}

static void
add_json_field(struct strbuf *sb, const char *key, const char *val)
{
	strbuf_addch(sb, ',');
	jsonw_append_string(sb, key, strlen(key));
	strbuf_addch(sb, ':');
	jsonw_append_string(sb, val, strlen(val));
}

static void
add_json_u64(struct strbuf *sb, const char *key, uint64_t v)
{
	strbuf_addch(sb, ',');
	jsonw_append_string(sb, key, strlen(key));
	strbuf_addch(sb, ':');
	add_u64(sb, v);
}

/* Whether the bucket shows its pattern: a key, or the folded "other". */
static bool
shows_label(const struct tally *t, const struct series *e, int lab)
{
	return (t->keys & lab_key[lab]) || (lab == LAB_PATTERN && e->lab[lab] != t->empty);
}

/* Text columns are tab-separated: a tab or newline in a label is escaped. */
static void
add_text_label(struct strbuf *sb, const char *s)
{
	if (*s == '\0') {
		strbuf_addch(sb, '-');
		return;
	}
	for (; *s; s++) {
		switch (*s) {
		case '\t': strbuf_add(sb, "\\t", 2); break;
		case '\n': strbuf_add(sb, "\\n", 2); break;
		case '\r': strbuf_add(sb, "\\r", 2); break;
		default: strbuf_addch(sb, *s);
		}
	}
}

/* Labels are UTF-8 already (see intern_entry): only the escapes remain. */
static void
add_prom_value(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; *s; s++) {
		if (*s == '\\')
			strbuf_add(sb, "\\\\", 2);
		else if (*s == '"')
			strbuf_add(sb, "\\\"", 2);
		else if (*s == '\n')
			strbuf_add(sb, "\\n", 2);
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

static void
add_prom_family(struct strbuf *sb, const char *name, const char *help)
{
	strbuf_addf(sb, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* One sample; labels are those lab_mask names, plus a folded pattern. */
static void
add_prom_sample(const struct tally *t, struct strbuf *sb, const char *name,
		const struct series *e, unsigned lab_mask)
{
	int i, n = 0;

	strbuf_addstr(sb, name);
	for (i = 0; i < LAB_N; i++) {
		if (!(lab_mask & lab_key[i]) &&
		    !(i == LAB_PATTERN && e->lab[i] != t->empty))
			continue;
		strbuf_addch(sb, n++ ? ',' : '{');
		strbuf_addstr(sb, lab_name[i]);
		strbuf_addch(sb, '=');
		add_prom_value(sb, e->lab[i]);
	}
	if (n)
		strbuf_addch(sb, '}');
	strbuf_addch(sb, ' ');
	add_u64(sb, e->count);
	strbuf_addch(sb, '\n');
}

static void
add_prom_gauge(struct strbuf *sb, const char *name, const char *help, uint64_t v)
{
	add_prom_family(sb, name, help);
	strbuf_addf(sb, "%s ", name);
	add_u64(sb, v);
	strbuf_addch(sb, '\n');
}

/* Writes sb out when it is large or at the end; keeps the first error. */
static int
flush_buf(struct output *o, struct strbuf *sb, bool force, int ret)
{
	int r;

	if (!force && sb->len < (64u << 10))
		return ret;
	r = sb->len ? output_write(o, sb->buf, sb->len) : 0;
	strbuf_reset(sb);
	return ret < 0 ? ret : r;
}

static int
write_counts(struct tally *t, enum tally_format format, struct output *o, struct strbuf *sb)
{
	struct series *v;
	size_t n, i, folded = 0;
	int ret = 0;

	if (t->counts.n == 0)
		return 0;
	if (format == TALLY_FORMAT_PROM)
		v = fold_sorted(t, t->counts.v, t->counts.n, t->max_series, &n, &folded);
	else {
		v = sorted_copy(&t->counts);
		n = t->counts.n;
	}
	warn_folded(t, folded);
	if (format == TALLY_FORMAT_PROM)
		add_prom_family(sb, "code_logscan_matched_lines",
				"Lines matching the pattern, per file.");
	for (i = 0; i < n; i++) {
		const struct series *e = &v[i];

		switch (format) {
		case TALLY_FORMAT_NDJSON:
			strbuf_addstr(sb, "{\"type\":\"count\"");
			add_json_field(sb, "file", e->lab[LAB_FILE]);
			add_json_field(sb, "pattern", e->lab[LAB_PATTERN]);
			add_json_u64(sb, "lines", e->count);
			strbuf_add(sb, "}\n", 2);
			break;
		case TALLY_FORMAT_TEXT:
			strbuf_addf(sb, "%s:%s:", e->lab[LAB_FILE], e->lab[LAB_PATTERN]);
			add_u64(sb, e->count);
			strbuf_addch(sb, '\n');
			break;
		case TALLY_FORMAT_PROM:
			add_prom_sample(t, sb, "code_logscan_matched_lines", e,
					TALLY_KEY_FILE | TALLY_KEY_PATTERN);
			break;
		}
		ret = flush_buf(o, sb, false, ret);
	}
	free(v);
	return ret;
}

/*
 * prom shows one window: the latest. Lines without a timestamp are shown
 * only when no line had one (they have no window to belong to).
 */
static struct series *
latest_window(const struct tally *t, size_t *n, bool *has_win, int64_t *win)
{
	const struct stable *st = &t->buckets;
	struct series *res = xmalloc((st->n ? st->n : 1) * sizeof(*res));
	size_t i, m = 0;

	*has_win = false;
	*win = 0;
	for (i = 0; i < st->n; i++)
		if (st->v[i].has_win && (!*has_win || st->v[i].win > *win)) {
			*has_win = true;
			*win = st->v[i].win;
		}
	for (i = 0; i < st->n; i++)
		if (st->v[i].has_win == *has_win && st->v[i].win == *win)
			res[m++] = st->v[i];
	*n = m;
	return res;
}

static int
write_buckets(struct tally *t, enum tally_format format, struct output *o, struct strbuf *sb)
{
	struct series *v, *sel = NULL;
	size_t n, i, folded = 0;
	bool has_win = false, pattern_col = false;
	int64_t win = 0;
	char ts[TIMEFMT_RFC3339_SIZE];
	int ret = 0, j;

	if (format == TALLY_FORMAT_PROM && (t->keys & TALLY_KEY_WINDOW)) {
		sel = latest_window(t, &n, &has_win, &win);
		v = fold_sorted(t, sel, n, t->max_series, &n, &folded);
		free(sel);
	} else {
		v = fold_sorted(t, t->buckets.v, t->buckets.n, t->max_series, &n, &folded);
	}
	warn_folded(t, folded);
	if (format == TALLY_FORMAT_PROM && n > 0)
		add_prom_family(sb, "code_logscan_bucket_lines",
				(t->keys & TALLY_KEY_WINDOW) ?
				"Lines matched per label combination in the latest window." :
				"Lines matched per label combination.");
	if (format == TALLY_FORMAT_TEXT && n > 0) {
		for (i = 0; i < n && !pattern_col; i++)
			pattern_col = shows_label(t, &v[i], LAB_PATTERN);
		if (t->keys & TALLY_KEY_WINDOW)
			strbuf_addstr(sb, "WINDOW_START\t");
		for (j = 0; j < LAB_N; j++)
			if ((t->keys & lab_key[j]) || (j == LAB_PATTERN && pattern_col))
				strbuf_addf(sb, "%s\t", lab_column[j]);
		strbuf_addstr(sb, "COUNT\n");
	}
	for (i = 0; i < n; i++) {
		const struct series *e = &v[i];

		switch (format) {
		case TALLY_FORMAT_NDJSON:
			strbuf_addstr(sb, "{\"type\":\"bucket\"");
			if (e->has_win) {
				logline_format_ts(e->win, ts);
				add_json_field(sb, "window_start", ts);
			}
			if (t->keys & TALLY_KEY_WINDOW)
				add_json_u64(sb, "window_ms", (uint64_t)t->window_ms);
			for (j = 0; j < LAB_N; j++)
				if (shows_label(t, e, j))
					add_json_field(sb, lab_name[j], e->lab[j]);
			add_json_u64(sb, "count", e->count);
			strbuf_add(sb, "}\n", 2);
			break;
		case TALLY_FORMAT_TEXT:
			if (t->keys & TALLY_KEY_WINDOW) {
				if (e->has_win) {
					logline_format_ts(e->win, ts);
					strbuf_addstr(sb, ts);
				} else {
					strbuf_addch(sb, '-');
				}
				strbuf_addch(sb, '\t');
			}
			for (j = 0; j < LAB_N; j++)
				if ((t->keys & lab_key[j]) || (j == LAB_PATTERN && pattern_col)) {
					add_text_label(sb, e->lab[j]);
					strbuf_addch(sb, '\t');
				}
			add_u64(sb, e->count);
			strbuf_addch(sb, '\n');
			break;
		case TALLY_FORMAT_PROM:
			add_prom_sample(t, sb, "code_logscan_bucket_lines", e, t->keys);
			break;
		}
		ret = flush_buf(o, sb, false, ret);
	}
	free(v);
	if (format == TALLY_FORMAT_PROM && (t->keys & TALLY_KEY_WINDOW)) {
		if (has_win) {
			add_prom_family(sb, "code_logscan_window_start_seconds",
					"Start of the window code_logscan_bucket_lines covers, in Unix time.");
			strbuf_addstr(sb, "code_logscan_window_start_seconds ");
			add_seconds(sb, win);
			strbuf_addch(sb, '\n');
		}
		if (t->window_ms > 0) {
			add_prom_family(sb, "code_logscan_window_seconds",
					"Length of the aggregation window in seconds.");
			strbuf_addstr(sb, "code_logscan_window_seconds ");
			add_seconds(sb, t->window_ms);
			strbuf_addch(sb, '\n');
		}
	}
	return ret;
}

static void
write_totals(const struct tally *t, enum tally_format format, struct strbuf *sb)
{
	const struct tally_totals *tot = &t->totals;

	switch (format) {
	case TALLY_FORMAT_NDJSON:
		strbuf_addstr(sb, "{\"type\":\"total\"");
		add_json_u64(sb, "files", tot->files);
		add_json_u64(sb, "lines", tot->lines);
		add_json_u64(sb, "matched", tot->matched);
		add_json_u64(sb, "bytes", tot->bytes);
		strbuf_add(sb, "}\n", 2);
		break;
	case TALLY_FORMAT_TEXT:
		strbuf_addf(sb, "total: %" PRIu64 " files, %" PRIu64 " lines, %" PRIu64
			    " matched, %" PRIu64 " bytes\n",
			    tot->files, tot->lines, tot->matched, tot->bytes);
		break;
	case TALLY_FORMAT_PROM:
		add_prom_gauge(sb, "code_logscan_files", "Files scanned.", tot->files);
		add_prom_gauge(sb, "code_logscan_lines", "Lines scanned.", tot->lines);
		add_prom_gauge(sb, "code_logscan_matched_lines_any",
			       "Lines matching at least one pattern.", tot->matched);
		add_prom_gauge(sb, "code_logscan_bytes", "Bytes scanned.", tot->bytes);
		break;
	}
}

int
tally_write(struct tally *t, enum tally_format format, struct output *o)
{
	struct strbuf sb = STRBUF_INIT;
	int ret, r;

	strbuf_init(&sb, 1u << 16);
	ret = write_counts(t, format, o, &sb);
	if (t->buckets.n > 0 || (format == TALLY_FORMAT_PROM && (t->keys & TALLY_KEY_WINDOW))) {
		r = write_buckets(t, format, o, &sb);
		ret = ret < 0 ? ret : r;
	}
	if (t->has_totals)
		write_totals(t, format, &sb);
	ret = flush_buf(o, &sb, true, ret);
	strbuf_release(&sb);
	return ret;
}
