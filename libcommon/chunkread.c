/* chunkread.c: a file or stream as successive buffers of whole lines, read with io_uring or read(2). */
/* memrchr finds a chunk's last '\n' with glibc's vector code. */
#define _GNU_SOURCE
#include "libcommon/chunkread.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

/*
 * Memcheck does not see the kernel fill buffers from io_uring completions;
 * told explicitly, runs under valgrind stay free of false reports.
 */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define CHUNKREAD_MARK_FILLED(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#endif
#endif
#ifndef CHUNKREAD_MARK_FILLED
#define CHUNKREAD_MARK_FILLED(p, n) ((void)0)
#endif

#define CHUNKREAD_ALIGN 4096u
#define CHUNKREAD_DEFAULT_BUF (256u << 10)
#define CHUNKREAD_DEFAULT_MAX_LINE ((size_t)1 << 30)
/* Reads kept in flight ahead of the consumer with io_uring. */
#define CHUNKREAD_URING_DEPTH 4
/* Ranges known to be shorter than this many reads are read with pread. */
#define CHUNKREAD_URING_MIN_READS 8
/* chunkread_split looks for a line start this many bytes at a time. */
#define CHUNKREAD_SPLIT_BLOCK 4096u

enum chunkread_mode {
	CR_PREAD,
	CR_URING,
	CR_STREAM
};

enum slot_state {
	SLOT_IDLE,      /* free, or holding the chunk last handed out */
	SLOT_INFLIGHT,  /* a read into it is queued in the ring */
	SLOT_DONE       /* its read finished: got bytes, or hit the end */
};

/*
 * A buffer of headroom + read_size bytes: reads land at area (4096-aligned)
 * and the unfinished line of the previous chunk is copied just before it,
 * so a chunk is one contiguous run without moving the bytes just read.
 */
struct slot {
	char *area;          /* after read_size bytes of headroom */
	enum slot_state state;
	off_t off;           /* file offset of area[0] */
	size_t want;         /* bytes asked for */
	size_t got;          /* bytes in area so far */
	int short_end;       /* a read returned 0 before want was reached */
	int err;             /* a failed read's errno */
};

struct chunkread {
	enum chunkread_mode mode;
	int fd;
	struct input *in;
	char *name;
	off_t end;           /* -1: to the end of the file as it grows */
	size_t buf_size;     /* bytes per read asked for */
	size_t read_size;    /* bytes per read, also a slot's headroom: buf_size
				or less for a small file */
	size_t max_line;
	int follow;

	char *block;         /* the slots' memory */
	struct slot slots[CHUNKREAD_URING_DEPTH];
	unsigned nslots;
	unsigned head;       /* the slot the next data comes from */
	unsigned nsub;       /* slots from head on that are in flight or done */
	off_t read_pos;      /* file offset of the next read (pread, stream) */
	off_t submit_pos;    /* file offset of the next read submitted (uring) */
	off_t size_hint;     /* the file size as last seen: no read-ahead past it */
	int at_end;          /* a read returned 0: report the end once */
	int grow;            /* a small file filled read_size: enlarge the slot */

	/* The unfinished last line, not yet handed out. */
	const char *tail;
	size_t tail_len;
	off_t tail_off;      /* file offset of tail[0], also of the next chunk */

	/* A line longer than a slot's headroom is assembled here. */
	char *big;
	size_t big_len, big_size;
	int in_big;          /* the tail lives in big */

	int ring_ready;
	struct io_uring ring;
};

int
chunkread_uring_works(char *reason, size_t reason_size)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char buf[16];
	int fd, ret;

	if (reason_size > 0)
		reason[0] = '\0';
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret < 0) {
		snprintf(reason, reason_size, "io_uring_setup: %s", strerror(-ret));
		return 0;
	}
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* Without /proc any file we can open will do. */
		fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(reason, reason_size, "no file to read: %s", strerror(errno));
		io_uring_queue_exit(&ring);
		return 0;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	ret = io_uring_submit(&ring);
	if (ret == 1)
		ret = io_uring_wait_cqe(&ring, &cqe);
	else if (ret >= 0)
		ret = -EIO;
	if (ret == 0) {
		ret = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	close(fd);
	io_uring_queue_exit(&ring);
	if (ret <= 0) {
		snprintf(reason, reason_size, "io_uring read: %s",
			 ret == 0 ? "no data" : strerror(-ret));
		return 0;
	}
	return 1;
}

