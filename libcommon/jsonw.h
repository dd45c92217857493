/* jsonw.h: compact JSON text, byte for byte as jansson's JSON_COMPACT. */
#ifndef CODE_JSONW_H
#define CODE_JSONW_H

#include <jansson.h>

#include "libcommon/strbuf.h"

/*
 * Appends v as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) would, keys in
 * insertion order, without jansson's per-number formatting calls: the
 * writer for hot output paths.
 */
void jsonw_append(struct strbuf *sb, const json_t *v);
/* Appends s as a JSON string literal (quotes and escapes included). */
void jsonw_append_string(struct strbuf *sb, const char *s, size_t len);
/*
 * Like jsonw_append_string for bytes that may not be UTF-8 (log lines):
 * each byte of an invalid or truncated sequence becomes U+FFFD, so the
 * output is always valid JSON text.
 */
void jsonw_append_string_lossy(struct strbuf *sb, const char *s, size_t len);
/* Appends a decimal integer. */
void jsonw_append_int(struct strbuf *sb, long long n);

#endif
