/* test-chunkread.c: files and streams as whole-line chunks, byte for byte, with pread and io_uring. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "libcommon/chunkread.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/input.h"
#include "tests/lib/tap.h"

/* The smallest read size, so a few KiB of test data cross many buffers. */
#define BUF 4096u
#define MAX_LINE (4 * BUF)

struct result {
	char *data;
	size_t len;
	int ret;          /* the last chunkread_next result */
	int chunks;
	int bad_offset;   /* a chunk's offset did not follow on */
	int bad_lines;    /* a chunk not last lacked its final '\n', or was empty */
	const char *io;   /* the io really used */
};

/* A small deterministic PRNG, so failures reproduce. */
static uint32_t
rnd(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

/* Lines of random lengths 0..maxlen (and a few longer ones), total len bytes. */
static char *
random_lines(uint32_t seed, size_t len, size_t maxlen, int trailing_nl)
{
	char *p = malloc(len + 1);
	size_t i = 0;

	while (i < len) {
		size_t n = rnd(&seed) % (maxlen + 1), k;

		if (rnd(&seed) % 50 == 0)
			n = rnd(&seed) % (3 * BUF);
		for (k = 0; k < n && i < len; k++, i++)
			p[i] = (char)('a' + (i + k) % 26);
		if (i < len)
			p[i++] = '\n';
	}
	if (len > 0)
		p[len - 1] = trailing_nl ? '\n' : 'z';
	p[len] = '\0';
	return p;
}

/* Takes every chunk of an open reader, checking offsets and line ends. */
static void
drain(struct chunkread *cr, off_t start, struct result *r)
{
	const char *d;
	size_t len, cap = 1 << 16;
	off_t off, want_off = start;
	int last_unterminated = 0;

	memset(r, 0, sizeof(*r));
	r->io = chunkread_io_name(cr);
	r->data = malloc(cap);
	while ((r->ret = chunkread_next(cr, &d, &len, &off)) > 0) {
		if (off != want_off)
			r->bad_offset++;
		if (len == 0 || last_unterminated)
			r->bad_lines++;
		last_unterminated = d[len - 1] != '\n';
		while (r->len + len > cap)
			cap *= 2;
		r->data = realloc(r->data, cap);
		memcpy(r->data + r->len, d, len);
		r->len += len;
		want_off = off + (off_t)len;
		r->chunks++;
	}
}

static void
read_range(const char *path, enum chunkread_io io, size_t buf, off_t start,
	   off_t end, struct result *r)
{
	struct chunkread_options o = { io, buf, MAX_LINE, 0 };
	struct chunkread *cr;
	int fd = open(path, O_RDONLY);

	if (chunkread_open_fd(fd, path, start, end, &o, &cr) < 0) {
		memset(r, 0, sizeof(*r));
		r->ret = -1;
		close(fd);
		return;
	}
	drain(cr, start, r);
	chunkread_close(cr);
	close(fd);
}

/* Reads path whole and compares with want. */
static void
check_file(enum chunkread_io io, const char *what, const char *want, size_t len)
{
	char path[4200];
	struct result r;

	tap_write_file(tap_path(path, sizeof(path), "f"), want, len);
	read_range(path, io, BUF, 0, -1, &r);
	ok(r.ret == 0 && r.len == len && memcmp(r.data, want, len) == 0 &&
	   !r.bad_offset && !r.bad_lines, "%s%s: %s read back exactly (%zu bytes, %d chunks)",
	   io == CHUNKREAD_IO_URING ? "uring asked, " : "", r.io, what, len, r.chunks);
	free(r.data);
}

static void
test_shapes(enum chunkread_io io)
{
	static const size_t sizes[] = { 1, 2, 100, BUF - 1, BUF, BUF + 1,
					2 * BUF, 5 * BUF + 17, 40000, 100003 };
	char *s, what[64];
	size_t i;

	check_file(io, "empty file", "", 0);
	check_file(io, "one byte", "x", 1);
	check_file(io, "one newline", "\n", 1);
	check_file(io, "no trailing newline", "a\nbb\nccc", 8);
	s = malloc(BUF);
	memset(s, 'q', BUF);
	s[BUF / 2] = '\n';
	s[BUF - 1] = '\n';
	check_file(io, "exactly buf_size", s, BUF);
	s[BUF - 1] = 'q';
	check_file(io, "buf_size, last line unterminated", s, BUF);
	memset(s, 'q', BUF);
	check_file(io, "buf_size without any newline", s, BUF);
	free(s);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		s = random_lines((uint32_t)i + 1, sizes[i], 300, 1);
		snprintf(what, sizeof(what), "random lines %zu", sizes[i]);
		check_file(io, what, s, sizes[i]);
		free(s);
		s = random_lines((uint32_t)i + 100, sizes[i], 300, 0);
		snprintf(what, sizeof(what), "random lines %zu, unterminated", sizes[i]);
		check_file(io, what, s, sizes[i]);
		free(s);
	}
	/*
	 * Short lines around a line of 3.5 buffers and one of exactly
	 * max_line, then more short lines (the file is long enough for uring).
	 */
	s = random_lines(9, 90000, 100, 1);
	memset(s, 'w', 7 + 3 * BUF + BUF / 2 + 10 + MAX_LINE);
	memcpy(s, "a\nb\n", 4);
	s[4 + 3 * BUF + BUF / 2] = '\n';
	s[5 + 3 * BUF + BUF / 2 + 10] = '\n';
	s[6 + 3 * BUF + BUF / 2 + 10 + MAX_LINE] = '\n';
	check_file(io, "lines longer than buf_size", s, 90000);
	memset(s + 40000, 'v', 2 * BUF);
	check_file(io, "long unterminated last line", s, 40000 + 2 * BUF - 5);
	free(s);
}