static size_t
chunkread_round(size_t n)
{
	return (n + CHUNKREAD_ALIGN - 1) & ~(size_t)(CHUNKREAD_ALIGN - 1);
}

static struct chunkread *
chunkread_new(const char *name, const struct chunkread_options *opts)
{
	struct chunkread *cr = xcalloc(1, sizeof(*cr));

	cr->fd = -1;
	cr->name = xstrdup(name);
	cr->end = -1;
	cr->buf_size = opts && opts->buf_size ? opts->buf_size : CHUNKREAD_DEFAULT_BUF;
	cr->buf_size = chunkread_round(cr->buf_size);
	cr->read_size = cr->buf_size;
	cr->max_line = opts && opts->max_line ? opts->max_line
					      : CHUNKREAD_DEFAULT_MAX_LINE;
	/* Lines up to a read's size are never measured, so none is refused. */
	if (cr->max_line < cr->buf_size)
		cr->max_line = cr->buf_size;
	cr->follow = opts ? opts->follow : 0;
	return cr;
}

/*
 * Carves the slots out of one block from malloc rather than one mapping
 * each: once a block of this size was freed, glibc serves the next from
 * its heap, so a reader per file does not fault in fresh pages per file
 * (page faults are costly in VMs). Returns the previous block to be freed
 * by the caller once nothing in it is needed.
 */
static char *
chunkread_alloc_slots(struct chunkread *cr, enum chunkread_mode mode,
		      unsigned nslots)
{
	char *old = cr->block, *base;
	size_t per = 2 * cr->read_size;
	unsigned i;

	if (per > (SIZE_MAX - CHUNKREAD_ALIGN) / nslots)
		cr->block = xmalloc(SIZE_MAX);   /* xalloc's out-of-memory exit */
	else
		cr->block = xmalloc(nslots * per + CHUNKREAD_ALIGN);
	base = (char *)(((uintptr_t)cr->block + CHUNKREAD_ALIGN - 1) &
			~(uintptr_t)(CHUNKREAD_ALIGN - 1));
	cr->mode = mode;
	cr->nslots = nslots;
	for (i = 0; i < nslots; i++)
		cr->slots[i].area = base + i * per + cr->read_size;
	return old;
}

int
chunkread_open_fd(int fd, const char *name, off_t start, off_t end,
		  const struct chunkread_options *opts, struct chunkread **out)
{
	struct chunkread *cr = chunkread_new(name, opts);
	struct stat st;
	off_t known;

	cr->fd = fd;
	cr->end = end < 0 ? -1 : end;
	cr->read_pos = cr->submit_pos = cr->tail_off = start;
	cr->size_hint = fstat(fd, &st) == 0 ? st.st_size : 0;
	/*
	 * A small file gets a small buffer (it grows if the file does), and
	 * a file of a few reads no ring: setting one up and tearing it down
	 * costs about as much as reading 2 MB from the page cache.
	 */
	known = (end >= 0 ? end : cr->size_hint) - start;
	if (known >= 0 && known < (off_t)cr->buf_size)
		cr->read_size = chunkread_round((size_t)known + 1);
	if (opts && opts->io == CHUNKREAD_IO_URING &&
	    known >= (off_t)(CHUNKREAD_URING_MIN_READS * cr->buf_size) &&
	    io_uring_queue_init(2 * CHUNKREAD_URING_DEPTH, &cr->ring, 0) == 0) {
		cr->ring_ready = 1;
		(void)chunkread_alloc_slots(cr, CR_URING, CHUNKREAD_URING_DEPTH);
	} else {
		/* A failed setup is the probe's to report; pread does the work. */
		(void)chunkread_alloc_slots(cr, CR_PREAD, 1);
	}
	*out = cr;
	return 0;
}

int
chunkread_open_input(struct input *in, const struct chunkread_options *opts,
		     struct chunkread **out)
{
	struct chunkread *cr = chunkread_new(input_name(in), opts);

	(void)chunkread_alloc_slots(cr, CR_STREAM, 1);
	cr->in = in;
	*out = cr;
	return 0;
}

