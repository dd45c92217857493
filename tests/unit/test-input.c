/* test-input.c: files, stdin and zstd streams read back byte for byte, and their errors. */
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
#include "libcommon/input.h"
#include "tests/lib/tap.h"

/* Passes when got starts with want; shows got otherwise. */
static void
starts_with(const char *got, const char *want, const char *name)
{
	if (!ok(strncmp(got, want, strlen(want)) == 0, "%s", name))
		tap_diag("got '%s', want a prefix '%s'", got, want);
}

/* Compresses src as one zstd frame into a malloc'd buffer. */
static unsigned char *
zstd_frame(const void *src, size_t len, int checksum, size_t *out_len)
{
	size_t bound = ZSTD_compressBound(len);
	unsigned char *dst = malloc(bound);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();

	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, checksum);
	*out_len = ZSTD_compress2(cctx, dst, bound, src, len);
	ZSTD_freeCCtx(cctx);
	if (ZSTD_isError(*out_len)) {
		printf("Bail out! ZSTD_compress2: %s\n", ZSTD_getErrorName(*out_len));
		exit(1);
	}
	return dst;
}

/*
 * Opens path, reads it whole with reads of chunk bytes, and returns the
 * last result (0 or negative); the data is in *data (malloc'd).
 */
static int
read_chunked(const char *path, size_t chunk, char **data, size_t *len,
	     int *compressed)
{
	struct input *in;
	char *buf = malloc(chunk);
	size_t cap = 1 << 16;
	int ret;

	*data = malloc(cap);
	*len = 0;
	if ((ret = input_open(path, &in)) < 0)
		goto out;
	for (;;) {
		ssize_t n = input_read(in, buf, chunk);

		if (n <= 0) {
			ret = (int)n;
			break;
		}
		while (*len + (size_t)n > cap)
			*data = realloc(*data, cap *= 2);
		memcpy(*data + *len, buf, (size_t)n);
		*len += (size_t)n;
	}
	if (compressed)
		*compressed = input_is_compressed(in);
	input_close(in);
out:
	free(buf);
	return ret;
}

/* Deterministic text that compresses well but not trivially. */
static char *
make_text(size_t len)
{
	char *p = malloc(len);
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (i % 61 == 60) ? '\n' : (char)('a' + (x >> 16) % 7);
	}
	return p;
}

static void
test_plain(void)
{
	char path[4200], *data = NULL;
	size_t len;
	int compressed = -1;
	struct input *in;

	tap_write_file(tap_path(path, sizeof(path), "plain.txt"), "hello\nworld\n", 12);
	is_int(read_chunked(path, 4096, &data, &len, &compressed), 0, "a plain file reads to the end");
	ok(len == 12 && memcmp(data, "hello\nworld\n", 12) == 0, "a plain file reads back unchanged");
	is_int(compressed, 0, "a plain file is not compressed");
	free(data);

	is_int(input_open(path, &in), 0, "input_open succeeds");
	is_str(input_name(in), path, "input_name is the path");
	is_int(input_read_all(in, 1024, &data, &len), 0, "input_read_all reads a small file");
	is_int((long long)len, 12, "input_read_all gives the length");
	ok(data && data[len] == '\0' && strcmp(data, "hello\nworld\n") == 0,
	   "input_read_all NUL-terminates");
	free(data);
	input_close(in);

	/* Short files are shorter than the 4 sniffed bytes. */
	tap_write_file(path, "", 0);
	is_int(read_chunked(path, 4096, &data, &len, NULL), 0, "an empty file reads");
	is_int((long long)len, 0, "an empty file has no bytes");
	free(data);
	tap_write_file(path, "\x28\xb5", 2);
	is_int(read_chunked(path, 4096, &data, &len, &compressed), 0,
	       "a 2-byte file starting like the magic reads");
	ok(len == 2 && memcmp(data, "\x28\xb5", 2) == 0 && !compressed,
	   "the 2 sniffed bytes are kept as plain data");
	free(data);
	tap_write_file(path, "\x28\xb5\x2f\xfcxyz", 7);
	is_int(read_chunked(path, 1, &data, &len, &compressed), 0,
	       "3 magic bytes then something else is plain");
	ok(len == 7 && memcmp(data, "\x28\xb5\x2f\xfcxyz", 7) == 0 && !compressed,
	   "every sniffed byte is handed out, even one at a time");
	free(data);
}

