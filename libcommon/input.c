/* input.c: read a file or stdin, zstd-decompressed on the fly when needed. */
#include "libcommon/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

/*
 * Compressed bytes are read in big chunks: one read(2) per 256 KiB keeps
 * the system-call cost far below the decompression cost.
 */
#define INPUT_RAW_SIZE (256u << 10)
/* The zstd magic number and skippable-frame magics are 4 bytes long. */
#define INPUT_MAGIC_LEN 4
/* input_read_all starts with this much room and doubles it when full. */
#define INPUT_READ_ALL_CHUNK (64u << 10)

enum input_mode {
	INPUT_SNIFFING,  /* nothing read yet: plain or zstd is still open */
	INPUT_PLAIN,
	INPUT_ZSTD
};

struct input {
	int fd;
	int borrowed;
	char *name;
	enum input_mode mode;
	/*
	 * Plain mode: the bytes read while sniffing, handed out before any
	 * further read(2). Zstd mode: compressed bytes not yet decoded.
	 */
	unsigned char *raw;
	size_t raw_pos, raw_len, raw_size;
	int eof;            /* read(2) returned 0 */
	int in_frame;       /* a zstd frame was begun and not yet finished */
	int failed;         /* sticky: the negated exit code of the first error */
	ZSTD_DCtx *dctx;
};

static int
input_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/*
 * Whether the first len bytes (len <= 4) can still begin a zstd frame or a
 * skippable frame, both little-endian magic numbers.
 */
static int
input_may_be_zstd(const unsigned char *p, size_t len)
{
	static const unsigned char zstd[INPUT_MAGIC_LEN] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const unsigned char skip[INPUT_MAGIC_LEN] = { 0x50, 0x2a, 0x4d, 0x18 };
	int is_zstd = 1, is_skip = 1;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != zstd[i])
			is_zstd = 0;
		/* The low nibble of a skippable magic is free: 0x184D2A50..5F. */
		if (i == 0 ? (p[i] & 0xf0) != skip[i] : p[i] != skip[i])
			is_skip = 0;
	}
	return is_zstd || is_skip;
}

/* One read(2), retried on EINTR: -1 with errno set on failure. */
static ssize_t
input_read_once(struct input *in, void *buf, size_t n)
{
	ssize_t got;

	do
		got = read(in->fd, buf, n);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		in->eof = 1;
	return got;
}

/* A failed read(2) is reported once and then returned by every call. */
static int
input_fail_read(struct input *in, int err)
{
	struct diag_loc loc = diag_file(in->name);

	in->failed = diag_error_errno(CODE_EXIT_IOERR, err, &loc, "read error");
	return in->failed;
}

static ssize_t
input_read_fd(struct input *in, void *buf, size_t n)
{
	ssize_t got = input_read_once(in, buf, n);

	return got < 0 ? input_fail_read(in, errno) : got;
}

static void
input_start_zstd(struct input *in)
{
	in->dctx = ZSTD_createDCtx();
	if (in->dctx == NULL) {
		struct diag_loc loc = diag_file(in->name);

		/* Only ENOMEM fails here; later reads report it. */
		in->failed = diag_error(CODE_EXIT_SOFTWARE, &loc, "out of memory");
	}
	if (in->raw_size < INPUT_RAW_SIZE) {
		in->raw = xrealloc(in->raw, INPUT_RAW_SIZE);
		in->raw_size = INPUT_RAW_SIZE;
	}
	in->mode = INPUT_ZSTD;
	/*
	 * An empty .zst file is not a valid zstd stream (zstd itself says
	 * "unexpected end of file"), so a frame counts as begun from the start.
	 */
	in->in_frame = 1;
}

/*
 * Decides between plain and zstd by looking at the first bytes, which are
 * kept for the reader. Reading stops as soon as the bytes cannot be a
 * magic number, so an interactive reader is not kept waiting for 4 bytes.
 * Returns 0, or -1 with errno set and nothing printed: the caller knows
 * whether this is part of an open or of a read.
 */
