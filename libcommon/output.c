/* output.c: buffered stdout that turns write failures into exit 74. */
#include "libcommon/output.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

/* Big enough that a pipe to the next tool sees few, large writes. */
#define OUTPUT_BUF_SIZE (64u << 10)

struct output {
	int fd;
	int line_buffered;
	int failed;   /* sticky: 0 or -CODE_EXIT_IOERR */
	size_t len;   /* bytes waiting in buf */
	char buf[OUTPUT_BUF_SIZE];
};

/*
 * Writes everything or fails for good. The first failure is reported,
 * except EPIPE: the reader went away, which a pipeline does on purpose
 * (`| head`), so there is nothing to tell.
 */
static int
output_write_fd(struct output *o, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(o->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == EPIPE)
				o->failed = -CODE_EXIT_IOERR;
			else
				o->failed = diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
							     "write error");
			return o->failed;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
output_open_fd(int fd, struct output **out)
{
	struct sigaction sa;
	struct output *o;

	/*
	 * Without this a closed pipe kills the process before it can tell
	 * "reader left" from "disk full" and clean up.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	o = xmalloc(sizeof(*o));
	o->fd = fd;
	o->line_buffered = 0;
	o->failed = 0;
	o->len = 0;
	*out = o;
	return 0;
}

int
output_flush(struct output *o)
{
	int ret;

	if (o->failed)
		return o->failed;
	ret = output_write_fd(o, o->buf, o->len);
	o->len = 0;
	return ret;
}

int
output_write(struct output *o, const void *data, size_t len)
{
	if (o->failed)
		return o->failed;
	if (len == 0)
		return 0;
	if (len > sizeof(o->buf) - o->len) {
		if (output_flush(o) < 0)
			return o->failed;
		/* Too big to be worth copying: one write straight from data. */
		if (len >= sizeof(o->buf))
			return output_write_fd(o, data, len);
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	if (o->line_buffered && memchr(data, '\n', len))
		return output_flush(o);
	return 0;
}

int
output_puts(struct output *o, const char *s)
{
	return output_write(o, s, strlen(s));
}

int
output_printf(struct output *o, const char *fmt, ...)
{
	size_t room = sizeof(o->buf) - o->len;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	int n, ret;

	if (o->failed)
		return o->failed;
	/* Usually the text fits where it is going: format it in place. */
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return diag_error_errno(CODE_EXIT_SOFTWARE, errno, NULL,
					"cannot format output");
	if ((size_t)n < room) {
		const char *text = o->buf + o->len;

		o->len += (size_t)n;
		if (o->line_buffered && memchr(text, '\n', (size_t)n))
			return output_flush(o);
		return 0;
	}
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	ret = output_write(o, sb.buf, sb.len);
	strbuf_release(&sb);
	return ret;
}

int
output_close(struct output *o)
{
	int ret;

	if (o == NULL)
		return 0;
	ret = output_flush(o);
	free(o);
	return ret;
}

void
output_set_line_buffered(struct output *o, int on)
{
	o->line_buffered = on;
}
