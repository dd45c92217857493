/* scan.c: the hot loop: literal prefilter, regex confirmation, and what each matching line adds. */
/* memrchr finds a line's start with glibc's vector code. */
#define _GNU_SOURCE
#include "cmd/logscan/scan.h"

#include <stdlib.h>
#include <string.h>

#include "libcommon/exitcodes.h"
#include "libcommon/xalloc.h"
#include "simd/bytecount.h"

/* Bytes of zeroed slack after each kept text: see keep_hit. */
#define TEXT_SLACK 64

static const char *const severity_names[] = {
	"debug", "info", "notice", "warning", "error", "critical",
};
#define SEVERITY_COUNT (sizeof(severity_names) / sizeof(severity_names[0]))

const char *
scan_severity_name(int rank)
{
	if (rank < 0 || (size_t)rank >= SEVERITY_COUNT)
		return NULL;
	return severity_names[rank];
}

static int
severity_rank(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < SEVERITY_COUNT; i++)
		if (strcmp(name, severity_names[i]) == 0)
			return (int)i;
	return -1;
}

int
scan_config_init(struct scan_config *cfg, const struct regexset *set,
		 const char *const *severities, enum scan_mode mode)
{
	struct litscan_needle *needles;
	size_t n = regexset_count(set), nneedles = 0, p, k;

	memset(cfg, 0, sizeof(*cfg));
	cfg->set = set;
	cfg->npatterns = n;
	cfg->mode = mode;
	cfg->max_text = 64 * 1024;
	cfg->avx2 = bytecount_avx2_usable();
	cfg->severity_rank = xcalloc(n ? n : 1, sizeof(*cfg->severity_rank));
	cfg->literal_only = xcalloc(n ? n : 1, sizeof(*cfg->literal_only));
	cfg->always = xcalloc(n ? n : 1, sizeof(*cfg->always));
	for (p = 0; p < n; p++) {
		cfg->severity_rank[p] = severity_rank(severities ? severities[p] : NULL);
		cfg->literal_only[p] = regexset_literal_only(set, p);
		cfg->always[p] = regexset_literal_count(set, p) == 0;
		if (cfg->always[p])
			cfg->any_always = true;
		else
			nneedles += regexset_literal_count(set, p);
	}
	if (nneedles == 0)
		return 0;
	needles = xcalloc(nneedles, sizeof(*needles));
	nneedles = 0;
	for (p = 0; p < n; p++) {
		if (cfg->always[p])
			continue;
		for (k = 0; k < regexset_literal_count(set, p); k++) {
			struct litscan_needle *nd = &needles[nneedles++];

			nd->bytes = regexset_literal(set, p, k, &nd->len);
			nd->nocase = regexset_caseless(set, p);
			nd->id = (int)p;
		}
	}
	if (litscan_new(&cfg->prefilter, needles, nneedles) != 0) {
		free(needles);
		return diag_error(CODE_EXIT_SOFTWARE, NULL, "cannot build the literal prefilter");
	}
	free(needles);
	return 0;
}

void
scan_config_release(struct scan_config *cfg)
{
	litscan_free(cfg->prefilter);
	free(cfg->severity_rank);
	free(cfg->literal_only);
	free(cfg->always);
	memset(cfg, 0, sizeof(*cfg));
}

void
scan_result_init(struct scan_result *r, const struct scan_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->pattern_lines = xcalloc(cfg->npatterns ? cfg->npatterns : 1,
				   sizeof(*r->pattern_lines));
	r->limit_hits = xcalloc(cfg->npatterns ? cfg->npatterns : 1, sizeof(*r->limit_hits));
	strbuf_init(&r->text, 0);
}

void
scan_result_release(struct scan_result *r)
{
	free(r->pattern_lines);
	free(r->limit_hits);
	free(r->hits);
	free(r->pats);
	strbuf_release(&r->text);
	free(r->buckets);
	free(r->bucket_index);
	memset(r, 0, sizeof(*r));
}

void
scan_worker_init(struct scan_worker *w, const struct scan_config *cfg)
{
	size_t n = cfg->npatterns ? cfg->npatterns : 1;

	w->cfg = cfg;
	w->matcher = regexset_matcher_new(cfg->set);
	w->stamp = xcalloc(n, sizeof(*w->stamp));
	w->line_stamp = 0;
	w->cands = xcalloc(n, sizeof(*w->cands));
	w->limit_seen = xcalloc(n, sizeof(*w->limit_seen));
}