static int
input_sniff(struct input *in)
{
	while (in->raw_len < INPUT_MAGIC_LEN && !in->eof &&
	       input_may_be_zstd(in->raw, in->raw_len)) {
		ssize_t got = input_read_once(in, in->raw + in->raw_len,
					      INPUT_MAGIC_LEN - in->raw_len);

		if (got < 0)
			return -1;
		in->raw_len += (size_t)got;
	}
	if (in->raw_len == INPUT_MAGIC_LEN && input_may_be_zstd(in->raw, in->raw_len))
		input_start_zstd(in);
	else
		in->mode = INPUT_PLAIN;
	return 0;
}

static ssize_t
input_read_plain(struct input *in, void *buf, size_t n)
{
	if (in->raw_pos < in->raw_len) {
		size_t k = in->raw_len - in->raw_pos;

		if (k > n)
			k = n;
		memcpy(buf, in->raw + in->raw_pos, k);
		in->raw_pos += k;
		return (ssize_t)k;
	}
	if (in->eof)
		return 0;
	return input_read_fd(in, buf, n);
}

/*
 * Decodes straight into the caller's buffer. ZSTD_decompressStream moves
 * on to the next frame by itself, so concatenated and skippable frames
 * need nothing special; the stream is only complete when input ends
 * between frames.
 */
static ssize_t
input_read_zstd(struct input *in, void *buf, size_t n)
{
	struct diag_loc loc = diag_file(in->name);
	ZSTD_outBuffer out = { buf, n, 0 };

	for (;;) {
		ZSTD_inBuffer src;
		size_t hint;

		if (in->raw_pos == in->raw_len && !in->eof) {
			ssize_t got = input_read_fd(in, in->raw, in->raw_size);

			if (got < 0)
				return got;
			in->raw_pos = 0;
			in->raw_len = (size_t)got;
		}
		/* Mid-frame, the decoder may still hold output for us. */
		if (in->raw_pos == in->raw_len && in->eof && !in->in_frame)
			return 0;
		src.src = in->raw;
		src.size = in->raw_len;
		src.pos = in->raw_pos;
		hint = ZSTD_decompressStream(in->dctx, &out, &src);
		in->raw_pos = src.pos;
		if (ZSTD_isError(hint)) {
			in->failed = diag_error(CODE_EXIT_DATAERR, &loc,
						"corrupt zstd data: %s",
						ZSTD_getErrorName(hint));
			return in->failed;
		}
		in->in_frame = hint != 0;
		if (out.pos > 0)
			return (ssize_t)out.pos;
		if (in->raw_pos == in->raw_len && in->eof && in->in_frame) {
			in->failed = diag_error(CODE_EXIT_DATAERR, &loc,
						"truncated zstd data");
			return in->failed;
		}
	}
}

ssize_t
input_read(struct input *in, void *buf, size_t n)
{
	if (in->failed)
		return in->failed;
	if (n == 0)
		return 0;
	if (in->mode == INPUT_SNIFFING && input_sniff(in) < 0)
		return input_fail_read(in, errno);
	if (in->failed)
		return in->failed;
	if (in->mode == INPUT_ZSTD)
		return input_read_zstd(in, buf, n);
	return input_read_plain(in, buf, n);
}

/*
 * Shared by both openers. A directory opens fine but fails on the first
 * read with EISDIR; saying so at open time gives the right exit code.
 */
static int
input_setup(int fd, const char *name, int borrowed, struct input **out)
{
	struct input *in;
	struct stat st;
	int is_regular;

	*out = NULL;
	if (fstat(fd, &st) < 0)
		st.st_mode = 0; /* not worth failing for: read(2) will tell */
	is_regular = S_ISREG(st.st_mode);
	if (S_ISDIR(st.st_mode)) {
		if (!borrowed)
			close(fd);
		return diag_error_errno(CODE_EXIT_NOINPUT, EISDIR, NULL,
					"cannot open '%s'", name);
	}
#ifdef POSIX_FADV_SEQUENTIAL
	if (is_regular)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	in = xcalloc(1, sizeof(*in));
	in->fd = fd;
	in->borrowed = borrowed;
	in->name = xstrdup(name);
	in->raw_size = INPUT_MAGIC_LEN;
	in->raw = xmalloc(in->raw_size);
	in->mode = INPUT_SNIFFING;
	/*
	 * A file has its first bytes at hand, so input_is_compressed is right
	 * from the start; a pipe or terminal is sniffed at the first read, as
	 * its writer may not have written yet. A file that cannot even be
	 * read (EIO, opened write-only) counts as one that cannot be opened.
	 */
	if (input_has_suffix(name, ".zst")) {
		input_start_zstd(in);
	} else if (is_regular && input_sniff(in) < 0) {
		int err = errno;

		input_close(in);
		return diag_error_errno(CODE_EXIT_NOINPUT, err, NULL, "cannot open '%s'", name);
	}
	*out = in;
	return 0;
}