static void
test_errors(void)
{
	char path[4200], want[8400];
	struct input *in = (struct input *)1;
	char *data = (char *)1;
	size_t len;
	const char *err;
	int fd, fds[2];

	tap_path(path, sizeof(path), "missing.txt");
	tap_capture_begin();
	is_int(input_open(path, &in), -CODE_EXIT_NOINPUT, "a missing file is -66");
	err = tap_capture_end();
	snprintf(want, sizeof(want), "code-input: cannot open '%s': No such file or directory\n",
		 path);
	is_str(err, want, "a missing file says why");
	ok(in == NULL, "*out is NULL after a failed open");

	tap_capture_begin();
	is_int(input_open(tap_tmpdir(), &in), -CODE_EXIT_NOINPUT, "a directory is -66");
	err = tap_capture_end();
	snprintf(want, sizeof(want), "code-input: cannot open '%s': Is a directory\n",
		 tap_tmpdir());
	is_str(err, want, "a directory is named as such");

	/* A write-only file fails its first read(2), which open does. */
	tap_path(path, sizeof(path), "wronly.txt");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	tap_capture_begin();
	is_int(input_open_fd(fd, "wronly.txt", 1, &in), -CODE_EXIT_NOINPUT,
	       "an unreadable file does not open");
	err = tap_capture_end();
	is_str(err, "code-input: cannot open 'wronly.txt': Bad file descriptor\n",
	       "and says why");
	ok(fcntl(fd, F_GETFD) >= 0, "a borrowed fd stays open when the open fails");
	close(fd);

	/* The write end of a pipe is sniffed lazily, so the read fails. */
	if (pipe(fds) < 0) {
		printf("Bail out! pipe\n");
		exit(1);
	}
	close(fds[0]);
	fd = fds[1];
	is_int(input_open_fd(fd, "wpipe", 0, &in), 0, "input_open_fd takes a pipe");
	tap_capture_begin();
	is_int(input_read_all(in, 100, &data, &len), -CODE_EXIT_IOERR, "a read error is -74");
	is_int(input_read(in, path, 10), -CODE_EXIT_IOERR, "a read error is sticky");
	err = tap_capture_end();
	is_str(err, "code-input: wpipe: read error: Bad file descriptor\n",
	       "a read error names the input, once");
	ok(data == NULL && len == 0, "a failed input_read_all leaves nothing behind");
	input_close(in);
	ok(fcntl(fd, F_GETFD) < 0, "an owned fd is closed by input_close");
}

