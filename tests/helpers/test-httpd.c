/* test-httpd.c: a small scriptable HTTP/1.1 server that tests probe, load and break. */

/*
 * Usage:
 *	test-httpd --port-file FILE [--dir DIR] [--log FILE] [--port N]
 *
 * Listens on 127.0.0.1:N (N = 0, the default, picks a free port). Once it
 * listens it writes the port number and '\n' to FILE.tmp and renames that
 * to FILE, so a test waits for FILE to exist and then reads the port.
 * Runs until SIGTERM or SIGINT, then exits 0. Exit 2 on bad usage, 1 when
 * it cannot listen or write FILE.
 *
 * One thread per connection (hundreds of concurrent keep-alive connections
 * are fine). HTTP/1.1 connections stay open unless the request says
 * "Connection: close"; HTTP/1.0 connections are closed after one response.
 * Pipelined requests are answered in order. Malformed input gets 400 and
 * the connection closed; more than 64 KiB of request line plus headers gets
 * 431 and closed; a request body over 64 MiB gets 413 and closed. Any
 * method is accepted on every route; HEAD gets the headers only.
 * Responses carry Content-Type: text/plain and Content-Length (except
 * /chunked), and "Connection: close" when the server is about to close.
 *
 * --dir DIR   the directory of /file and /count (default ".").
 * --log FILE  appends one line per request, flushed at once:
 *             "METHOD TARGET STATUS\n", TARGET as received (query string
 *             included). /reset logs status "-"; a malformed request logs
 *             "- - 400" (or 431, 413).
 *
 * Routes (the query string is ignored for routing):
 *	/ok            200 "ok\n"
 *	/status/N      status N (200..599) with body "status N\n"; 204 and 304
 *	               have no body
 *	/sleep/MS      waits MS milliseconds (at most 600000), then 200 "ok\n"
 *	/reset         no response: the connection is reset (RST, SO_LINGER 0)
 *	/close         200 with Content-Length: 100 but only 10 bytes of body,
 *	               then the connection is closed (truncated body)
 *	/chunked       200, Transfer-Encoding: chunked, body "hello, world\n"
 *	               in 3 chunks
 *	/trickle/MS    200 "ok\n", the whole response (headers too) sent one
 *	               byte every MS milliseconds (MS at most 60000)
 *	/bytes/N       200 with N bytes of 'x' (N at most 1 GiB)
 *	/file/NAME     NAME is [A-Za-z0-9_.-]+ (not "." or ".."). Reads DIR/NAME
 *	               on every request: its first line is the status
 *	               (200..599), everything after that line is the body. A
 *	               missing file gives 503 "no such file\n"; a first line
 *	               that is not a status gives 500 "bad status file\n".
 *	               Rewrite the file (atomically) to flip health.
 *	/count/NAME    counts requests per NAME (from 1, since the server
 *	               started). If DIR/NAME.fail-until holds K and the count
 *	               N <= K: 503 "fail N\n"; else 200 "ok N\n". A missing
 *	               file means K = 0.
 *	/echo          200, body: the request line's method and target
 *	               ("METHOD TARGET\n"), then each header line as received
 *	               (without its CR), then an empty line, then the request
 *	               body if any
 *	anything else  404 "not found\n"
 *
 * A request body (Content-Length, or Transfer-Encoding: chunked) is read
 * on every route, so keep-alive stays in step; only /echo shows it.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define HEADER_MAX	(64 * 1024)
#define BUF_CAP		(HEADER_MAX + 4096)
#define BODY_MAX	(64L * 1024 * 1024)
#define FILE_MAX	(1024 * 1024)

struct counter {
	struct counter *next;
	unsigned long n;
	char name[];
};

struct server {
	const char *dir;
	FILE *log;
	pthread_mutex_t log_mu;
	pthread_mutex_t count_mu;
	struct counter *counters;
};

struct conn {
	struct server *srv;
	int fd;
	size_t off, len;        /* unread bytes are buf[off..len) */
	char buf[BUF_CAP];
};

/* One parsed request; strings point into head, which is owned. */
struct request {
	char *head;             /* request line and header lines, '\n' ended */
	size_t head_len;
	char method[32];
	char *target;
	bool http10;
	bool close;
	bool chunked;
	bool has_length;
	long length;
	char *body;
	size_t body_len;
};

