/* output.h: buffered stdout that turns write failures into exit 74. */
#ifndef CODE_OUTPUT_H
#define CODE_OUTPUT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Opaque. A failed write (ENOSPC, EIO, EPIPE, ...) makes every later call
 * return -CODE_EXIT_IOERR; the first failure prints "write error: reason",
 * except EPIPE, which is quiet (the reader left; that is not news).
 * Callers ignore SIGPIPE (output_open_fd does so) so EPIPE is seen.
 */
struct output;

int output_open_fd(int fd, struct output **out);
int output_write(struct output *o, const void *data, size_t len);
int output_puts(struct output *o, const char *s);
int output_printf(struct output *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int output_flush(struct output *o);
/* Flushes, then frees; returns the first error seen, or 0. */
int output_close(struct output *o);
/* When a terminal is the reader, flush after each record. */
void output_set_line_buffered(struct output *o, int on);

#endif