const char *
chunkread_io_name(const struct chunkread *cr)
{
	switch (cr->mode) {
	case CR_URING:
		return "io_uring";
	case CR_STREAM:
		return "stream";
	default:
		return "pread";
	}
}

static int
chunkread_read_error(struct chunkread *cr, int err)
{
	struct diag_loc loc = diag_file(cr->name);

	return diag_error_errno(CODE_EXIT_IOERR, err, &loc, "read error");
}

/* How much a read at off may ask for: 0 when the range is done. */
static size_t
chunkread_want(const struct chunkread *cr, off_t off)
{
	if (cr->end >= 0) {
		if (off >= cr->end)
			return 0;
		if (cr->end - off < (off_t)cr->read_size)
			return (size_t)(cr->end - off);
	}
	return cr->read_size;
}

static void
chunkread_submit(struct chunkread *cr, unsigned idx)
{
	struct slot *s = &cr->slots[idx];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&cr->ring);

	/* The ring has twice as many entries as there are slots. */
	io_uring_prep_read(sqe, cr->fd, s->area + s->got,
			   (unsigned)(s->want - s->got), (__u64)(s->off + (off_t)s->got));
	io_uring_sqe_set_data64(sqe, idx);
	s->state = SLOT_INFLIGHT;
}

/*
 * Queues reads into the free slots after head. Past the file's size as
 * last seen only one read goes out at a time: it is likely to return 0,
 * and reads queued behind it would be at the wrong offsets.
 */
static int
chunkread_prime(struct chunkread *cr)
{
	int queued = 0, ret;

	while (cr->nsub < cr->nslots) {
		unsigned idx = (cr->head + cr->nsub) % cr->nslots;
		struct slot *s = &cr->slots[idx];
		size_t want = chunkread_want(cr, cr->submit_pos);

		if (want == 0)
			break;
		if (cr->submit_pos >= cr->size_hint && cr->nsub > 0)
			break;
		s->off = cr->submit_pos;
		s->want = want;
		s->got = 0;
		s->short_end = 0;
		s->err = 0;
		chunkread_submit(cr, idx);
		cr->submit_pos += (off_t)want;
		cr->nsub++;
		queued++;
	}
	if (queued == 0)
		return 0;
	do
		ret = io_uring_submit(&cr->ring);
	while (ret == -EINTR || ret == -EAGAIN);
	return ret < 0 ? chunkread_read_error(cr, -ret) : 0;
}

/*
 * Takes one completion: a short read is continued where it stopped, a
 * retryable error is retried, anything else finishes the slot. Returns 0
 * or a negated exit code.
 */
static int
chunkread_reap(struct chunkread *cr)
{
	struct io_uring_cqe *cqe;
	struct slot *s;
	int ret, res;

	ret = io_uring_wait_cqe(&cr->ring, &cqe);
	if (ret == -EINTR || ret == -EAGAIN)
		return 0;
	if (ret < 0)
		return chunkread_read_error(cr, -ret);
	s = &cr->slots[io_uring_cqe_get_data64(cqe) % cr->nslots];
	res = cqe->res;
	io_uring_cqe_seen(&cr->ring, cqe);
	if (res > 0) {
		CHUNKREAD_MARK_FILLED(s->area + s->got, (size_t)res);
		s->got += (size_t)res;
	}
	if (res == -EINTR || res == -EAGAIN || (res > 0 && s->got < s->want)) {
		chunkread_submit(cr, (unsigned)(s - cr->slots));
		do
			ret = io_uring_submit(&cr->ring);
		while (ret == -EINTR || ret == -EAGAIN);
		if (ret < 0) {
			s->state = SLOT_DONE;
			s->err = -ret;
		}
		return 0;
	}
	s->state = SLOT_DONE;
	if (res < 0)
		s->err = -res;
	else if (res == 0)
		s->short_end = 1;
	return 0;
}

/*
 * Waits for every read in flight and forgets them all, so reading starts
 * again at pos: after the end of the file or an error the reads queued
 * behind were made at offsets that no longer follow on.
 */