void
scan_worker_take_limit_hits(struct scan_worker *w, struct scan_result *r)
{
	size_t p;

	for (p = 0; p < w->cfg->npatterns; p++) {
		unsigned long now = regexset_matcher_limit_hits(w->matcher, p);

		r->limit_hits[p] += now - w->limit_seen[p];
		w->limit_seen[p] = now;
	}
}

void
scan_worker_release(struct scan_worker *w)
{
	regexset_matcher_free(w->matcher);
	free(w->stamp);
	free(w->cands);
	free(w->limit_seen);
}

/* A new line: candidates are those stamped with its number. */
static void
next_line_stamp(struct scan_worker *w)
{
	if (++w->line_stamp == 0) {
		memset(w->stamp, 0, w->cfg->npatterns * sizeof(*w->stamp));
		w->line_stamp = 1;
	}
}

static size_t
add_candidate(struct scan_worker *w, size_t ncand, size_t p)
{
	if (w->stamp[p] == w->line_stamp)
		return ncand;
	w->stamp[p] = w->line_stamp;
	w->cands[ncand] = p;
	return ncand + 1;
}

/* Every pattern with a literal in line[from, end), found from the hit m onwards. */
static size_t
collect_literal_candidates(struct scan_worker *w, const char *data, size_t end,
			   struct litscan_match m, size_t ncand)
{
	const struct litscan *ls = w->cfg->prefilter;
	size_t pos = m.pos;