static void
test_limit(void)
{
	char path[4200], want[9000], *data = NULL, *text = make_text(3000);
	struct input *in;
	size_t len;
	const char *err;

	tap_write_file(tap_path(path, sizeof(path), "limit.txt"), text, 3000);
	input_open(path, &in);
	is_int(input_read_all(in, 3000, &data, &len), 0, "a file exactly at the limit reads");
	ok(len == 3000 && memcmp(data, text, 3000) == 0, "and is whole");
	input_close(in);
	free(data);

	input_open(path, &in);
	tap_capture_begin();
	is_int(input_read_all(in, 2048, &data, &len), -CODE_EXIT_DATAERR,
	       "a file over the limit is -65");
	err = tap_capture_end();
	snprintf(want, sizeof(want), "code-input: %s: '%s' is larger than 2 KiB\n", path, path);
	is_str(err, want, "the limit is named");
	ok(data == NULL, "no data past the limit");
	input_close(in);

	/* Part read already: input_read_all returns the rest. */
	input_open(path, &in);
	for (len = 0; len < 1000; ) {
		ssize_t n = input_read(in, want, 1000 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	is_int(input_read_all(in, 2000, &data, &len), 0,
	       "the rest of a part-read file is within the limit");
	ok(len == 2000 && memcmp(data, text + 1000, 2000) == 0, "and is the rest");
	input_close(in);
	free(data);

	/* A pipe has no size: the limit is found by reading. */
	{
		int fds[2];

		if (pipe(fds) < 0 || write(fds[1], text, 3000) != 3000)
			printf("Bail out! pipe\n");
		close(fds[1]);
		input_open_fd(fds[0], "pipe", 0, &in);
		tap_capture_begin();
		is_int(input_read_all(in, 2999, &data, &len), -CODE_EXIT_DATAERR,
		       "a pipe over the limit is -65");
		is_str(tap_capture_end(), "code-input: pipe: 'pipe' is larger than 2999 bytes\n",
		       "named like a file");
		input_close(in);
	}

	/* A sparse 1 GiB file is refused from its size, unread. */
	tap_path(path, sizeof(path), "sparse.txt");
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || ftruncate(fd, (off_t)1 << 30) < 0)
			printf("Bail out! ftruncate\n");
		close(fd);
	}
	input_open(path, &in);
	tap_capture_begin();
	is_int(input_read_all(in, 64u << 20, &data, &len), -CODE_EXIT_DATAERR,
	       "a 1 GiB file over a 64 MiB limit is -65");
	snprintf(want, sizeof(want), "code-input: %s: '%s' is larger than 64 MiB\n", path, path);
	is_str(tap_capture_end(), want, "with the limit in MiB");
	input_close(in);
	unlink(path);
	free(text);
}