struct response {
	int status;
	const char *body;
	size_t body_len;
	bool close;
};

static void
logf_request(struct server *srv, const char *method, const char *target, const char *status)
{
	if (srv->log == NULL)
		return;
	pthread_mutex_lock(&srv->log_mu);
	fprintf(srv->log, "%s %s %s\n", method, target, status);
	fflush(srv->log);
	pthread_mutex_unlock(&srv->log_mu);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
send_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads more into buf; 1 read something, 0 EOF or error, -1 buf full. */
static int
conn_fill(struct conn *c)
{
	ssize_t n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf))
		return -1;
	do
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	c->len += (size_t)n;
	return 1;
}

/*
 * Finds the next line ('\n' ended); *line and *n (without the '\n') point
 * into buf and stay valid until the next fill. 1 found, 0 EOF, -1 too long.
 */
static int
conn_line(struct conn *c, char **line, size_t *n)
{
	for (;;) {
		char *start = c->buf + c->off;
		char *nl = memchr(start, '\n', c->len - c->off);
		int r;

		if (nl != NULL) {
			*line = start;
			*n = (size_t)(nl - start);
			c->off += *n + 1;
			return 1;
		}
		r = conn_fill(c);
		if (r <= 0)
			return r;
	}
}

/* Appends exactly n bytes from the connection to *body; 0 on EOF. */
static int
conn_read(struct conn *c, char **body, size_t *len, size_t n)
{
	*body = realloc(*body, *len + n + 1);
	if (*body == NULL)
		abort();
	while (n > 0) {
		size_t avail = c->len - c->off, k = avail < n ? avail : n;

		if (k == 0) {
			if (conn_fill(c) <= 0)
				return 0;
			continue;
		}
		memcpy(*body + *len, c->buf + c->off, k);
		*len += k;
		c->off += k;
		n -= k;
	}
	(*body)[*len] = '\0';
	return 1;
}

static bool
is_tchar(int ch)
{
	return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Does the comma separated header value contain token tok? */
static bool
has_token(const char *value, const char *tok)
{
	size_t tl = strlen(tok);

	while (*value != '\0') {
		size_t n;

		while (*value == ' ' || *value == '\t' || *value == ',')
			value++;
		n = strcspn(value, ", \t");
		if (n == tl && strncasecmp(value, tok, tl) == 0)
			return true;
		value += n;
	}
	return false;
}

/* Parses a decimal in [lo, hi] that is the whole of s; -1 when not one. */
static long
parse_num(const char *s, size_t n, long lo, long hi)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v < lo || v > hi ? -1 : v;
}

/* Reads a chunked request body; 0 ok, 400/413 bad, -1 EOF. */
static int
read_chunked(struct conn *c, struct request *rq)
{
	for (;;) {
		char *line, *end;
		size_t n;
		unsigned long size;
		int r = conn_line(c, &line, &n);

		if (r <= 0)
			return r < 0 ? 400 : -1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		if (!isxdigit((unsigned char)line[0]))
			return 400;
		errno = 0;
		size = strtoul(line, &end, 16);
		if (errno != 0 || (*end != '\0' && *end != ';' && *end != ' ' && *end != '\t'))
			return 400;
		if (size > (unsigned long)BODY_MAX || rq->body_len + size > (size_t)BODY_MAX)
			return 413;
		if (size == 0)
			break;
		if (!conn_read(c, &rq->body, &rq->body_len, size))
			return -1;
		r = conn_line(c, &line, &n);
		if (r <= 0)
			return r < 0 ? 400 : -1;
		if (n > 1 || (n == 1 && line[0] != '\r'))
			return 400;
	}
	/* Trailers, up to the empty line. */
	for (;;) {
		char *line;
		size_t n;
		int r = conn_line(c, &line, &n);

		if (r <= 0)
			return r < 0 ? 400 : -1;
		if (n == 0 || (n == 1 && line[0] == '\r'))
			return 0;
	}
}

/*
 * Reads one request. 0 ok; -1 EOF before or inside a request (just close);
 * else the HTTP status to answer before closing (400, 413, 431).
 */