	for (;;) {
		struct litscan_match o;

		ncand = add_candidate(w, ncand, (size_t)m.id);
		if (ncand == w->cfg->npatterns)
			return ncand;
		if (litscan_match_at(ls, data, end, pos, m.index + 1, &o)) {
			m = o;
			continue;
		}
		if (!litscan_find(ls, data, end, pos + 1, &o))
			return ncand;
		m = o;
		pos = m.pos;
	}
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
bucket_hash(const struct scan_bucket *b)
{
	uint64_t h = 0x9E3779B97F4A7C15ull;

	h = (h ^ b->pattern) * 0x100000001B3ull;
	h = (h ^ (uint64_t)(b->severity + 1)) * 0x100000001B3ull;
	h = (h ^ (uint64_t)b->level) * 0x100000001B3ull;
	h = (h ^ (uint64_t)b->window_state) * 0x100000001B3ull;
	h = (h ^ (uint64_t)b->window_start) * 0x100000001B3ull;
	return h ^ (h >> 29);
}

static bool
bucket_same(const struct scan_bucket *a, const struct scan_bucket *b)
{
	return a->pattern == b->pattern && a->severity == b->severity &&
	       a->level == b->level && a->window_state == b->window_state &&
	       a->window_start == b->window_start;
}

static void
bucket_index_rebuild(struct scan_result *r)
{
	size_t cap = r->bucket_index_cap ? r->bucket_index_cap * 2 : 64, i;

	free(r->bucket_index);
	r->bucket_index = xmalloc(cap * sizeof(*r->bucket_index));
	for (i = 0; i < cap; i++)
		r->bucket_index[i] = SIZE_MAX;
	r->bucket_index_cap = cap;
	for (i = 0; i < r->nbuckets; i++) {
		size_t slot = bucket_hash(&r->buckets[i]) & (cap - 1);

		while (r->bucket_index[slot] != SIZE_MAX)
			slot = (slot + 1) & (cap - 1);
		r->bucket_index[slot] = i;
	}
}

static void
bucket_add(struct scan_result *r, const struct scan_bucket *key)
{
	size_t slot;

	if ((r->nbuckets + 1) * 2 > r->bucket_index_cap)
		bucket_index_rebuild(r);
	slot = bucket_hash(key) & (r->bucket_index_cap - 1);
	while (r->bucket_index[slot] != SIZE_MAX) {
		struct scan_bucket *b = &r->buckets[r->bucket_index[slot]];

		if (bucket_same(b, key)) {
			b->count++;
			return;
		}
		slot = (slot + 1) & (r->bucket_index_cap - 1);
	}
	if (r->nbuckets == r->buckets_cap) {
		r->buckets_cap = r->buckets_cap ? r->buckets_cap * 2 : 16;
		r->buckets = xrealloc(r->buckets, r->buckets_cap * sizeof(*r->buckets));
	}
	r->buckets[r->nbuckets] = *key;
	r->buckets[r->nbuckets].count = 1;
	r->bucket_index[slot] = r->nbuckets++;
}

/*
 * The timestamp of the nearest line before line_start (in data) that has
 * one; false when none does within data.
 */
static bool
earlier_timestamp(const struct scan_config *cfg, const char *data, size_t line_start,
		  int64_t *ts)
{
	size_t end = line_start;

	while (end > 0) {
		size_t start;
		const char *nl;
		struct logline ll;

		/* end is just after the previous line's '\n'. */
		nl = end >= 2 ? memrchr(data, '\n', end - 1) : NULL;
		start = nl ? (size_t)(nl - data) + 1 : 0;
		logline_parse(data + start, end - 1 - start, &cfg->logctx, &ll);
		if (ll.has_ts) {
			*ts = ll.ts_ms;
			return true;
		}
		end = start;
	}
	return false;
}

int64_t
scan_window_floor(int64_t ts, int64_t window)
{
	int64_t q = ts / window;

	if (ts % window != 0 && ts < 0)
		q--;
	return q * window;
}

static void
aggregate_line(struct scan_worker *w, const char *data, size_t ls, size_t le,
	       const size_t *pats, size_t npat, struct scan_result *r)
{
	const struct scan_config *cfg = w->cfg;
	struct scan_bucket key = { 0 };
	struct logline ll;
	size_t i;
	int64_t ts;

	logline_parse(data + ls, le - ls, &cfg->logctx, &ll);
	key.level = cfg->agg_level ? ll.level : LOGLINE_LEVEL_NONE;
	key.severity = -1;
	if (cfg->agg_window) {
		if (ll.has_ts) {
			key.window_state = 1;
			ts = ll.ts_ms;
		} else if (earlier_timestamp(cfg, data, ls, &ts)) {
			key.window_state = 1;
		} else if (r->has_last_ts) {
			key.window_state = 1;
			ts = r->last_ts;
		} else {
			key.window_state = 2;
		}
		if (key.window_state == 1)
			key.window_start = scan_window_floor(ts, cfg->window_ms);
	}
	if (cfg->agg_pattern) {
		for (i = 0; i < npat; i++) {
			key.pattern = pats[i];
			key.severity = cfg->agg_severity ? cfg->severity_rank[pats[i]] : -1;
			bucket_add(r, &key);
		}
		return;
	}
	key.pattern = SIZE_MAX;
	if (cfg->agg_severity)
		for (i = 0; i < npat; i++)
			if (cfg->severity_rank[pats[i]] > key.severity)
				key.severity = cfg->severity_rank[pats[i]];
	bucket_add(r, &key);
}

static void
keep_hit(struct scan_worker *w, const char *data, size_t ls, size_t le, uint64_t line,
	 uint64_t offset, size_t npat, struct scan_result *r)
{
	struct scan_hit *h;
	size_t tlen = le - ls;

	if (r->nhits == r->hits_cap) {
		r->hits_cap = r->hits_cap ? r->hits_cap * 2 : 64;
		r->hits = xrealloc(r->hits, r->hits_cap * sizeof(*r->hits));
	}
	h = &r->hits[r->nhits++];
	/* CRLF logs: the CR belongs to the line ending, not the text. */
	if (tlen > 0 && data[le - 1] == '\r')
		tlen--;
	h->truncated = tlen > w->cfg->max_text;
	if (h->truncated)
		tlen = w->cfg->max_text;
	h->line = line;
	h->offset = offset + ls;
	h->text_off = r->text.len;
	h->text_len = tlen;
	strbuf_add(&r->text, data + ls, tlen);
	/*
	 * PCRE2's JIT may load a few bytes past the end of a subject with
	 * vector reads (never across a page); zeroed slack after each kept
	 * text keeps those loads inside our allocation and defined.
	 */
	strbuf_grow(&r->text, TEXT_SLACK);
	memset(r->text.buf + r->text.len, 0, TEXT_SLACK);
	h->pat_off = r->npats;
	h->npat = npat;
}

/*
 * Confirms the candidates of line [ls, le) and records the line when any
 * matched. Returns whether it matched.
 */
static bool
confirm_line(struct scan_worker *w, const char *data, size_t ls, size_t le, size_t ncand,
	     uint64_t line, uint64_t offset, struct scan_result *r)
{
	const struct scan_config *cfg = w->cfg;
	size_t i, npat = 0, base;

	if (r->npats + ncand > r->pats_cap) {
		r->pats_cap = (r->npats + ncand) * 2 + 16;
		r->pats = xrealloc(r->pats, r->pats_cap * sizeof(*r->pats));
	}
	base = r->npats;
	for (i = 0; i < ncand; i++) {
		size_t p = w->cands[i];

		if (cfg->literal_only[p] ||
		    regexset_match_pattern(w->matcher, p, data + ls, le - ls))
			r->pats[base + npat++] = p;
	}
	if (npat == 0)
		return false;
	if (npat > 1)
		qsort(r->pats + base, npat, sizeof(*r->pats), cmp_size);
	r->matched++;
	for (i = 0; i < npat; i++)
		r->pattern_lines[r->pats[base + i]]++;
	switch (cfg->mode) {
	case SCAN_MODE_MATCH:
		keep_hit(w, data, ls, le, line, offset, npat, r);
		r->npats += npat;
		break;
	case SCAN_MODE_AGGREGATE:
		aggregate_line(w, data, ls, le, r->pats + base, npat, r);
		break;
	case SCAN_MODE_COUNT:
		break;
	}
	return true;
}

/* The prefilter decides which lines are looked at: most lines cost only the SIMD scan. */
static void
scan_prefiltered(struct scan_worker *w, const char *data, size_t len, uint64_t offset,
		 struct scan_result *r, uint64_t line_base, size_t *counted, uint64_t *nl)
{
	const struct scan_config *cfg = w->cfg;
	size_t pos = 0;
	struct litscan_match m;

