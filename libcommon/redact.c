/* redact.c: secret values replaced by "***" in text, also across chunk boundaries. */
#include "libcommon/redact.h"

#include <stdlib.h>
#include <string.h>

#include "libcommon/secret.h"
#include "libcommon/xalloc.h"

struct secret {
	char *s;
	size_t len;
};

/*
 * Secrets sorted by first byte, then longest first, so the first full
 * match found at a position is the longest one. by_byte[c] is the start
 * of the secrets beginning with c and by_byte[c + 1] its end, which lets
 * the scan skip every byte that begins no secret with one table look-up.
 */
struct redact {
	struct secret *v;
	size_t n, alloc;
	size_t max_len;
	size_t by_byte[257];
	bool starts[256];       /* some secret begins with this byte */
	int nfirst;             /* distinct first bytes */
	unsigned char first;    /* the first byte when nfirst == 1 */
};

/* Where the scan stands at one position. */
enum match {
	MATCH_NONE,
	MATCH_FOUND,
	MATCH_UNDECIDED         /* a secret may continue past the end of the text */
};

static int
secret_cmp(const void *a, const void *b)
{
	const struct secret *x = a, *y = b;
	unsigned char cx = (unsigned char)x->s[0], cy = (unsigned char)y->s[0];

	if (cx != cy)
		return cx < cy ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return memcmp(x->s, y->s, x->len);
}

static void
reindex(struct redact *r)
{
	size_t i;
	int c;

	qsort(r->v, r->n, sizeof(*r->v), secret_cmp);
	r->max_len = 0;
	r->nfirst = 0;
	i = 0;
	for (c = 0; c < 256; c++) {
		r->by_byte[c] = i;
		r->starts[c] = i < r->n && (unsigned char)r->v[i].s[0] == c;
		if (r->starts[c]) {
			r->nfirst++;
			r->first = (unsigned char)c;
		}
		while (i < r->n && (unsigned char)r->v[i].s[0] == c) {
			if (r->v[i].len > r->max_len)
				r->max_len = r->v[i].len;
			i++;
		}
	}
	r->by_byte[256] = i;
}

struct redact *
redact_new(void)
{
	struct redact *r = xcalloc(1, sizeof(*r));

	return r;
}

static bool
has_secret(const struct redact *r, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].len == len && memcmp(r->v[i].s, s, len) == 0)
			return true;
	return false;
}

void
redact_add(struct redact *r, const char *secret)
{
	size_t len;

	if (secret == NULL || secret[0] == '\0')
		return;
	len = strlen(secret);
	/* A set: adding a value twice must not grow it. */
	if (has_secret(r, secret, len))
		return;
	if (r->n == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 8;
		r->v = xreallocarray(r->v, r->alloc, sizeof(*r->v));
	}
	r->v[r->n].s = xstrdup(secret);
	r->v[r->n].len = len;
	r->n++;
	reindex(r);
}

void
redact_add_all(struct redact *r, const struct redact *other)
{
	size_t i;

	if (other == NULL || other == r)
		return;
	for (i = 0; i < other->n; i++)
		redact_add(r, other->v[i].s);
}

size_t
redact_count(const struct redact *r)
{
	return r != NULL ? r->n : 0;
}

size_t
redact_max_len(const struct redact *r)
{
	return r != NULL ? r->max_len : 0;
}

/*
 * The match at text (avail bytes to the end of what is known). Unless
 * final, a longer secret whose start fills all avail bytes could still
 * match once more text arrives: then nothing may be decided here yet,
 * or the result would differ from redacting the whole text at once.
 */