static void
chunkread_drain(struct chunkread *cr, off_t pos)
{
	unsigned i;

	for (i = 0; i < cr->nslots; i++)
		while (cr->slots[i].state == SLOT_INFLIGHT)
			if (chunkread_reap(cr) < 0)
				break;
	for (i = 0; i < cr->nslots; i++)
		cr->slots[i].state = SLOT_IDLE;
	cr->nsub = 0;
	cr->submit_pos = pos;
}

/*
 * Fills the head slot with the bytes at read_pos. Returns the count, 0 at
 * the end (of the range, or of the file for now), or a negated exit code.
 */
static ssize_t
chunkread_fill(struct chunkread *cr)
{
	struct slot *s = &cr->slots[cr->head];
	ssize_t got;
	size_t want;
	int ret;

	if (cr->at_end) {
		/* A read already returned 0 and the caller has not heard yet. */
		cr->at_end = 0;
		return 0;
	}
	switch (cr->mode) {
	case CR_STREAM:
		got = input_read(cr->in, s->area, cr->read_size);
		break;
	case CR_PREAD:
		want = chunkread_want(cr, cr->read_pos);
		if (want == 0)
			return 0;
		do
			got = pread(cr->fd, s->area, want, cr->read_pos);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return chunkread_read_error(cr, errno);
		if ((size_t)got == cr->read_size && cr->read_size < cr->buf_size)
			cr->grow = 1;
		break;
	default:
		ret = chunkread_prime(cr);
		if (ret < 0)
			return ret;
		if (cr->nsub == 0)
			return 0;
		while (s->state == SLOT_INFLIGHT)
			if ((ret = chunkread_reap(cr)) < 0)
				return ret;
		got = (ssize_t)s->got;
		if (s->err) {
			chunkread_drain(cr, s->off);
			return chunkread_read_error(cr, s->err);
		}
		if (s->short_end) {
			/* The file ends here for now: what was queued after is void. */
			chunkread_drain(cr, s->off + (off_t)s->got);
			cr->at_end = got > 0;
			if (got == 0)
				return 0;
		} else {
			cr->nsub--;
			s->state = SLOT_IDLE;
		}
		break;
	}
	if (got > 0) {
		cr->read_pos += got;
		if (cr->read_pos > cr->size_hint)
			cr->size_hint = cr->read_pos;
		if (cr->mode == CR_URING && s->off + (off_t)s->got > cr->size_hint)
			cr->size_hint = s->off + (off_t)s->got;
	}
	return got;
}

static int
chunkread_too_long(struct chunkread *cr)
{
	struct diag_loc loc = diag_file(cr->name);
	char size[64];

	units_format_size(cr->max_line, size, sizeof(size));
	return diag_error(CODE_EXIT_DATAERR, &loc,
			  "the line at byte offset %lld is longer than %s",
			  (long long)cr->tail_off, size);
}

static void
chunkread_big_append(struct chunkread *cr, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (cr->big_size - cr->big_len < n) {
		size_t size = cr->big_size ? cr->big_size : cr->read_size;

		while (size - cr->big_len < n)
			size *= 2;
		cr->big = xrealloc(cr->big, size);
		cr->big_size = size;
	}
	memcpy(cr->big + cr->big_len, p, n);
	cr->big_len += n;
}

/*
 * Moves the unfinished line out of the way of the next read: just before
 * the head slot's read area when it fits, else into big.
 */
static void
chunkread_park_tail(struct chunkread *cr)
{
	struct slot *s = &cr->slots[cr->head];
	size_t n = cr->tail_len;

	if (cr->grow) {
		/* The small file grew: reads of the full size from now on. */
		char *old;

		cr->read_size = cr->buf_size;
		old = chunkread_alloc_slots(cr, cr->mode, 1);
		if (!cr->in_big && n > 0) {
			memcpy(s->area - n, cr->tail, n);
			cr->tail = s->area - n;
		}
		free(old);
		cr->grow = 0;
	}
	if (n == 0) {
		cr->tail = s->area;
		cr->in_big = 0;
		cr->big_len = 0;
	} else if (n <= cr->read_size) {
		memmove(s->area - n, cr->tail, n);
		cr->tail = s->area - n;
		cr->in_big = 0;
		cr->big_len = 0;
	} else if (cr->in_big) {
		memmove(cr->big, cr->tail, n);
		cr->big_len = n;
		cr->tail = cr->big;
	} else {
		cr->big_len = 0;
		chunkread_big_append(cr, cr->tail, n);
		cr->tail = cr->big;
		cr->in_big = 1;
	}
}