static void
test_too_long(enum chunkread_io io)
{
	char path[4200], *s;
	const char *err;
	struct result r;
	size_t pre = 40000, len = pre + MAX_LINE + 2;

	s = random_lines(13, len, 100, 1);
	s[pre - 1] = '\n';
	memset(s + pre, 'x', MAX_LINE + 1);
	tap_write_file(tap_path(path, sizeof(path), "long"), s, len);
	tap_capture_begin();
	read_range(path, io, BUF, 0, -1, &r);
	err = tap_capture_end();
	is_int(r.ret, -CODE_EXIT_DATAERR, "line over max_line: exit 65");
	ok(strstr(err, path) && strstr(err, "line at byte offset 40000 is longer than 16 KiB"),
	   "line over max_line: message names the file and offset");
	if (!strstr(err, "offset 40000"))
		tap_diag("got '%s'", err);
	ok(r.len <= pre && memcmp(r.data, s, r.len) == 0,
	   "line over max_line: only lines before it delivered");
	free(r.data);
	/* Unterminated, the same. */
	tap_write_file(path, s, len - 1);
	tap_capture_begin();
	read_range(path, io, BUF, 0, -1, &r);
	tap_capture_end();
	is_int(r.ret, -CODE_EXIT_DATAERR, "unterminated line over max_line: exit 65");
	free(r.data);
	free(s);
}

static void
test_ranges(enum chunkread_io io)
{
	char path[4200], *s;
	size_t len = 200000, parts;
	struct result r;
	off_t bounds[17];
	int all = 1;

	s = random_lines(7, len, 200, 1);
	tap_write_file(tap_path(path, sizeof(path), "ranges"), s, len);
	read_range(path, io, BUF, 1000, 150000, &r);
	ok(r.ret == 0 && r.len == 149000 && memcmp(r.data, s + 1000, 149000) == 0 &&
	   !r.bad_offset, "%s: range [1000, 150000) read exactly", r.io);
	free(r.data);
	read_range(path, io, BUF, 20000, -1, &r);
	ok(r.ret == 0 && r.len == len - 20000 && memcmp(r.data, s + 20000, len - 20000) == 0 &&
	   !r.bad_offset, "range [20000, EOF) read exactly");
	free(r.data);
	read_range(path, io, BUF, 5000, 5000, &r);
	ok(r.ret == 0 && r.len == 0, "empty range gives nothing");
	free(r.data);
	read_range(path, io, BUF, 140000, 290000, &r);
	ok(r.ret == 0 && r.len == len - 140000 &&
	   memcmp(r.data, s + 140000, len - 140000) == 0,
	   "%s: range past the end stops at the end", r.io);
	free(r.data);

	/* Split ranges read one after the other give back the whole file. */
	for (parts = 1; parts <= 16; parts++) {
		int fd = open(path, O_RDONLY);
		size_t n = chunkread_split(fd, 0, (off_t)len, parts, bounds), i;
		size_t total = 0;

		close(fd);
		if (n < 1 || n > parts || bounds[0] != 0 || bounds[n] != (off_t)len)
			all = 0;
		for (i = 0; i < n && all; i++) {
			if (bounds[i] >= bounds[i + 1])
				all = 0;
			if (i > 0 && s[bounds[i] - 1] != '\n')
				all = 0;
			read_range(path, io, BUF, bounds[i], bounds[i + 1], &r);
			if (r.ret != 0 || r.bad_offset ||
			    memcmp(r.data, s + total, r.len) != 0)
				all = 0;
			total += r.len;
			free(r.data);
		}
		if (total != len)
			all = 0;
	}
	ok(all, "split into 1..16 parts: line starts, covering the file exactly");
	free(s);
}