static enum match
match_at(const struct redact *r, const char *text, size_t avail, bool final,
	 size_t *mlen)
{
	unsigned char c = (unsigned char)text[0];
	size_t i;

	for (i = r->by_byte[c]; i < r->by_byte[c + 1]; i++) {
		const struct secret *sec = &r->v[i];

		/* Most candidates fail on their second byte: no call for them. */
		if (sec->len > 1 && avail > 1 && sec->s[1] != text[1])
			continue;
		if (sec->len > avail) {
			if (!final && memcmp(sec->s, text, avail) == 0)
				return MATCH_UNDECIDED;
			continue;
		}
		if (memcmp(sec->s, text, sec->len) == 0) {
			*mlen = sec->len;
			return MATCH_FOUND;
		}
	}
	return MATCH_NONE;
}

/* The first position at or after from whose byte begins a secret, or len. */
static size_t
next_candidate(const struct redact *r, const char *text, size_t from,
	       size_t len)
{
	const unsigned char *p = (const unsigned char *)text;

	if (from >= len)
		return len;
	if (r->nfirst == 1) {
		const char *q = memchr(text + from, r->first, len - from);

		return q != NULL ? (size_t)(q - text) : len;
	}
	while (from < len && !r->starts[p[from]])
		from++;
	return from;
}

/*
 * Redacts text into out (out NULL: only looks) and returns how many bytes
 * were decided: all of them when final, else up to the first position a
 * secret may continue past the end. *found tells whether a secret was seen.
 */
static size_t
scan(const struct redact *r, const char *text, size_t len, bool final,
     struct strbuf *out, bool *found)
{
	size_t start = 0, i = 0, p, mlen = 0;
	enum match m;

	if (r == NULL || r->n == 0) {
		if (out != NULL)
			strbuf_add(out, text, len);
		return len;
	}
	while ((p = next_candidate(r, text, i, len)) < len) {
		m = match_at(r, text + p, len - p, final, &mlen);
		if (m == MATCH_UNDECIDED) {
			if (out != NULL)
				strbuf_add(out, text + start, p - start);
			return p;
		}
		if (m == MATCH_NONE) {
			i = p + 1;
			continue;
		}
		if (found != NULL)
			*found = true;
		if (out == NULL)
			return len;
		strbuf_add(out, text + start, p - start);
		strbuf_addstr(out, SECRET_MASK);
		i = start = p + mlen;
	}
	if (out != NULL)
		strbuf_add(out, text + start, len - start);
	return len;
}

bool
redact_contains(const struct redact *r, const char *text, size_t len)
{
	bool found = false;

	scan(r, text, len, true, NULL, &found);
	return found;
}

void
redact_append(const struct redact *r, struct strbuf *out, const char *text,
	      size_t len)
{
	scan(r, text, len, true, out, NULL);
}

char *
redact_string(const struct redact *r, const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	redact_append(r, &sb, s, strlen(s));
	return strbuf_detach(&sb, NULL);
}

void
redact_free(struct redact *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->v[i].s);
	free(r->v);
	free(r);
}

void
redact_stream_init(struct redact_stream *s, const struct redact *r)
{
	s->r = r;
	strbuf_init(&s->pending, 0);
}

void
redact_stream_feed(struct redact_stream *s, const char *data, size_t len,
		   struct strbuf *out)
{
	size_t done;

	if (s->pending.len == 0) {
		/* The common case: nothing held back, so no copy of data. */
		done = scan(s->r, data, len, false, out, NULL);
		strbuf_add(&s->pending, data + done, len - done);
		return;
	}
	strbuf_add(&s->pending, data, len);
	done = scan(s->r, s->pending.buf, s->pending.len, false, out, NULL);
	memmove(s->pending.buf, s->pending.buf + done, s->pending.len - done);
	strbuf_setlen(&s->pending, s->pending.len - done);
}

void
redact_stream_finish(struct redact_stream *s, struct strbuf *out)
{
	scan(s->r, s->pending.buf != NULL ? s->pending.buf : "",
	     s->pending.len, true, out, NULL);
	strbuf_reset(&s->pending);
}

void
redact_stream_release(struct redact_stream *s)
{
	strbuf_release(&s->pending);
}