int
chunkread_next(struct chunkread *cr, const char **data, size_t *len, off_t *offset)
{
	for (;;) {
		struct slot *s;
		const char *p, *start, *last, *nl;
		size_t before;
		ssize_t got;

		/*
		 * The slot of the last chunk is free from here on: the tail
		 * is parked first, as the slot may be read into again.
		 */
		chunkread_park_tail(cr);
		s = &cr->slots[cr->head];
		got = chunkread_fill(cr);
		if (got < 0)
			return (int)got;
		p = s->area;
		last = memrchr(p, '\n', (size_t)got);
		if (got == 0) {
			if (cr->tail_len == 0 || cr->follow)
				return 0;
			/* The file's unterminated last line. */
			*data = cr->tail;
			*len = cr->tail_len;
			*offset = cr->tail_off;
			cr->tail_off += (off_t)cr->tail_len;
			cr->tail_len = 0;
			cr->in_big = 0;
			/* The read that returned 0 stands for the next call too. */
			cr->at_end = 1;
			return 1;
		}
		before = cr->tail_len;
		if (last && before > 0) {
			nl = memchr(p, '\n', (size_t)got);
			if (before + (size_t)(nl - p) > cr->max_line)
				return chunkread_too_long(cr);
		} else if (!last && before + (size_t)got > cr->max_line) {
			return chunkread_too_long(cr);
		}
		if (cr->in_big || !last) {
			if (!cr->in_big) {
				cr->big_len = 0;
				chunkread_big_append(cr, cr->tail, before);
				cr->in_big = 1;
			}
			chunkread_big_append(cr, p, (size_t)got);
			cr->tail = cr->big;
			cr->tail_len = cr->big_len;
			start = cr->big;
			if (last)
				last = cr->big + before + (size_t)(last - p);
		} else {
			start = p - before;
		}
		if (cr->mode == CR_URING)
			cr->head = (cr->head + 1) % cr->nslots;
		if (!last)
			continue;
		*data = start;
		*len = (size_t)(last + 1 - start);
		*offset = cr->tail_off;
		cr->tail = last + 1;
		if (cr->in_big)
			cr->tail_len = cr->big_len - *len;
		else
			cr->tail_len = (size_t)(p + got - (last + 1));
		cr->tail_off += (off_t)*len;
		return 1;
	}
}

void
chunkread_close(struct chunkread *cr)
{
	if (cr == NULL)
		return;
	if (cr->ring_ready) {
		chunkread_drain(cr, 0);
		io_uring_queue_exit(&cr->ring);
	}
	free(cr->block);
	free(cr->big);
	free(cr->name);
	free(cr);
}

/* The offset after the first '\n' at or after from, or end when none. */
static off_t
chunkread_line_after(int fd, off_t from, off_t end)
{
	char buf[CHUNKREAD_SPLIT_BLOCK];

	while (from < end) {
		size_t want = end - from < (off_t)sizeof(buf) ? (size_t)(end - from)
							       : sizeof(buf);
		ssize_t got = pread(fd, buf, want, from);
		const char *nl;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return end;
		nl = memchr(buf, '\n', (size_t)got);
		if (nl)
			return from + (nl - buf) + 1;
		from += got;
	}
	return end;
}

size_t
chunkread_split(int fd, off_t start, off_t end, size_t parts, off_t *bounds)
{
	off_t span, prev = start;
	size_t k, n = 0;

	if (end < 0) {
		struct stat st;

		end = fstat(fd, &st) == 0 ? st.st_size : start;
	}
	if (end < start)
		end = start;
	span = end - start;
	bounds[n++] = start;
	for (k = 1; k < parts; k++) {
		/* start + k*span/parts without overflowing off_t. */
		off_t nominal = start + span / (off_t)parts * (off_t)k +
				span % (off_t)parts * (off_t)k / (off_t)parts;
		off_t b;

		/* The first '\n' after nominal is the one that ended prev. */
		if (nominal < prev)
			continue;
		b = chunkread_line_after(fd, nominal, end);
		if (b >= end)
			break;
		if (b > prev)
			bounds[n++] = prev = b;
	}
	bounds[n] = end;
	return n;
}
