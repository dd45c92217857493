/* redact.h: secret values replaced by "***" in text, also across chunk boundaries. */
#ifndef CODE_REDACT_H
#define CODE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "libcommon/strbuf.h"

/*
 * A set of secret strings (API keys, passwords: the values, not the
 * names). Built once, then read-only, so threads may share it. Matching is
 * leftmost-longest: where two secrets start at one place the longer one is
 * masked, and the text after a mask is searched again. Empty strings are
 * never secrets.
 */
struct redact;

struct redact *redact_new(void);
/* Adds a copy of secret; NULL and "" are ignored. Not after sharing with threads. */
void redact_add(struct redact *r, const char *secret);
/* Adds every secret of other. */
void redact_add_all(struct redact *r, const struct redact *other);
size_t redact_count(const struct redact *r);
/* The longest secret's length (0 when none). */
size_t redact_max_len(const struct redact *r);
/* True when text holds a secret. */
bool redact_contains(const struct redact *r, const char *text, size_t len);
/* Appends text to out with each secret replaced by SECRET_MASK ("***"). r may be NULL (copy). */
void redact_append(const struct redact *r, struct strbuf *out, const char *text, size_t len);
/* A malloc'd copy of s, redacted. */
char *redact_string(const struct redact *r, const char *s);
/* NULL is a no-op. */
void redact_free(struct redact *r);

/*
 * Streaming: text arrives in chunks (a child's output through a pipe) and
 * a secret may be split between two of them. Each feed appends to out all
 * that can no longer be part of a secret, keeping back at most
 * redact_max_len - 1 bytes; finish appends the rest. The concatenation of
 * all output equals redact_append of the concatenated input.
 */
struct redact_stream {
	const struct redact *r;
	struct strbuf pending;
};

void redact_stream_init(struct redact_stream *s, const struct redact *r);
void redact_stream_feed(struct redact_stream *s, const char *data, size_t len, struct strbuf *out);
void redact_stream_finish(struct redact_stream *s, struct strbuf *out);
void redact_stream_release(struct redact_stream *s);

#endif