static void
test_split(void)
{
	char path[4200];
	off_t b[9];
	size_t n;
	int fd;

	tap_write_file(tap_path(path, sizeof(path), "split"), "aaaa\nbbbb\ncccc\ndddd\n", 20);
	fd = open(path, O_RDONLY);
	n = chunkread_split(fd, 0, 20, 4, b);
	/* Nominal points 5, 10, 15; the last has no '\n' after its line. */
	ok(n == 3 && b[0] == 0 && b[1] == 10 && b[2] == 15 && b[3] == 20,
	   "split: bound after the first newline at or after each nominal point");
	if (n != 3)
		tap_diag("n %zu: %lld %lld %lld", n, (long long)b[0], (long long)b[1],
			 (long long)b[2]);
	n = chunkread_split(fd, 5, 20, 2, b);
	ok(n == 2 && b[0] == 5 && b[1] == 15 && b[2] == 20, "split of a sub-range");
	n = chunkread_split(fd, 0, 20, 8, b);
	ok(n >= 1 && n <= 4 && b[0] == 0 && b[n] == 20, "split into more parts than lines merges");
	n = chunkread_split(fd, 7, 7, 4, b);
	ok(n == 1 && b[0] == 7 && b[1] == 7, "split of an empty range");
	close(fd);
	tap_write_file(path, "no newline at all here", 22);
	fd = open(path, O_RDONLY);
	n = chunkread_split(fd, 0, 22, 4, b);
	ok(n == 1 && b[0] == 0 && b[1] == 22, "split without newlines: one range");
	n = chunkread_split(fd, 0, -1, 1, b);
	ok(n == 1 && b[1] == 22, "split with end -1 uses the file size");
	close(fd);
}

static void
test_truncated(enum chunkread_io io)
{
	char path[4200], *s;
	size_t len = 40 * BUF;
	struct chunkread_options o = { io, BUF, MAX_LINE, 0 };
	struct chunkread *cr;
	struct result r;
	const char *d;
	size_t dlen;
	off_t off;
	int fd;

	s = random_lines(11, len, 100, 1);
	tap_write_file(tap_path(path, sizeof(path), "trunc"), s, len);
	fd = open(path, O_RDWR);
	chunkread_open_fd(fd, path, 0, -1, &o, &cr);
	is_int(chunkread_next(cr, &d, &dlen, &off), 1, "truncated: first chunk");
	if (ftruncate(fd, 3 * BUF + 5) != 0)
		tap_diag("ftruncate failed");
	drain(cr, off + (off_t)dlen, &r);
	ok(r.ret == 0 && !r.bad_offset && dlen + r.len < len &&
	   memcmp(r.data, s + dlen, r.len) == 0,
	   "truncated underneath: ends early, no error, bytes in order (%zu of %zu)",
	   dlen + r.len, len);
	free(r.data);
	chunkread_close(cr);

	/* Truncated below a range's end. */
	if (ftruncate(fd, 1000) != 0)
		tap_diag("ftruncate failed");
	read_range(path, io, BUF, 0, (off_t)len, &r);
	ok(r.ret == 0 && r.len == 1000 && memcmp(r.data, s, 1000) == 0,
	   "range end past a truncated file: stops at its end");
	free(r.data);
	close(fd);
	free(s);
}

/* Appends to path. */
static void
append(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		tap_diag("append failed");
	close(fd);
}