static int
read_request(struct conn *c, struct request *rq)
{
	size_t cap = 1024;
	char *line, *p, *sp;
	size_t n;
	int r;
	bool first = true;

	memset(rq, 0, sizeof(*rq));
	rq->head = malloc(cap);
	if (rq->head == NULL)
		abort();
	for (;;) {
		r = conn_line(c, &line, &n);
		if (r < 0)
			return 431;
		if (r == 0)
			return -1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 && first && rq->head_len == 0)
			continue;       /* a stray CRLF between requests is allowed */
		if (n == 0)
			break;
		if (memchr(line, '\0', n) != NULL)
			return 400;
		if (rq->head_len + n + 1 > HEADER_MAX)
			return 431;
		while (rq->head_len + n + 2 > cap)
			cap *= 2;
		rq->head = realloc(rq->head, cap);
		if (rq->head == NULL)
			abort();
		memcpy(rq->head + rq->head_len, line, n);
		rq->head_len += n;
		rq->head[rq->head_len++] = '\n';
		rq->head[rq->head_len] = '\0';
		first = false;
	}
	if (rq->head_len == 0)
		return 400;

	/* Request line: METHOD SP TARGET SP HTTP/1.x */
	line = rq->head;
	p = strchr(line, '\n');
	*p = '\0';
	sp = strchr(line, ' ');
	if (sp == NULL || sp == line || (size_t)(sp - line) >= sizeof(rq->method))
		goto bad;
	for (p = line; p < sp; p++)
		if (!is_tchar((unsigned char)*p))
			goto bad;
	memcpy(rq->method, line, (size_t)(sp - line));
	rq->method[sp - line] = '\0';
	rq->target = sp + 1;
	sp = strchr(rq->target, ' ');
	if (sp == NULL || rq->target[0] != '/')
		goto bad;
	*sp = '\0';
	for (p = rq->target; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			goto bad;
	if (strcmp(sp + 1, "HTTP/1.1") == 0)
		rq->http10 = false;
	else if (strcmp(sp + 1, "HTTP/1.0") == 0)
		rq->http10 = true;
	else
		goto bad;
	rq->close = rq->http10;

	/* Header lines. The request line is split with '\0's; put back later. */
	for (line = sp + strlen(sp + 1) + 2; *line != '\0'; line = p + 1) {
		char *colon, *value, *vend;

		p = strchr(line, '\n');
		colon = memchr(line, ':', (size_t)(p - line));
		if (colon == NULL || colon == line)
			goto bad;
		for (value = line; value < colon; value++)
			if (!is_tchar((unsigned char)*value))
				goto bad;
		value = colon + 1;
		while (*value == ' ' || *value == '\t')
			value++;
		vend = p;
		while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		n = (size_t)(colon - line);
		if (n == 10 && strncasecmp(line, "Connection", n) == 0) {
			char tmp[256];
			size_t vl = (size_t)(vend - value);

			if (vl >= sizeof(tmp))
				vl = sizeof(tmp) - 1;
			memcpy(tmp, value, vl);
			tmp[vl] = '\0';
			if (has_token(tmp, "close"))
				rq->close = true;
		} else if (n == 14 && strncasecmp(line, "Content-Length", n) == 0) {
			long len = parse_num(value, (size_t)(vend - value), 0, LONG_MAX);

			if (len < 0 || (rq->has_length && len != rq->length))
				goto bad;
			if (len > BODY_MAX)
				return 413;
			rq->has_length = true;
			rq->length = len;
		} else if (n == 17 && strncasecmp(line, "Transfer-Encoding", n) == 0) {
			if ((size_t)(vend - value) == 7 && strncasecmp(value, "chunked", 7) == 0)
				rq->chunked = true;
			else
				goto bad;
		}
	}
	if (rq->chunked && rq->has_length)
		goto bad;
	if (rq->chunked) {
		r = read_chunked(c, rq);
		if (r != 0)
			return r;
	} else if (rq->has_length && rq->length > 0) {
		if (!conn_read(c, &rq->body, &rq->body_len, (size_t)rq->length))
			return -1;
	}
	return 0;
bad:
	return 400;
}