static void
test_stdin(void)
{
	char path[4200], *data = NULL;
	struct input *in;
	size_t len, zlen;
	unsigned char *z;
	int saved = dup(0), fd;

	tap_write_file(tap_path(path, sizeof(path), "stdin.txt"), "from stdin\n", 11);
	fd = open(path, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	is_int(input_open("-", &in), 0, "\"-\" opens stdin");
	is_str(input_name(in), "<stdin>", "stdin is named <stdin>");
	input_read_all(in, 100, &data, &len);
	is_str(data, "from stdin\n", "stdin reads the file behind fd 0");
	free(data);
	input_close(in);
	ok(fcntl(0, F_GETFD) >= 0, "stdin stays open after input_close");

	/* Sniffing must work on stdin too, where nothing can be re-read. */
	z = zstd_frame("zipped stdin\n", 13, 0, &zlen);
	tap_write_file(path, z, zlen);
	free(z);
	fd = open(path, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	is_int(input_open(NULL, &in), 0, "NULL opens stdin");
	input_read_all(in, 100, &data, &len);
	is_str(data, "zipped stdin\n", "zstd on stdin is found by its magic");
	ok(input_is_compressed(in), "and reported as compressed");
	free(data);
	input_close(in);
	dup2(saved, 0);
	close(saved);
}

static void
test_pipe(void)
{
	unsigned char *z;
	char *data = NULL;
	struct input *in;
	size_t zlen, len;
	int fds[2];

	/* A pipe cannot seek: the sniffed bytes must be fed to zstd. */
	z = zstd_frame("through a pipe\n", 15, 1, &zlen);
	if (pipe(fds) < 0 || write(fds[1], z, zlen) != (ssize_t)zlen)
		printf("Bail out! pipe\n");
	close(fds[1]);
	free(z);
	input_open_fd(fds[0], "pipe", 1, &in);
	input_read_all(in, 100, &data, &len);
	is_str(data, "through a pipe\n", "zstd from a pipe is sniffed and decoded");
	free(data);
	input_close(in);
	ok(fcntl(fds[0], F_GETFD) >= 0, "a borrowed fd stays open");
	close(fds[0]);

	if (pipe(fds) < 0 || write(fds[1], "{\"a\":1}\n", 8) != 8)
		printf("Bail out! pipe\n");
	close(fds[1]);
	input_open_fd(fds[0], NULL, 0, &in);
	input_read_all(in, 100, &data, &len);
	is_str(data, "{\"a\":1}\n", "plain data from a pipe is kept whole");
	is_str(input_name(in), "<stdin>", "a NULL name reads as <stdin>");
	free(data);
	input_close(in);
}

static void
test_zstd(void)
{
	char path[4200], *data = NULL, *text = make_text(1 << 20);
	unsigned char *a, *b, *both;
	size_t alen, blen, len;
	int compressed = 0;

	a = zstd_frame(text, 1 << 20, 1, &alen);
	tap_write_file(tap_path(path, sizeof(path), "big.zst"), a, alen);
	is_int(read_chunked(path, 7, &data, &len, &compressed), 0,
	       "1 MiB of zstd reads in 7-byte pieces");
	ok(len == 1 << 20 && memcmp(data, text, len) == 0, "and matches the original");
	ok(compressed, "a .zst file is compressed");
	free(data);
	is_int(read_chunked(path, 1 << 20, &data, &len, NULL), 0, "and in one big read");
	ok(len == 1 << 20 && memcmp(data, text, len) == 0, "which also matches");
	free(data);

	/* input_read_all grows through several doublings to the exact size. */
	{
		struct input *in;

		input_open(path, &in);
		is_int(input_read_all(in, 1 << 20, &data, &len), 0,
		       "input_read_all decodes 1 MiB at a 1 MiB limit");
		ok(len == 1 << 20 && memcmp(data, text, len) == 0 && data[len] == '\0',
		   "all of it, NUL-terminated");
		free(data);
		input_close(in);
		input_open(path, &in);
		tap_capture_begin();
		is_int(input_read_all(in, (1 << 20) - 1, &data, &len), -CODE_EXIT_DATAERR,
		       "one byte less is over the limit");
		ok(strstr(tap_capture_end(), ".zst' is larger than 1048575 bytes\n") != NULL,
		   "an odd limit is given in bytes");
		input_close(in);
	}

	/* Sniffed without the extension. */
	tap_write_file(tap_path(path, sizeof(path), "big.bin"), a, alen);
	{
		struct input *in;

		input_open(path, &in);
		ok(input_is_compressed(in), "a file is sniffed as soon as it is opened");
		input_close(in);
	}
	is_int(read_chunked(path, 65536, &data, &len, &compressed), 0,
	       "zstd without .zst is found by its magic");
	ok(compressed && len == 1 << 20 && memcmp(data, text, len) == 0,
	   "and decoded");
	free(data);

	/* Concatenated frames, with a skippable frame between them. */
	b = zstd_frame("tail\n", 5, 0, &blen);
	both = malloc(alen + 12 + blen);
	memcpy(both, a, alen);
	memcpy(both + alen, "\x5a\x2a\x4d\x18\x04\x00\x00\x00skip", 12);
	memcpy(both + alen + 12, b, blen);
	tap_write_file(tap_path(path, sizeof(path), "cat.zst"), both, alen + 12 + blen);
	is_int(read_chunked(path, 4096, &data, &len, NULL), 0, "concatenated frames read");
	ok(len == (1 << 20) + 5 && memcmp(data, text, 1 << 20) == 0 &&
	   memcmp(data + (1 << 20), "tail\n", 5) == 0,
	   "concatenated frames decode in order, the skippable one skipped");
	free(data);

	/* A stream that starts with a skippable frame is still zstd. */
	tap_write_file(tap_path(path, sizeof(path), "skipfirst.bin"), both + alen, 12 + blen);
	is_int(read_chunked(path, 4096, &data, &len, &compressed), 0,
	       "a leading skippable frame is sniffed");
	ok(compressed && len == 5 && memcmp(data, "tail\n", 5) == 0,
	   "and the frame after it decoded");
	free(data);

	/* Ending on a skippable frame is a clean end; cutting one is not. */
	memcpy(both, b, blen);
	memcpy(both + blen, "\x5f\x2a\x4d\x18\x03\x00\x00\x00" "end", 11);
	tap_write_file(tap_path(path, sizeof(path), "endskip.zst"), both, blen + 11);
	is_int(read_chunked(path, 4096, &data, &len, NULL), 0,
	       "a trailing skippable frame ends the stream cleanly");
	ok(len == 5 && memcmp(data, "tail\n", 5) == 0, "after the data before it");
	free(data);
	tap_write_file(path, both, blen + 10);
	tap_capture_begin();
	is_int(read_chunked(path, 4096, &data, &len, NULL), -CODE_EXIT_DATAERR,
	       "a cut skippable frame is truncated data");
	tap_capture_end();
	free(data);
	free(both);
	free(b);
	free(a);
	free(text);
}

static void
test_zstd_errors(void)
{
	char path[4200], want[8400], *data = NULL, *text = make_text(200000);
	unsigned char *z;
	size_t zlen, len;
	const char *err;

	z = zstd_frame(text, 200000, 1, &zlen);
	tap_write_file(tap_path(path, sizeof(path), "cut.zst"), z, zlen / 2);
	tap_capture_begin();
	is_int(read_chunked(path, 4096, &data, &len, NULL), -CODE_EXIT_DATAERR,
	       "truncated zstd is -65");
	err = tap_capture_end();
	snprintf(want, sizeof(want), "code-input: %s: truncated zstd data\n", path);
	is_str(err, want, "truncated zstd says so, with the file name");
	free(data);

	/* Cut inside the frame header, and right after the magic. */
	tap_write_file(path, z, 6);
	tap_capture_begin();
	is_int(read_chunked(path, 4096, &data, &len, NULL), -CODE_EXIT_DATAERR,
	       "a cut frame header is -65");
	err = tap_capture_end();
	is_str(err, want, "a cut header is truncated data");
	free(data);
	tap_write_file(path, z, zlen - 1);
	tap_capture_begin();
	is_int(read_chunked(path, 4096, &data, &len, NULL), -CODE_EXIT_DATAERR,
	       "a missing last byte is noticed");
	tap_capture_end();
	free(data);

	tap_write_file(tap_path(path, sizeof(path), "empty.zst"), "", 0);
	tap_capture_begin();
	is_int(read_chunked(path, 4096, &data, &len, NULL), -CODE_EXIT_DATAERR,
	       "an empty .zst file is truncated, as zstd -d says");
	tap_capture_end();
	free(data);

	/* Flipped bytes in the middle: the checksum or the decoder objects. */
	memset(z + zlen / 2, 0xa5, 16);
	tap_write_file(tap_path(path, sizeof(path), "bad.zst"), z, zlen);
	tap_capture_begin();
	is_int(read_chunked(path, 4096, &data, &len, NULL), -CODE_EXIT_DATAERR,
	       "corrupt zstd is -65");
	err = tap_capture_end();
	snprintf(want, sizeof(want), "code-input: %s: corrupt zstd data: ", path);
	starts_with(err, want, "corrupt zstd gives zstd's reason");
	free(data);

	tap_write_file(tap_path(path, sizeof(path), "text.zst"), "not zstd at all\n", 16);
	tap_capture_begin();
	is_int(read_chunked(path, 4096, &data, &len, NULL), -CODE_EXIT_DATAERR,
	       "plain text named .zst is -65");
	err = tap_capture_end();
	snprintf(want, sizeof(want), "code-input: %s: corrupt zstd data: Unknown frame descriptor\n",
		 path);
	is_str(err, want, "a bad header is named by zstd");
	free(data);
	free(z);
	free(text);
}

int
main(void)
{
	diag_setup("code-input");
	test_plain();
	test_errors();
	test_limit();
	test_stdin();
	test_pipe();
	test_zstd();
	test_zstd_errors();
	return tap_done();
}
