/* strbuf.h: the one growable byte string of code-tools. */
#ifndef CODE_STRBUF_H
#define CODE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * buf is NUL-terminated whenever it is non-NULL; len excludes the NUL.
 * STRBUF_INIT gives an empty buffer that allocates on first use.
 */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
/* Makes room for extra more bytes (plus the NUL) without changing len. */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void strbuf_setlen(struct strbuf *sb, size_t len);
/* Returns the contents as a C string, "" for a never-used buffer. */
const char *strbuf_str(const struct strbuf *sb);
/* Hands the allocation to the caller (who frees it) and empties sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

#endif