int
input_open(const char *path, struct input **out)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return input_setup(STDIN_FILENO, "<stdin>", 1, out);
	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		*out = NULL;
		return diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
					"cannot open '%s'", path);
	}
	return input_setup(fd, path, 0, out);
}

int
input_open_fd(int fd, const char *name, int borrowed, struct input **out)
{
	return input_setup(fd, name ? name : "<stdin>", borrowed, out);
}

const char *
input_name(const struct input *in)
{
	return in->name;
}

int
input_is_compressed(const struct input *in)
{
	return in->mode == INPUT_ZSTD;
}

void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	if (!in->borrowed)
		close(in->fd);
	ZSTD_freeDCtx(in->dctx);
	free(in->raw);
	free(in->name);
	free(in);
}

/*
 * The bytes left in a plain regular file, or -1 when that cannot be known
 * (a pipe, or zstd, whose decoded size the frames need not say).
 */
static off_t
input_plain_bytes_left(const struct input *in)
{
	struct stat st;
	off_t pos;

	if (in->mode != INPUT_PLAIN || fstat(in->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	pos = lseek(in->fd, 0, SEEK_CUR);
	if (pos < 0)
		return -1;
	return (st.st_size > pos ? st.st_size - pos : 0) + (off_t)(in->raw_len - in->raw_pos);
}

static int
input_too_large(const struct input *in, size_t max_bytes)
{
	struct diag_loc loc = diag_file(in->name);
	char limit[64];

	units_format_size(max_bytes, limit, sizeof(limit));
	return diag_error(CODE_EXIT_DATAERR, &loc, "'%s' is larger than %s", in->name, limit);
}

int
input_read_all(struct input *in, size_t max_bytes, char **out, size_t *out_len)
{
	struct strbuf sb = STRBUF_INIT;
	off_t left;
	int ret = 0;

	*out = NULL;
	*out_len = 0;
	if (in->failed)
		return in->failed;
	/* A file's size is known: refuse a huge one unread, size the buffer once. */
	left = input_plain_bytes_left(in);
	if (left >= 0 && (uintmax_t)left > max_bytes)
		return input_too_large(in, max_bytes);
	if (left > 0)
		strbuf_grow(&sb, (size_t)left + 1);
	for (;;) {
		size_t room;
		ssize_t got;

		/* Fill what is there before growing, so copies stay O(n). */
		if (sb.alloc == 0 || sb.alloc - sb.len - 1 == 0)
			strbuf_grow(&sb, INPUT_READ_ALL_CHUNK);
		room = sb.alloc - sb.len - 1;
		/* Read one byte past the limit to tell "at" from "over" it. */
		if (max_bytes < SIZE_MAX && room > max_bytes + 1 - sb.len)
			room = max_bytes + 1 - sb.len;
		got = input_read(in, sb.buf + sb.len, room);
		if (got < 0) {
			ret = (int)got;
			goto out;
		}
		if (got == 0)
			break;
		/* strbuf_setlen only shrinks; strbuf_grow left room for this. */
		sb.len += (size_t)got;
		sb.buf[sb.len] = '\0';
		if (sb.len > max_bytes) {
			ret = input_too_large(in, max_bytes);
			goto out;
		}
	}
	*out = strbuf_detach(&sb, out_len);
out:
	strbuf_release(&sb);
	return ret;
}