static void
request_free(struct request *rq)
{
	free(rq->head);
	free(rq->body);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 413: return "Content Too Large";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

static int
format_head(char *out, size_t size, int status, const char *extra, bool close)
{
	return snprintf(out, size, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n%s%s\r\n",
	    status, reason(status), extra, close ? "Connection: close\r\n" : "");
}

/* Sends a plain response; -1 when the peer is gone. */
static int
send_response(int fd, const struct response *rs, bool head_only)
{
	char head[512], extra[64] = "";
	bool nobody = rs->status == 204 || rs->status == 304;
	int n;

	if (!nobody)
		snprintf(extra, sizeof(extra), "Content-Length: %zu\r\n", rs->body_len);
	n = format_head(head, sizeof(head), rs->status, extra, rs->close);
	if (send_all(fd, head, (size_t)n) < 0)
		return -1;
	if (nobody || head_only || rs->body_len == 0)
		return 0;
	return send_all(fd, rs->body, rs->body_len);
}

static bool
valid_name(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("_.-", *s) == NULL)
			return false;
	return true;
}

/* Reads at most FILE_MAX bytes of dir/name; NULL when it cannot. */
static char *
read_small_file(const char *dir, const char *name, const char *suffix, size_t *len)
{
	char path[PATH_MAX];
	char *data;
	size_t n = 0;
	FILE *f;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix) >= sizeof(path))
		return NULL;
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	data = malloc(FILE_MAX + 1);
	if (data == NULL)
		abort();
	n = fread(data, 1, FILE_MAX, f);
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

static unsigned long
count_next(struct server *srv, const char *name)
{
	struct counter *ct;
	unsigned long n;

	pthread_mutex_lock(&srv->count_mu);
	for (ct = srv->counters; ct != NULL; ct = ct->next)
		if (strcmp(ct->name, name) == 0)
			break;
	if (ct == NULL) {
		ct = calloc(1, sizeof(*ct) + strlen(name) + 1);
		if (ct == NULL)
			abort();
		strcpy(ct->name, name);
		ct->next = srv->counters;
		srv->counters = ct;
	}
	n = ++ct->n;
	pthread_mutex_unlock(&srv->count_mu);
	return n;
}

/* Sends a response one byte at a time; -1 when the peer is gone. */
static int
send_trickle(int fd, long ms, bool close)
{
	char out[512];
	int n = format_head(out, sizeof(out), 200, "Content-Length: 3\r\n", close), i;

	memcpy(out + n, "ok\n", 3);
	n += 3;
	for (i = 0; i < n; i++) {
		if (send_all(fd, out + i, 1) < 0)
			return -1;
		if (i + 1 < n)
			sleep_ms(ms);
	}
	return 0;
}

static int
send_bytes(int fd, long count, bool close, bool head_only)
{
	char head[512], extra[64], chunk[16384];
	int n;

	snprintf(extra, sizeof(extra), "Content-Length: %ld\r\n", count);
	n = format_head(head, sizeof(head), 200, extra, close);
	if (send_all(fd, head, (size_t)n) < 0)
		return -1;
	if (head_only)
		return 0;
	memset(chunk, 'x', sizeof(chunk));
	while (count > 0) {
		size_t k = count < (long)sizeof(chunk) ? (size_t)count : sizeof(chunk);

		if (send_all(fd, chunk, k) < 0)
			return -1;
		count -= (long)k;
	}
	return 0;
}