static void
test_growing(enum chunkread_io io)
{
	char path[4200], *big;
	struct chunkread_options o = { io, BUF, MAX_LINE, 0 };
	struct chunkread *cr;
	struct result r;
	int fd;

	tap_write_file(tap_path(path, sizeof(path), "grow"), "a\nb\n", 4);
	fd = open(path, O_RDONLY);
	chunkread_open_fd(fd, path, 0, -1, &o, &cr);
	drain(cr, 0, &r);
	ok(r.ret == 0 && r.len == 4, "growing: first read to the end");
	free(r.data);
	append(path, "c\nd");
	drain(cr, 4, &r);
	ok(r.ret == 0 && r.len == 3 && memcmp(r.data, "c\nd", 3) == 0 && !r.bad_offset,
	   "growing: a later call returns the appended bytes");
	free(r.data);
	append(path, "e\n");
	drain(cr, 7, &r);
	ok(r.ret == 0 && r.len == 2 && memcmp(r.data, "e\n", 2) == 0 && !r.bad_offset,
	   "growing: bytes after an unterminated end come exactly once");
	free(r.data);
	/* Growing past several buffers at once. */
	big = random_lines(5, 9 * BUF, 80, 1);
	append(path, big);
	drain(cr, 9, &r);
	ok(r.ret == 0 && r.len == 9 * BUF && memcmp(r.data, big, 9 * BUF) == 0 &&
	   !r.bad_offset, "growing: %u appended bytes read on", 9 * BUF);
	free(r.data);
	free(big);
	chunkread_close(cr);
	close(fd);

	/* follow: a line being written is held back until its '\n'. */
	o.follow = 1;
	tap_write_file(path, "a\nb\npart", 8);
	fd = open(path, O_RDONLY);
	chunkread_open_fd(fd, path, 0, -1, &o, &cr);
	drain(cr, 0, &r);
	ok(r.ret == 0 && r.len == 4 && memcmp(r.data, "a\nb\n", 4) == 0,
	   "follow: unterminated last line held back");
	free(r.data);
	append(path, "ial");
	drain(cr, 4, &r);
	ok(r.ret == 0 && r.len == 0, "follow: still no '\\n', nothing");
	free(r.data);
	append(path, "ly\nnext\n");
	drain(cr, 4, &r);
	ok(r.ret == 0 && r.len == 15 && memcmp(r.data, "partially\nnext\n", 15) == 0 &&
	   !r.bad_offset, "follow: the line comes whole once ended");
	free(r.data);
	chunkread_close(cr);
	close(fd);
}

/* Reads path to its end, appends more, reads on: both parts exactly once. */
static void
grow_twice(enum chunkread_io io, size_t buf, size_t first, size_t more, const char *what)
{
	char path[4200], *s;
	struct chunkread_options o = { io, buf, 4 * buf, 0 };
	struct chunkread *cr;
	struct result r1, r2;
	int fd;

	s = random_lines(21, first + more, 150, 1);
	tap_write_file(tap_path(path, sizeof(path), "grow2"), s, first);
	fd = open(path, O_RDONLY);
	chunkread_open_fd(fd, path, 0, -1, &o, &cr);
	drain(cr, 0, &r1);
	s[first + more] = '\0';
	append(path, s + first);
	drain(cr, (off_t)r1.len, &r2);
	ok(r1.ret == 0 && r2.ret == 0 && r1.len == first && r2.len == more &&
	   memcmp(r1.data, s, first) == 0 && memcmp(r2.data, s + first, more) == 0 &&
	   !r1.bad_offset && !r2.bad_offset, "%s: %s", chunkread_io_name(cr), what);
	free(r1.data);
	free(r2.data);
	chunkread_close(cr);
	close(fd);
	free(s);
}

static void
test_stream(void)
{
	char path[4200], *s, *z;
	size_t len = 300000, zlen;
	struct chunkread_options o = { CHUNKREAD_IO_READ, BUF, MAX_LINE, 0 };
	struct chunkread *cr;
	struct input *in;
	struct result r;

	s = random_lines(3, len, 400, 0);
	z = malloc(ZSTD_compressBound(len));
	zlen = ZSTD_compress(z, ZSTD_compressBound(len), s, len, 3);
	tap_write_file(tap_path(path, sizeof(path), "s.zst"), z, zlen);
	input_open(path, &in);
	chunkread_open_input(in, &o, &cr);
	is_str(chunkread_io_name(cr), "stream", "stream: io name");
	drain(cr, 0, &r);
	ok(r.ret == 0 && r.len == len && memcmp(r.data, s, len) == 0 && !r.bad_offset &&
	   !r.bad_lines, "stream: zstd file read back exactly (%d chunks)", r.chunks);
	free(r.data);
	chunkread_close(cr);
	input_close(in);

	/* Cut short, the zstd data is an error after the whole lines before. */
	tap_write_file(path, z, zlen / 2);
	input_open(path, &in);
	chunkread_open_input(in, &o, &cr);
	tap_capture_begin();
	drain(cr, 0, &r);
	tap_capture_end();
	is_int(r.ret, -CODE_EXIT_DATAERR, "stream: truncated zstd gives 65");
	ok(r.len > 0 && memcmp(r.data, s, r.len) == 0, "stream: bytes before the damage delivered");
	free(r.data);
	chunkread_close(cr);
	input_close(in);

	/* A plain file as a stream, with a line over max_line. */
	memset(s + 1000, 'x', MAX_LINE + 10);
	tap_write_file(path, s, len);
	input_open(path, &in);
	chunkread_open_input(in, &o, &cr);
	tap_capture_begin();
	drain(cr, 0, &r);
	tap_capture_end();
	is_int(r.ret, -CODE_EXIT_DATAERR, "stream: line over max_line gives 65");
	free(r.data);
	chunkread_close(cr);
	input_close(in);
	free(z);
	free(s);
}

