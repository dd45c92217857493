/* emit.c: match records, as NDJSON (one object per line) or grep-like text with colour. */
#include "cmd/logscan/emit.h"

#include <stdlib.h>
#include <string.h>

#include "libcommon/jsonw.h"
#include "libcommon/logline.h"
#include "libcommon/xalloc.h"

#define COLOUR_FILE "\033[35m"
#define COLOUR_LINE "\033[32m"
#define COLOUR_MATCH "\033[1;31m"
#define COLOUR_OFF "\033[0m"

void
emit_init(struct emit_ctx *e, struct output *out, const struct scan_config *cfg, bool text,
	  bool colour, bool show_file)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
	e->cfg = cfg;
	e->text = text;
	e->colour = colour;
	e->show_file = show_file;
	e->matcher = regexset_matcher_new(cfg->set);
	strbuf_init(&e->sb, 4096);
}

void
emit_release(struct emit_ctx *e)
{
	regexset_matcher_free(e->matcher);
	strbuf_release(&e->sb);
}

/* The named groups of every matched pattern; the first pattern to set a name wins. */
static json_t *
match_fields(struct emit_ctx *e, const char *text, size_t len, const size_t *pats, size_t npat)
{
	json_t *fields = NULL;
	size_t i;

	for (i = 0; i < npat; i++) {
		json_t *f;
		const char *k;
		json_t *v;

		if (!regexset_has_names(e->cfg->set, pats[i]))
			continue;
		f = regexset_matcher_fields(e->matcher, pats[i], text, len);
		if (f == NULL)
			continue;
		if (fields == NULL)
			fields = json_object();
		json_object_foreach(f, k, v)
			if (json_object_get(fields, k) == NULL)
				json_object_set(fields, k, v);
		json_decref(f);
	}
	if (fields != NULL && json_object_size(fields) == 0) {
		json_decref(fields);
		fields = NULL;
	}
	return fields;
}

static int
emit_ndjson(struct emit_ctx *e, const char *file, uint64_t line, const struct scan_hit *h,
	    const char *text, const size_t *pats)
{
	const struct scan_config *cfg = e->cfg;
	struct strbuf *sb = &e->sb;
	struct logline ll;
	json_t *fields;
	int sev = -1;
	size_t i;

	strbuf_reset(sb);
	strbuf_addstr(sb, "{\"type\":\"match\",\"file\":");
	jsonw_append_string_lossy(sb, file, strlen(file));
	strbuf_addstr(sb, ",\"line\":");
	jsonw_append_int(sb, (long long)line);
	strbuf_addstr(sb, ",\"offset\":");
	jsonw_append_int(sb, (long long)h->offset);
	strbuf_addstr(sb, ",\"patterns\":[");
	for (i = 0; i < h->npat; i++) {
		const char *name = regexset_name(cfg->set, pats[i]);

		if (i > 0)
			strbuf_addch(sb, ',');
		jsonw_append_string_lossy(sb, name, strlen(name));
		if (cfg->severity_rank[pats[i]] > sev)
			sev = cfg->severity_rank[pats[i]];
	}
	strbuf_addch(sb, ']');
	logline_parse(text, h->text_len, &cfg->logctx, &ll);
	if (ll.has_ts) {
		char ts[TIMEFMT_RFC3339_SIZE];

		logline_format_ts(ll.ts_ms, ts);
		strbuf_addstr(sb, ",\"ts\":\"");
		strbuf_addstr(sb, ts);
		strbuf_addch(sb, '"');
	}
	if (ll.level != LOGLINE_LEVEL_NONE) {
		strbuf_addstr(sb, ",\"level\":\"");
		strbuf_addstr(sb, logline_level_name(ll.level));
		strbuf_addch(sb, '"');
	}
	if (sev >= 0) {
		strbuf_addstr(sb, ",\"severity\":\"");
		strbuf_addstr(sb, scan_severity_name(sev));
		strbuf_addch(sb, '"');
	}
	strbuf_addstr(sb, ",\"text\":");
	jsonw_append_string_lossy(sb, text, h->text_len);
	if (h->truncated)
		strbuf_addstr(sb, ",\"text_truncated\":true");
	fields = match_fields(e, text, h->text_len, pats, h->npat);
	if (fields != NULL) {
		strbuf_addstr(sb, ",\"fields\":");
		jsonw_append(sb, fields);
		json_decref(fields);
	}
	strbuf_addstr(sb, "}\n");
	return output_write(e->out, sb->buf, sb->len);
}

struct span {
	size_t so, eo;
};

static int
cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->so < y->so ? -1 : x->so > y->so;
}

/*
 * On a terminal, bytes that could move its cursor or change its state are
 * shown as '?'; to a pipe the text goes as it is, as grep's does.
 */
static void
add_visible(struct strbuf *sb, const char *p, size_t len, bool terminal)
{
	size_t i;

	if (!terminal) {
		strbuf_add(sb, p, len);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		strbuf_addch(sb, (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c);
	}
}

static int
emit_text(struct emit_ctx *e, const char *file, uint64_t line, const struct scan_hit *h,
	  const char *text, const size_t *pats)
{
	struct strbuf *sb = &e->sb;
	struct span *spans = NULL;
	size_t nspans = 0, cap = 0, i, at = 0;

	strbuf_reset(sb);
	if (e->show_file) {
		if (e->colour)
			strbuf_addstr(sb, COLOUR_FILE);
		add_visible(sb, file, strlen(file), e->colour);
		strbuf_addstr(sb, e->colour ? COLOUR_OFF ":" : ":");
	}
	if (e->colour)
		strbuf_addf(sb, COLOUR_LINE "%llu" COLOUR_OFF ":", (unsigned long long)line);
	else
		strbuf_addf(sb, "%llu:", (unsigned long long)line);
	if (e->colour) {
		for (i = 0; i < h->npat; i++) {
			size_t start = 0, so, eo;

			while (start <= h->text_len &&
			       regexset_matcher_span(e->matcher, pats[i], text, h->text_len, start,
						     &so, &eo)) {
				if (eo > so) {
					if (nspans == cap) {
						cap = cap ? cap * 2 : 8;
						spans = xrealloc(spans, cap * sizeof(*spans));
					}
					spans[nspans].so = so;
					spans[nspans++].eo = eo;
				}
				start = eo > so ? eo : so + 1;
			}
		}
		qsort(spans, nspans, sizeof(*spans), cmp_span);
	}
	for (i = 0; i < nspans; i++) {
		size_t so = spans[i].so > at ? spans[i].so : at;

		if (spans[i].eo <= at)
			continue;
		add_visible(sb, text + at, so - at, true);
		strbuf_addstr(sb, COLOUR_MATCH);
		add_visible(sb, text + so, spans[i].eo - so, true);
		strbuf_addstr(sb, COLOUR_OFF);
		at = spans[i].eo;
	}
	free(spans);
	add_visible(sb, text + at, h->text_len - at, e->colour);
	strbuf_addch(sb, '\n');
	return output_write(e->out, sb->buf, sb->len);
}

int
emit_match(struct emit_ctx *e, const char *file, uint64_t line, const struct scan_hit *h,
	   const char *text, const size_t *pats)
{
	if (e->text)
		return emit_text(e, file, line, h, text, pats);
	return emit_ndjson(e, file, line, h, text, pats);
}
