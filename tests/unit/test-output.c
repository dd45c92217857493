/* test-output.c: buffered output arrives whole, and write failures become a quiet or loud -74. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/output.h"
#include "libcommon/xalloc.h"
#include "tests/lib/tap.h"

/* Reads a whole file into a malloc'd NUL-terminated buffer. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, got;
	char *p = malloc(cap + 1);

	while (f && (got = fread(p + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			p = realloc(p, (cap *= 2) + 1);
	}
	if (f)
		fclose(f);
	p[n] = '\0';
	*len = n;
	return p;
}

/* What a non-blocking read of the pipe finds now: "" when nothing. */
static const char *
pipe_peek(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_file(void)
{
	/* Static: GCC's -Wformat-overflow at -O1 with UBSan takes a heap buffer for NULL. */
	static char big[200000];
	char path[4200], *data, *want;
	struct output *o;
	size_t len, i, wlen = 0;
	int fd, ret = 0;

	tap_path(path, sizeof(path), "out.txt");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	is_int(output_open_fd(fd, &o), 0, "output_open_fd succeeds");
	is_int(output_write(o, "abc", 3), 0, "output_write buffers");
	is_int(output_puts(o, "def\n"), 0, "output_puts buffers");
	is_int(output_printf(o, "%d-%s\n", 42, "x"), 0, "output_printf buffers");
	is_int(output_write(o, NULL, 0), 0, "an empty write is fine");
	is_int(output_close(o), 0, "output_close flushes and returns 0");
	close(fd);
	data = slurp(path, &len);
	is_str(data, "abcdef\n42-x\n", "the file holds everything in order");
	free(data);

	/* Writes around and past the 64 KiB buffer. */
	memset(big, 'b', 200000);
	want = xmalloc(1 << 22);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	output_open_fd(fd, &o);
	for (i = 0; i < 20000; i++) {
		int n = sprintf(want + wlen, "line %zu\n", i);

		ret |= output_printf(o, "line %zu\n", i);
		wlen += (size_t)n;
	}
	ret |= output_write(o, big, 200000);
	memcpy(want + wlen, big, 200000);
	wlen += 200000;
	ret |= output_printf(o, "<%.*s>", 100000, big);
	want[wlen++] = '<';
	memcpy(want + wlen, big, 100000);
	wlen += 100000;
	want[wlen++] = '>';
	for (i = 0; i < 65533; i++)
		ret |= output_write(o, "c", 1);
	memset(want + wlen, 'c', 65533);
	wlen += 65533;
	ret |= output_printf(o, "%s", "0123456789");
	memcpy(want + wlen, "0123456789", 10);
	wlen += 10;
	is_int(ret, 0, "many small, big and formatted writes succeed");
	is_int(output_close(o), 0, "and close cleanly");
	close(fd);
	data = slurp(path, &len);
	is_int((long long)len, (long long)wlen, "every byte arrives");
	ok(len == wlen && memcmp(data, want, len) == 0, "in order, across buffer boundaries");
	free(data);
	free(want);
	is_int(output_close(NULL), 0, "output_close(NULL) is harmless");
}

static void
test_full(void)
{
	char big[70000];
	struct output *o;
	const char *err;
	int fd = open("/dev/full", O_WRONLY);

	if (fd < 0) {
		ok(1, "# SKIP no /dev/full");
		return;
	}
	output_open_fd(fd, &o);
	tap_capture_begin();
	is_int(output_puts(o, "record\n"), 0, "a buffered write does not fail yet");
	is_int(output_flush(o), -CODE_EXIT_IOERR, "flushing to /dev/full is -74");
	is_int(output_puts(o, "more"), -CODE_EXIT_IOERR, "the failure is sticky for writes");
	is_int(output_printf(o, "%d", 1), -CODE_EXIT_IOERR, "and for printf");
	is_int(output_flush(o), -CODE_EXIT_IOERR, "and for flush");
	is_int(output_close(o), -CODE_EXIT_IOERR, "output_close returns the first error");
	err = tap_capture_end();
	is_str(err, "code-output: write error: No space left on device\n",
	       "the error is printed once, with its reason");

	/* A write bigger than the buffer goes straight to the fd. */
	memset(big, 'x', sizeof(big));
	output_open_fd(fd, &o);
	tap_capture_begin();
	is_int(output_write(o, big, sizeof(big)), -CODE_EXIT_IOERR,
	       "a big unbuffered write fails at once");
	output_close(o);
	err = tap_capture_end();
	is_str(err, "code-output: write error: No space left on device\n",
	       "and says so once");
	close(fd);
}

static void
test_pipe(void)
{
	struct sigaction sa;
	struct output *o;
	char buf[256];
	const char *err;
	int fds[2];

	if (pipe(fds) < 0) {
		printf("Bail out! pipe\n");
		exit(1);
	}
	close(fds[0]);
	output_open_fd(fds[1], &o);
	sigaction(SIGPIPE, NULL, &sa);
	ok(sa.sa_handler == SIG_IGN, "output_open_fd ignores SIGPIPE");
	tap_capture_begin();
	output_puts(o, "nobody reads this\n");
	is_int(output_flush(o), -CODE_EXIT_IOERR, "a pipe without reader is -74");
	is_int(output_close(o), -CODE_EXIT_IOERR, "and output_close says so too");
	err = tap_capture_end();
	is_str(err, "", "EPIPE is quiet");
	close(fds[1]);

	/* Line buffering: a '\n' pushes the buffer out, nothing else does. */
	if (pipe(fds) < 0) {
		printf("Bail out! pipe\n");
		exit(1);
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	output_open_fd(fds[1], &o);
	output_puts(o, "a");
	is_str(pipe_peek(fds[0], buf, sizeof(buf)), "", "fully buffered by default");
	output_set_line_buffered(o, 1);
	output_puts(o, "bc");
	is_str(pipe_peek(fds[0], buf, sizeof(buf)), "", "line buffered waits for a newline");
	output_puts(o, "d\n");
	is_str(pipe_peek(fds[0], buf, sizeof(buf)), "abcd\n", "a newline flushes the line");
	output_printf(o, "n=%d\n", 7);
	is_str(pipe_peek(fds[0], buf, sizeof(buf)), "n=7\n", "output_printf flushes at a newline");
	output_set_line_buffered(o, 0);
	output_puts(o, "e\n");
	is_str(pipe_peek(fds[0], buf, sizeof(buf)), "", "turned off, newlines stay buffered");
	is_int(output_close(o), 0, "closing a pipe output succeeds");
	is_str(pipe_peek(fds[0], buf, sizeof(buf)), "e\n", "and flushes what was left");
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	diag_setup("code-output");
	test_file();
	test_full();
	test_pipe();
	return tap_done();
}