static void
reset_conn(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/*
 * Answers one request. Returns 0 to keep the connection, 1 to close it
 * gracefully, 2 when it was reset (close at once).
 */
static int
serve(struct conn *c, struct request *rq)
{
	struct server *srv = c->srv;
	struct response rs = { 200, "ok\n", 3, rq->close };
	char path[HEADER_MAX], numbuf[64], statbuf[16], *q, *file = NULL, *echo = NULL;
	bool head_only = strcmp(rq->method, "HEAD") == 0;
	const char *arg;
	long num;
	int ret;

	snprintf(path, sizeof(path), "%s", rq->target);
	q = strchr(path, '?');
	if (q != NULL)
		*q = '\0';

#define ROUTE(prefix) (strncmp(path, prefix, sizeof(prefix) - 1) == 0 && \
	(arg = path + sizeof(prefix) - 1, true))

	if (strcmp(path, "/ok") == 0) {
		/* the default */
	} else if (ROUTE("/status/") && (num = parse_num(arg, strlen(arg), 200, 599)) >= 0) {
		rs.status = (int)num;
		snprintf(numbuf, sizeof(numbuf), "status %ld\n", num);
		rs.body = numbuf;
		rs.body_len = strlen(numbuf);
	} else if (ROUTE("/sleep/") && (num = parse_num(arg, strlen(arg), 0, 600000)) >= 0) {
		sleep_ms(num);
	} else if (strcmp(path, "/reset") == 0) {
		logf_request(srv, rq->method, rq->target, "-");
		reset_conn(c->fd);
		return 2;
	} else if (strcmp(path, "/close") == 0) {
		char head[512];
		int n = format_head(head, sizeof(head), 200, "Content-Length: 100\r\n", true);

		logf_request(srv, rq->method, rq->target, "200");
		if (send_all(c->fd, head, (size_t)n) == 0 && !head_only)
			send_all(c->fd, "xxxxxxxxxx", 10);
		return 1;
	} else if (strcmp(path, "/chunked") == 0) {
		char head[512];
		static const char body[] = "7\r\nhello, \r\n5\r\nworld\r\n1\r\n\n\r\n0\r\n\r\n";
		int n = format_head(head, sizeof(head), 200, "Transfer-Encoding: chunked\r\n", rq->close);

		logf_request(srv, rq->method, rq->target, "200");
		if (send_all(c->fd, head, (size_t)n) < 0)
			return 1;
		if (!head_only && send_all(c->fd, body, sizeof(body) - 1) < 0)
			return 1;
		return rq->close;
	} else if (ROUTE("/trickle/") && (num = parse_num(arg, strlen(arg), 0, 60000)) >= 0) {
		logf_request(srv, rq->method, rq->target, "200");
		return send_trickle(c->fd, num, rq->close) < 0 ? 1 : rq->close;
	} else if (ROUTE("/bytes/") && (num = parse_num(arg, strlen(arg), 0, 1L << 30)) >= 0) {
		logf_request(srv, rq->method, rq->target, "200");
		return send_bytes(c->fd, num, rq->close, head_only) < 0 ? 1 : rq->close;
	} else if (ROUTE("/file/") && valid_name(arg)) {
		size_t len;
		char *nl;

		file = read_small_file(srv->dir, arg, "", &len);
		if (file == NULL) {
			rs.status = 503;
			rs.body = "no such file\n";
			rs.body_len = 13;
		} else {
			nl = memchr(file, '\n', len);
			num = parse_num(file, nl != NULL ? (size_t)(nl - file) : len, 200, 599);
			if (num < 0) {
				rs.status = 500;
				rs.body = "bad status file\n";
				rs.body_len = 16;
			} else {
				rs.status = (int)num;
				rs.body = nl != NULL ? nl + 1 : "";
				rs.body_len = nl != NULL ? len - (size_t)(nl + 1 - file) : 0;
			}
		}
	} else if (ROUTE("/count/") && valid_name(arg)) {
		unsigned long cnt = count_next(srv, arg);
		long until = 0;
		size_t len;
		char *k = read_small_file(srv->dir, arg, ".fail-until", &len);

		if (k != NULL) {
			len = strcspn(k, " \t\r\n");
			until = parse_num(k, len, 0, LONG_MAX);
			free(k);
		}
		rs.status = until > 0 && cnt <= (unsigned long)until ? 503 : 200;
		snprintf(numbuf, sizeof(numbuf), "%s %lu\n", rs.status == 200 ? "ok" : "fail", cnt);
		rs.body = numbuf;
		rs.body_len = strlen(numbuf);
	} else if (strcmp(path, "/echo") == 0) {
		/* Undo the request line split. */
		size_t ml = strlen(rq->method), tl = strlen(rq->target), hl;
		char *headers = rq->target + tl + 1;

		headers += strlen(headers) + 1;
		hl = strlen(headers);
		echo = malloc(ml + tl + hl + rq->body_len + 4);
		if (echo == NULL)
			abort();
		rs.body_len = (size_t)sprintf(echo, "%s %s\n%s\n", rq->method, rq->target, headers);
		if (rq->body_len > 0)
			memcpy(echo + rs.body_len, rq->body, rq->body_len);
		rs.body_len += rq->body_len;
		rs.body = echo;
	} else {
		rs.status = 404;
		rs.body = "not found\n";
		rs.body_len = 10;
	}
#undef ROUTE

	snprintf(statbuf, sizeof(statbuf), "%d", rs.status);
	logf_request(srv, rq->method, rq->target, statbuf);
	ret = send_response(c->fd, &rs, head_only) < 0 ? 1 : rs.close;
	free(file);
	free(echo);
	return ret;
}

