/* input.h: read a file or stdin, zstd-decompressed on the fly when needed. */
#ifndef CODE_INPUT_H
#define CODE_INPUT_H

#include <stddef.h>
#include <sys/types.h>

/* Opaque. */
struct input;

/*
 * Opens path for reading; NULL or "-" is stdin (named "<stdin>" in
 * messages). Input is decompressed when path ends in ".zst" or starts
 * with the zstd magic number. Returns 0, or -CODE_EXIT_NOINPUT after
 * "cannot open 'path': reason".
 */
int input_open(const char *path, struct input **out);
/* Wraps an open fd (not closed by input_close when borrowed). */
int input_open_fd(int fd, const char *name, int borrowed, struct input **out);
/*
 * Reads up to n decoded bytes. Returns the count, 0 at end of input, or
 * the negated exit code after a diagnostic: -CODE_EXIT_IOERR for a read
 * error, -CODE_EXIT_DATAERR for corrupt or truncated zstd data.
 */
ssize_t input_read(struct input *in, void *buf, size_t n);
/* The name used in messages ("<stdin>" for stdin). */
const char *input_name(const struct input *in);
int input_is_compressed(const struct input *in);
void input_close(struct input *in);

/*
 * Reads a whole input into memory, failing with -CODE_EXIT_DATAERR
 * ("'name' is larger than LIMIT") past max_bytes. *out is malloc'd and
 * NUL-terminated; the caller frees it.
 */
int input_read_all(struct input *in, size_t max_bytes, char **out,
		   size_t *out_len);

#endif