struct part {
	int fd;
	enum chunkread_io io;
	off_t start, end;
	struct result r;
};

static void *
read_part(void *arg)
{
	struct part *pt = arg;
	struct chunkread_options o = { pt->io, BUF, MAX_LINE, 0 };
	struct chunkread *cr;

	chunkread_open_fd(pt->fd, "shared", pt->start, pt->end, &o, &cr);
	drain(cr, pt->start, &pt->r);
	chunkread_close(cr);
	return NULL;
}

/* Two threads read the two halves of a file through one shared fd. */
static void
test_threads(enum chunkread_io io)
{
	char path[4200], *s;
	size_t len = 400000;
	struct part pt[2];
	pthread_t th[2];
	off_t b[3];
	int i, fd, good;

	s = random_lines(17, len, 120, 1);
	tap_write_file(tap_path(path, sizeof(path), "threads"), s, len);
	fd = open(path, O_RDONLY);
	if (chunkread_split(fd, 0, (off_t)len, 2, b) != 2)
		tap_diag("split gave one part");
	for (i = 0; i < 2; i++) {
		pt[i].fd = fd;
		pt[i].io = io;
		pt[i].start = b[i];
		pt[i].end = b[i + 1];
		pthread_create(&th[i], NULL, read_part, &pt[i]);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	good = 1;
	for (i = 0; i < 2; i++) {
		if (pt[i].r.ret != 0 || pt[i].r.bad_offset ||
		    pt[i].r.len != (size_t)(b[i + 1] - b[i]) ||
		    memcmp(pt[i].r.data, s + b[i], pt[i].r.len) != 0)
			good = 0;
		free(pt[i].r.data);
	}
	ok(good, "%s: two threads on one fd read their halves exactly", pt[0].r.io);
	close(fd);
	free(s);
}

static void
test_io(enum chunkread_io io)
{
	test_threads(io);
	grow_twice(io, 65536, 100, 300000, "a small file growing past the buffer");
	grow_twice(io, BUF, 10 * BUF + 7, 9 * BUF, "a file growing by several buffers");
	test_shapes(io);
	test_too_long(io);
	test_ranges(io);
	test_truncated(io);
	test_growing(io);
}

int
main(void)
{
	char reason[128], path[4200], big[300000];
	struct chunkread_options o = { CHUNKREAD_IO_URING, BUF, 0, 0 };
	struct chunkread *cr;
	int works, fd;

	diag_setup("test-chunkread");
	works = chunkread_uring_works(reason, sizeof(reason));
	ok(works ? reason[0] == '\0' : reason[0] != '\0',
	   "uring probe: %s", works ? "works" : reason);

	memset(big, 'x', sizeof(big));
	tap_write_file(tap_path(path, sizeof(path), "n"), big, sizeof(big));
	fd = open(path, O_RDONLY);
	o.io = CHUNKREAD_IO_READ;
	chunkread_open_fd(fd, path, 0, -1, &o, &cr);
	is_str(chunkread_io_name(cr), "pread", "io name pread");
	chunkread_close(cr);
	o.io = CHUNKREAD_IO_URING;
	chunkread_open_fd(fd, path, 0, -1, &o, &cr);
	is_str(chunkread_io_name(cr), works ? "io_uring" : "pread", "io name with uring asked");
	chunkread_close(cr);
	chunkread_open_fd(fd, path, 0, 1000, &o, &cr);
	is_str(chunkread_io_name(cr), "pread", "a small range is read with pread all the same");
	chunkread_close(cr);
	close(fd);

	test_io(CHUNKREAD_IO_READ);
	if (works)
		test_io(CHUNKREAD_IO_URING);
	else
		ok(1, "# SKIP io_uring does not work here: %s", reason);
	test_split();
	test_stream();
	return tap_done();
}