static void *
conn_main(void *arg)
{
	struct conn *c = arg;
	int done = 0;

	while (done == 0) {
		struct request rq;
		int r = read_request(c, &rq);

		if (r == 0) {
			done = serve(c, &rq);
		} else {
			if (r > 0) {
				struct response rs = { r, "bad request\n", 12, true };
				char st[16];

				if (r == 431)
					rs.body = "headers too large\n", rs.body_len = 18;
				else if (r == 413)
					rs.body = "body too large\n", rs.body_len = 15;
				snprintf(st, sizeof(st), "%d", r);
				logf_request(c->srv, "-", "-", st);
				send_response(c->fd, &rs, false);
			}
			done = 1;
		}
		request_free(&rq);
	}
	if (done == 1) {
		/*
		 * Closing with unread input sends a RST that can destroy the
		 * response in flight: send FIN, then drain for a moment.
		 */
		struct timeval tv = { 1, 0 };
		char sink[4096];
		int rounds = 0;

		shutdown(c->fd, SHUT_WR);
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (rounds++ < 64 && recv(c->fd, sink, sizeof(sink), 0) > 0)
			;
	}
	close(c->fd);
	free(c);
	return NULL;
}

static void *
signal_main(void *arg)
{
	sigset_t *set = arg;
	int sig;

	while (sigwait(set, &sig) != 0)
		;
	_exit(0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: test-httpd --port-file FILE [--dir DIR] [--log FILE] [--port N]\n");
	exit(2);
}

static int
write_port_file(const char *path, int port)
{
	char tmp[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

int
main(int argc, char **argv)
{
	struct server srv = { .dir = "." };
	const char *port_file = NULL, *log_path = NULL;
	long port = 0;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t set;
	int i, lfd, one = 1;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[++i];
		else if (strcmp(argv[i], "--dir") == 0)
			srv.dir = argv[++i];
		else if (strcmp(argv[i], "--log") == 0)
			log_path = argv[++i];
		else if (strcmp(argv[i], "--port") == 0) {
			i++;
			port = parse_num(argv[i], strlen(argv[i]), 0, 65535);
			if (port < 0)
				usage();
		} else
			usage();
	}
	if (port_file == NULL)
		usage();

	pthread_mutex_init(&srv.log_mu, NULL);
	pthread_mutex_init(&srv.count_mu, NULL);
	if (log_path != NULL) {
		srv.log = fopen(log_path, "a");
		if (srv.log == NULL) {
			fprintf(stderr, "test-httpd: %s: %s\n", log_path, strerror(errno));
			return 1;
		}
	}

	/* Signals go to one thread, which exits; SIGPIPE never kills us. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);       /* a background job may inherit SIG_IGN */
	signal(SIGINT, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&tid, NULL, signal_main, &set) != 0) {
		fprintf(stderr, "test-httpd: cannot start a thread\n");
		return 1;
	}

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		fprintf(stderr, "test-httpd: socket: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0) {
		fprintf(stderr, "test-httpd: 127.0.0.1:%ld: %s\n", port, strerror(errno));
		return 1;
	}
	if (write_port_file(port_file, ntohs(sa.sin_port)) < 0) {
		fprintf(stderr, "test-httpd: %s: %s\n", port_file, strerror(errno));
		return 1;
	}

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		struct conn *c;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				sleep_ms(10);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = malloc(sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->srv = &srv;
		c->fd = fd;
		c->off = c->len = 0;
		if (pthread_create(&tid, &attr, conn_main, c) != 0) {
			close(fd);
			free(c);
			sleep_ms(10);
		}
	}
}