	while (pos < len && litscan_find(cfg->prefilter, data, len, pos, &m)) {
		const char *p;
		size_t ls, le, ncand;

		p = m.pos > pos ? memrchr(data + pos, '\n', m.pos - pos) : NULL;
		ls = p ? (size_t)(p - data) + 1 : pos;
		p = memchr(data + m.pos, '\n', len - m.pos);
		le = p ? (size_t)(p - data) : len;
		next_line_stamp(w);
		ncand = collect_literal_candidates(w, data, le, m, 0);
		if (cfg->mode == SCAN_MODE_MATCH) {
			*nl += bytecount_newlines(data + *counted, ls - *counted, cfg->avx2);
			*counted = ls;
		}
		confirm_line(w, data, ls, le, ncand, line_base + *nl + 1, offset, r);
		pos = le + 1;
	}
}

/* Some pattern has no literal: every line is looked at. */
static void
scan_every_line(struct scan_worker *w, const char *data, size_t len, uint64_t offset,
		struct scan_result *r, uint64_t line_base, size_t *counted, uint64_t *nl)
{
	const struct scan_config *cfg = w->cfg;
	size_t ls = 0, p;

	while (ls < len) {
		const char *q = memchr(data + ls, '\n', len - ls);
		size_t le = q ? (size_t)(q - data) : len, ncand = 0;
		struct litscan_match m;

		next_line_stamp(w);
		for (p = 0; p < cfg->npatterns; p++)
			if (cfg->always[p])
				ncand = add_candidate(w, ncand, p);
		if (cfg->prefilter != NULL && litscan_find(cfg->prefilter, data, le, ls, &m))
			ncand = collect_literal_candidates(w, data, le, m, ncand);
		confirm_line(w, data, ls, le, ncand, line_base + *nl + 1, offset, r);
		(*nl)++;
		*counted = le + 1 < len ? le + 1 : len;
		ls = le + 1;
	}
	if (len > 0 && data[len - 1] != '\n')
		(*nl)--;   /* the loop counted the unterminated last line as ended */
	*counted = len;
}

void
scan_chunk(struct scan_worker *w, const char *data, size_t len, uint64_t offset,
	   struct scan_result *r)
{
	const struct scan_config *cfg = w->cfg;
	uint64_t line_base = r->lines, nl = 0;
	size_t counted = 0;
	int64_t ts;

	if (len == 0)
		return;
	if (cfg->any_always || cfg->prefilter == NULL)
		scan_every_line(w, data, len, offset, r, line_base, &counted, &nl);
	else
		scan_prefiltered(w, data, len, offset, r, line_base, &counted, &nl);
	nl += bytecount_newlines(data + counted, len - counted, cfg->avx2);
	r->lines += nl + (data[len - 1] != '\n');
	r->bytes += len;
	r->consumed += len;
	if (cfg->agg_window && earlier_timestamp(cfg, data, len + (data[len - 1] != '\n'), &ts)) {
		r->has_last_ts = true;
		r->last_ts = ts;
	}
}
