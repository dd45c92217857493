/* chunkread.h: a file or stream as successive buffers of whole lines, read with io_uring or read(2). */
#ifndef CODE_CHUNKREAD_H
#define CODE_CHUNKREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "libcommon/input.h"

/* How regular files are read. */
enum chunkread_io {
	CHUNKREAD_IO_READ = 0,   /* pread(2) into aligned buffers */
	CHUNKREAD_IO_URING       /* io_uring, several reads in flight */
};

/*
 * Whether io_uring works here: sets up a tiny ring and reads from a file
 * through it (containers' seccomp profiles often block io_uring_setup).
 * Call once; the answer does not change during a run. reason gets a short
 * why-not for --verbose ("io_uring_setup: Operation not permitted").
 */
int chunkread_uring_works(char *reason, size_t reason_size);

struct chunkread_options {
	enum chunkread_io io;
	size_t buf_size;      /* bytes per read, rounded up to 4096s; 0 = 256 KiB */
	size_t max_line;      /* a longer line is an error; 0 = 1 GiB; >= buf_size */
	/*
	 * 1 (--follow): at the end of the file an unterminated last line is
	 * held back instead of returned, and handed out whole once its '\n'
	 * has been written.
	 */
	int follow;
};

/* Opaque. */
struct chunkread;

/*
 * Reads fd (a regular file, not closed here) from byte start to byte end
 * (end < 0: to end of file as it grows while reading). Reads use explicit
 * offsets, so threads may share fd, each reader with its own range.
 * Buffers are 4096-aligned; with CHUNKREAD_IO_URING up to 4 reads are in
 * flight. A range known to span fewer than 8 reads (from end, or the size
 * at open) is read with pread, as a ring costs more to set up than that
 * (about 150 us here). If io_uring fails at setup the reader falls back to
 * pread silently (the probe is the place that reports). name is used in
 * messages. Returns 0 (allocation failure exits).
 */
int chunkread_open_fd(int fd, const char *name, off_t start, off_t end,
		      const struct chunkread_options *opts, struct chunkread **out);
/*
 * Reads a stream (stdin, a pipe, zstd-decoded data): input_read into the
 * same kind of buffers. The input stays the caller's.
 */
int chunkread_open_input(struct input *in, const struct chunkread_options *opts,
			 struct chunkread **out);

/*
 * The next chunk: *data and *len hold whole lines, each ending in '\n', except
 * that the last chunk before the end may end with a line lacking one (the
 * file's unterminated last line, or the line cut by end). *offset is the
 * position of data[0] in the file or stream. Returns 1 with a chunk, 0 at
 * the end, or the negated exit code after a diagnostic (-CODE_EXIT_IOERR
 * for a read error, -CODE_EXIT_DATAERR for a line longer than max_line or
 * corrupt zstd; "FILE: the line at byte offset N is longer than SIZE").
 * A chunk is valid until the next call. Bytes are delivered exactly once,
 * in order, whatever the io mode: a file shrinking underneath simply ends
 * the reading early.
 *
 * After 0 the reader may be called again (--follow polls this way): with
 * end < 0 it reads on from where it stopped and returns the bytes written
 * meanwhile, or 0 again. Without follow an unterminated last line was
 * already returned, so the bytes appended after it start a new chunk.
 */
int chunkread_next(struct chunkread *cr, const char **data, size_t *len, off_t *offset);
/* The io the reader really uses ("io_uring", "pread" or "stream"). */
const char *chunkread_io_name(const struct chunkread *cr);
void chunkread_close(struct chunkread *cr);

/*
 * Splits [start, end) of fd into at most parts ranges that begin at line
 * starts: bounds[0] = start, bounds[k] = the byte after the first '\n' at
 * or after start + k*(end-start)/parts, bounds[n] = end. Returns n (>= 1);
 * a range that would be empty is dropped. Reads a few KiB with pread.
 */
size_t chunkread_split(int fd, off_t start, off_t end, size_t parts, off_t *bounds);

#endif
