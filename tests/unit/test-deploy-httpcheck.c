/* test-deploy-httpcheck.c: HTTP health probes against the real tests/helpers/test-httpd. */
#include "cmd/deploy/httpcheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libcommon/exitcodes.h"
#include "tests/lib/tap.h"

#define NTHREADS 8
#define PER_THREAD 10
#define NCONNS 200

struct server {
	pid_t pid;
	int port;
	char dir[PATH_MAX];
};

struct worker {
	const struct server *srv;
	const struct httpcheck_body *body;
	int failures;
	char last[256];
};

struct stopper {
	int fd;
	int delay_ms;
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The server binary sits next to tests/unit in the build tree. */
static void
server_path(const char *argv0, char *buf, size_t size)
{
	const char *top = getenv("top_builddir");
	const char *slash;

	if (top != NULL && top[0] != '\0') {
		snprintf(buf, size, "%s/tests/helpers/test-httpd", top);
		return;
	}
	slash = strrchr(argv0, '/');
	if (slash == NULL)
		snprintf(buf, size, "../helpers/test-httpd");
	else
		snprintf(buf, size, "%.*s/../helpers/test-httpd", (int)(slash - argv0), argv0);
}

static int
server_start(struct server *srv, const char *argv0)
{
	char prog[PATH_MAX], port_file[PATH_MAX], log[PATH_MAX];
	int i;
	FILE *f;

	server_path(argv0, prog, sizeof(prog));
	tap_path(srv->dir, sizeof(srv->dir), "www");
	tap_path(port_file, sizeof(port_file), "port");
	tap_path(log, sizeof(log), "httpd.log");
	if (mkdir(srv->dir, 0755) < 0)
		return -1;
	srv->pid = fork();
	if (srv->pid < 0)
		return -1;
	if (srv->pid == 0) {
		execl(prog, prog, "--port-file", port_file, "--dir", srv->dir, "--log", log,
		    (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	for (i = 0; i < 2000; i++) {
		f = fopen(port_file, "r");
		if (f != NULL) {
			int n = fscanf(f, "%d", &srv->port);

			fclose(f);
			return n == 1 ? 0 : -1;
		}
		if (waitpid(srv->pid, NULL, WNOHANG) == srv->pid)
			return -1;
		sleep_ms(10);
	}
	return -1;
}

static void
url(const struct server *srv, const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "http://127.0.0.1:%d%s", srv->port, path);
}

static void
probe(const struct server *srv, const char *path, long expect, const struct httpcheck_body *body,
    int64_t timeout_ms, struct httpcheck_result *res)
{
	char u[256];
	struct httpcheck_request req = { u, expect, body, timeout_ms, -1 };

	url(srv, path, u, sizeof(u));
	httpcheck_probe(&req, res);
}

static struct httpcheck_body *
compile(const char *pattern)
{
	struct httpcheck_body *b;
	char msg[256];

	if (httpcheck_body_compile(pattern, &b, msg, sizeof(msg)) != 0) {
		tap_diag("cannot compile '%s': %s", pattern, msg);
		return NULL;
	}
	return b;
}

static void
write_file(const struct server *srv, const char *name, const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", srv->dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", srv->dir, name) >= sizeof(tmp)) {
		tap_diag("path too long for %s", name);
		return;
	}
	tap_write_file(tmp, text, strlen(text));
	if (rename(tmp, path) < 0)
		tap_diag("rename %s: %s", tmp, strerror(errno));
}

/* A new connection to the server, or -1. */
static int
raw_connect(const struct server *srv)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)srv->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
raw_send(int fd, const char *data)
{
	size_t len = strlen(data);

	return send(fd, data, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Reads until buf ends with end (or EOF when end is NULL); the length read, -1 on error. */
static ssize_t
raw_read(int fd, char *buf, size_t size, const char *end)
{
	size_t len = 0, el = end != NULL ? strlen(end) : 0;
	struct timeval tv = { 20, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len + 1 < size) {
		ssize_t n = recv(fd, buf + len, size - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (end != NULL && len >= el && memcmp(buf + len - el, end, el) == 0)
			return (ssize_t)len;
	}
	buf[len] = '\0';
	return end == NULL ? (ssize_t)len : -1;
}

/* The server itself: what the probes above do not show. */
static void
test_server(const struct server *srv)
{
	static const char get[] = "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n";
	int fds[NCONNS], i, round, good = 0;
	char buf[4096];
	int fd;

	fd = raw_connect(srv);
	raw_send(fd, "this is not http\r\n\r\n");
	raw_read(fd, buf, sizeof(buf), NULL);
	ok(strncmp(buf, "HTTP/1.1 400 ", 13) == 0 && strstr(buf, "Connection: close") != NULL,
	    "test-httpd: garbage gets 400 and close");
	close(fd);

	fd = raw_connect(srv);
	raw_send(fd, "GET /ok HTTP/1.0\r\n\r\n");
	raw_read(fd, buf, sizeof(buf), NULL);
	ok(strncmp(buf, "HTTP/1.1 200 ", 13) == 0 && strstr(buf, "\r\n\r\nok\n") != NULL,
	    "test-httpd: HTTP/1.0 gets an answer and EOF");
	close(fd);

	fd = raw_connect(srv);
	raw_send(fd, "POST /echo HTTP/1.1\r\nX-Test: yes\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
	    "GET /status/201 HTTP/1.1\r\nConnection: close\r\n\r\n");
	raw_read(fd, buf, sizeof(buf), NULL);
	ok(strstr(buf, "POST /echo\nX-Test: yes\n") != NULL && strstr(buf, "\n\nabcde") != NULL &&
	    strstr(buf, "status 201\n") != NULL,
	    "test-httpd: /echo shows headers and a chunked body; pipelining works");
	close(fd);

	/* Many concurrent keep-alive connections, each used twice. */
	for (i = 0; i < NCONNS; i++)
		fds[i] = raw_connect(srv);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < NCONNS; i++)
			if (fds[i] >= 0 && raw_send(fds[i], get) < 0)
				tap_diag("send on connection %d failed", i);
		for (i = 0; i < NCONNS; i++)
			if (fds[i] >= 0 && raw_read(fds[i], buf, sizeof(buf), "\r\n\r\nok\n") > 0)
				good++;
	}
	for (i = 0; i < NCONNS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	is_int(good, 2 * NCONNS, "test-httpd: 200 concurrent keep-alive connections, 2 requests each");
}

static void
test_status(const struct server *srv)
{
	struct httpcheck_result res;

	probe(srv, "/ok", 200, NULL, 10000, &res);
	ok(res.ok, "/ok with 200 expected passes (%s)", res.message);
	is_int(res.status, 200, "status 200 reported");
	ok(!res.stopped, "not stopped");
	ok(res.duration_ms >= 0, "duration measured");

	probe(srv, "/status/503", 503, NULL, 10000, &res);
	ok(res.ok, "503 expected and got passes (%s)", res.message);
	probe(srv, "/status/204", 204, NULL, 10000, &res);
	ok(res.ok, "204 expected and got passes (%s)", res.message);

	probe(srv, "/status/503", 200, NULL, 10000, &res);
	ok(!res.ok, "503 when 200 expected fails");
	is_int(res.status, 503, "status 503 reported");
	is_str(res.message, "status 503, expected 200", "wrong status message");

	probe(srv, "/status/302", 200, NULL, 10000, &res);
	is_str(res.message, "status 302, expected 200", "redirects are not followed");

	probe(srv, "/nothing-here?x=1", 200, NULL, 10000, &res);
	is_str(res.message, "status 404, expected 200", "404 reported");
}

static void
test_body(const struct server *srv)
{
	struct httpcheck_body *b, *bad = NULL;
	struct httpcheck_result res;
	char msg[256] = "";

	write_file(srv, "page", "200\nservice healthy, version 1.24\n");
	b = compile("healthy, version \\d+\\.\\d+");
	probe(srv, "/file/page", 200, b, 10000, &res);
	ok(res.ok, "body pattern matches anywhere in the body (%s)", res.message);
	httpcheck_body_free(b);

	b = compile("^ok$");
	probe(srv, "/ok", 200, b, 10000, &res);
	ok(res.ok, "anchored pattern matches \"ok\\n\" (%s)", res.message);
	httpcheck_body_free(b);

	b = compile("degraded");
	probe(srv, "/file/page", 200, b, 10000, &res);
	ok(!res.ok, "body mismatch fails");
	is_int(res.status, 200, "status still reported on a body mismatch");
	is_str(res.message, "body does not match 'degraded'", "body mismatch message");
	probe(srv, "/status/500", 200, b, 10000, &res);
	is_str(res.message, "status 500, expected 200", "the status is checked before the body");
	httpcheck_body_free(b);

	b = compile("hello, world");
	probe(srv, "/chunked", 200, b, 10000, &res);
	ok(res.ok, "chunked body is matched whole (%s)", res.message);
	httpcheck_body_free(b);

	b = compile("^x+$");
	probe(srv, "/bytes/3000000", 200, b, 20000, &res);
	ok(res.ok, "a body over 1 MiB is cut, not failed (%s)", res.message);
	httpcheck_body_free(b);

	b = compile("(a+)+$");
	write_file(srv, "evil", "200\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n");
	probe(srv, "/file/evil", 200, b, 10000, &res);
	ok(!res.ok, "a catastrophic pattern fails instead of hanging (%s)", res.message);
	httpcheck_body_free(b);

	is_int(httpcheck_body_compile("(unclosed", &bad, msg, sizeof(msg)), -CODE_EXIT_DATAERR,
	    "bad pattern: DATAERR");
	ok(bad == NULL, "bad pattern: no body returned");
	ok(strstr(msg, "parenthesis") != NULL && strstr(msg, "offset") != NULL,
	    "bad pattern message says what and where: %s", msg);
	httpcheck_body_free(NULL);
}

static void
test_failures(const struct server *srv)
{
	struct httpcheck_result res;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char u[128];
	struct httpcheck_request req = { u, 200, NULL, 5000, -1 };
	int fd;

	probe(srv, "/sleep/30000", 200, NULL, 500, &res);
	ok(!res.ok, "a response slower than the timeout fails");
	is_str(res.message, "timed out after 500ms", "timeout message");
	ok(res.duration_ms < 20000, "timeout ended the probe early (%lld ms)",
	    (long long)res.duration_ms);

	probe(srv, "/sleep/3000", 200, NULL, 1000, &res);
	is_str(res.message, "timed out after 1s", "timeout in whole seconds");

	probe(srv, "/sleep/50", 200, NULL, 20000, &res);
	ok(res.ok, "a response within the timeout passes (%s)", res.message);

	probe(srv, "/reset", 200, NULL, 10000, &res);
	ok(!res.ok, "a reset connection fails");
	is_int(res.status, 0, "no status on a reset");
	is_str(res.message, "no response (connection reset)", "reset message");

	probe(srv, "/close", 200, NULL, 10000, &res);
	ok(!res.ok, "a truncated body fails");
	is_str(res.message, "status 200, body cut short (connection closed)", "truncated message");

	probe(srv, "/trickle/2", 200, NULL, 20000, &res);
	ok(res.ok, "a slow trickle within the timeout passes (%s)", res.message);

	/* A port that was free a moment ago: nothing listens there. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		tap_diag("cannot find a free port: %s", strerror(errno));
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/ok", ntohs(sa.sin_port));
	close(fd);
	httpcheck_probe(&req, &res);
	ok(!res.ok, "a closed port fails");
	is_str(res.message, "connection refused", "connection refused message");

	snprintf(u, sizeof(u), "ftp://127.0.0.1:%d/ok", srv->port);
	httpcheck_probe(&req, &res);
	ok(!res.ok && strstr(res.message, "not an http or https URL") != NULL,
	    "other protocols are refused: %s", res.message);

	snprintf(u, sizeof(u), "http://[::1");
	httpcheck_probe(&req, &res);
	ok(!res.ok && res.message[0] != '\0', "a bad URL fails with a message: %s", res.message);
}

static void
test_flip(const struct server *srv)
{
	struct httpcheck_result res;
	int i;

	probe(srv, "/file/health", 200, NULL, 10000, &res);
	is_str(res.message, "status 503, expected 200", "missing health file: 503");
	write_file(srv, "health", "503\nstarting\n");
	probe(srv, "/file/health", 200, NULL, 10000, &res);
	ok(!res.ok, "health file says 503: fails");
	write_file(srv, "health", "200\nok\n");
	probe(srv, "/file/health", 200, NULL, 10000, &res);
	ok(res.ok, "health file flipped to 200: passes (%s)", res.message);

	write_file(srv, "flaky.fail-until", "2\n");
	for (i = 1; i <= 3; i++) {
		probe(srv, "/count/flaky", 200, NULL, 10000, &res);
		ok(res.ok == (i > 2), "/count/flaky request %d %s", i, i > 2 ? "passes" : "fails");
	}
}

static void *
stopper_main(void *arg)
{
	struct stopper *s = arg;

	sleep_ms(s->delay_ms);
	if (write(s->fd, "x", 1) != 1)
		tap_diag("cannot write the stop pipe");
	return NULL;
}

static void
test_stop(const struct server *srv)
{
	struct httpcheck_result res;
	struct stopper s;
	pthread_t tid;
	char u[128];
	struct httpcheck_request req = { u, 200, NULL, 60000, -1 };
	int fds[2];

	if (pipe(fds) < 0) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	url(srv, "/sleep/10000", u, sizeof(u));
	req.stop_fd = fds[0];
	s.fd = fds[1];
	s.delay_ms = 200;
	pthread_create(&tid, NULL, stopper_main, &s);
	httpcheck_probe(&req, &res);
	pthread_join(tid, NULL);
	ok(res.stopped, "stop_fd aborts the probe");
	ok(!res.ok, "a stopped probe is not ok");
	ok(res.duration_ms < 5000, "the abort was prompt (%lld ms, the server sleeps 10 s)",
	    (long long)res.duration_ms);

	/* Already readable before the probe starts: stops at once. */
	httpcheck_probe(&req, &res);
	ok(res.stopped && res.duration_ms < 5000, "a raised stop_fd stops a new probe");
	close(fds[0]);
	close(fds[1]);

	/* An unraised stop_fd changes nothing. */
	if (pipe(fds) == 0) {
		url(srv, "/ok", u, sizeof(u));
		req.stop_fd = fds[0];
		httpcheck_probe(&req, &res);
		ok(res.ok && !res.stopped, "a quiet stop_fd lets the probe pass (%s)", res.message);
		close(fds[0]);
		close(fds[1]);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct httpcheck_result res;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		probe(w->srv, i % 2 ? "/count/par" : "/file/page", 200, i % 2 ? NULL : w->body,
		    20000, &res);
		if (!res.ok) {
			w->failures++;
			memcpy(w->last, res.message, sizeof(w->last));
		}
	}
	return NULL;
}

static void
test_threads(const struct server *srv)
{
	struct worker w[NTHREADS];
	pthread_t tid[NTHREADS];
	struct httpcheck_body *b = compile("healthy");
	struct httpcheck_body *count;
	struct httpcheck_result res;
	char pattern[64];
	int i, failures = 0;

	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].srv = srv;
		w[i].body = b;
		pthread_create(&tid[i], NULL, worker_main, &w[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(tid[i], NULL);
		failures += w[i].failures;
		if (w[i].failures > 0)
			tap_diag("thread %d: %s", i, w[i].last);
	}
	is_int(failures, 0, "8 threads probing at once: all pass");
	/* Every threaded probe reached the server exactly once. */
	snprintf(pattern, sizeof(pattern), "^ok %d$", NTHREADS * PER_THREAD / 2 + 1);
	count = compile(pattern);
	probe(srv, "/count/par", 200, count, 10000, &res);
	ok(res.ok, "the server saw every threaded probe (%s)", res.message);
	httpcheck_body_free(count);
	httpcheck_body_free(b);
}

int
main(int argc, char **argv)
{
	struct server srv;
	int status = -1;

	(void)argc;
	if (httpcheck_global_init() != 0) {
		ok(0, "httpcheck_global_init");
		return tap_done();
	}
	if (server_start(&srv, argv[0]) != 0) {
		ok(0, "test-httpd started");
		httpcheck_global_cleanup();
		return tap_done();
	}
	test_status(&srv);
	test_body(&srv);
	test_failures(&srv);
	test_flip(&srv);
	test_stop(&srv);
	test_threads(&srv);
	test_server(&srv);

	kill(srv.pid, SIGTERM);
	waitpid(srv.pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "test-httpd exits 0 on SIGTERM");
	httpcheck_global_cleanup();
	return tap_done();
}
