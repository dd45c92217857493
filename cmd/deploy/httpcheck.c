/* httpcheck.c: one HTTP health probe through libcurl, with a status and an optional body pattern. */
#include "cmd/deploy/httpcheck.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <curl/curl.h>
#include <errno.h>
#include <pcre2.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

/* The body kept for the pattern; the rest is not read. */
#define BODY_CAP (1024 * 1024)
/* A pattern that backtracks without end fails the probe instead of hanging it. */
#define MATCH_LIMIT 1000000
#define HEAP_LIMIT_KIB (32 * 1024)
/* Patterns longer than this are cut in messages. */
#define PATTERN_SHOWN 60

struct httpcheck_body {
	pcre2_code *code;
	pcre2_match_context *mctx;
	char *shown;            /* the pattern as messages quote it */
};

/* What one transfer collects. */
struct probe {
	struct strbuf body;
	bool capped;            /* the body reached BODY_CAP and reading stopped */
	bool stopped;
	int stop_fd;
};

int
httpcheck_global_init(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
		return diag_error(CODE_EXIT_SOFTWARE, NULL, "cannot initialise libcurl: %s",
		    curl_easy_strerror(rc));
	return 0;
}

void
httpcheck_global_cleanup(void)
{
	curl_global_cleanup();
}

int
httpcheck_body_compile(const char *pattern, struct httpcheck_body **out, char *msg, size_t size)
{
	struct httpcheck_body *b;
	pcre2_code *code;
	PCRE2_UCHAR err[256];
	PCRE2_SIZE off;
	size_t len = strlen(pattern);
	int errcode;

	*out = NULL;
	code = pcre2_compile((PCRE2_SPTR)pattern, len, 0, &errcode, &off, NULL);
	if (code == NULL) {
		pcre2_get_error_message(errcode, err, sizeof(err));
		snprintf(msg, size, "%s at offset %zu", (const char *)err, (size_t)off);
		return -CODE_EXIT_DATAERR;
	}
	b = xcalloc(1, sizeof(*b));
	b->code = code;
	b->mctx = pcre2_match_context_create(NULL);
	if (b->mctx == NULL)
		abort();        /* as xalloc does on OOM */
	pcre2_set_match_limit(b->mctx, MATCH_LIMIT);
	pcre2_set_heap_limit(b->mctx, HEAP_LIMIT_KIB);
	if (len > PATTERN_SHOWN) {
		b->shown = xmalloc(PATTERN_SHOWN + 4);
		memcpy(b->shown, pattern, PATTERN_SHOWN);
		memcpy(b->shown + PATTERN_SHOWN, "...", 4);
	} else {
		b->shown = xstrdup(pattern);
	}
	*out = b;
	return 0;
}

void
httpcheck_body_free(struct httpcheck_body *b)
{
	if (b == NULL)
		return;
	pcre2_match_context_free(b->mctx);
	pcre2_code_free(b->code);
	free(b->shown);
	free(b);
}

/* 1 match, 0 no match, -1 the match gave up (limits). */
static int
body_match(const struct httpcheck_body *b, const char *data, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(b->code, NULL);
	int rc;

	if (md == NULL)
		abort();
	rc = pcre2_match(b->code, (PCRE2_SPTR)data, len, 0, 0, md, b->mctx);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static size_t
probe_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct probe *p = arg;
	size_t n = size * nmemb, room = BODY_CAP - p->body.len;

	if (n > room) {
		strbuf_add(&p->body, data, room);
		p->capped = true;
		return 0;       /* ends the transfer: the rest is not needed */
	}
	strbuf_add(&p->body, data, n);
	return n;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set_message(struct httpcheck_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
set_message(struct httpcheck_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/* The host of url for messages, or "" when it has none. */
static void
url_host(const char *url, char *buf, size_t size)
{
	CURLU *u = curl_url();
	char *host = NULL;

	buf[0] = '\0';
	if (u == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		snprintf(buf, size, "%s", host);
	curl_free(host);
	curl_url_cleanup(u);
}

/* A failed connect, from the system's error. */
static void
connect_message(struct httpcheck_result *res, long oserr, const char *errbuf)
{
	switch (oserr) {
	case ECONNREFUSED:
		set_message(res, "connection refused");
		break;
	case EHOSTUNREACH:
		set_message(res, "host unreachable");
		break;
	case ENETUNREACH:
		set_message(res, "network unreachable");
		break;
	case ETIMEDOUT:
		set_message(res, "connect timed out");
		break;
	default:
		set_message(res, "cannot connect%s%s", errbuf[0] != '\0' ? ": " : "", errbuf);
		break;
	}
}

/* The transfer failed before a whole response arrived: say why, shortly. */
static void
failure_message(struct httpcheck_result *res, CURLcode rc, CURL *h, const char *url,
    int64_t timeout_ms, const char *errbuf)
{
	long oserr = 0;
	char buf[128];

	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		units_format_duration_ms((uint64_t)timeout_ms, buf, sizeof(buf));
		set_message(res, "timed out after %s", buf);
		break;
	case CURLE_COULDNT_CONNECT:
		connect_message(res, oserr, errbuf);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		url_host(url, buf, sizeof(buf));
		set_message(res, "cannot resolve host '%s'", buf);
		break;
	case CURLE_URL_MALFORMAT:
		set_message(res, "bad URL '%s'", url);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		set_message(res, "not an http or https URL: '%s'", url);
		break;
	case CURLE_GOT_NOTHING:
		set_message(res, "no response (connection closed)");
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (res->status != 0)
			set_message(res, "status %ld, response cut short (connection %s)",
			    res->status, oserr == ECONNRESET ? "reset" : "broken");
		else
			set_message(res, "no response (connection %s)",
			    oserr == ECONNRESET || oserr == 0 ? "reset" : "broken");
		break;
	case CURLE_PARTIAL_FILE:
		set_message(res, "status %ld, body cut short (connection closed)", res->status);
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		set_message(res, "bad HTTP response%s%s", errbuf[0] != '\0' ? ": " : "", errbuf);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		set_message(res, "TLS certificate not trusted%s%s", errbuf[0] != '\0' ? ": " : "",
		    errbuf);
		break;
	case CURLE_SSL_CONNECT_ERROR:
		set_message(res, "TLS handshake failed%s%s", errbuf[0] != '\0' ? ": " : "", errbuf);
		break;
	default:
		set_message(res, "%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		break;
	}
}

/* Options that cannot fail on a libcurl with HTTP built in are not checked. */
static void
probe_setup(CURL *h, const struct httpcheck_request *req, struct probe *p, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* A probe checks the target itself: an http_proxy meant for the outside must not answer for it. */
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_USERAGENT, "code-deploy/" PACKAGE_VERSION);
	if (req->timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, probe_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, p);
}

/*
 * Runs the transfer. A multi handle of its own (rather than
 * curl_easy_perform) lets stop_fd wake the wait at once: the progress
 * callback would notice it only about once a second while the server is
 * silent.
 */
static CURLcode
probe_run(CURL *h, struct probe *p)
{
	struct curl_waitfd wfd = { p->stop_fd, CURL_WAIT_POLLIN, 0 };
	struct pollfd pfd = { p->stop_fd, POLLIN, 0 };
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	CURLM *multi;
	CURLMsg *msg;
	int running = 1, left;

	if (p->stop_fd >= 0 && poll(&pfd, 1, 0) > 0) {
		p->stopped = true;
		return CURLE_ABORTED_BY_CALLBACK;
	}
	multi = curl_multi_init();
	if (multi == NULL)
		return rc;
	if (curl_multi_add_handle(multi, h) != CURLM_OK) {
		curl_multi_cleanup(multi);
		return rc;
	}
	while (running) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		if (!running)
			break;
		wfd.revents = 0;
		if (curl_multi_poll(multi, p->stop_fd >= 0 ? &wfd : NULL, p->stop_fd >= 0, 1000,
		    NULL) != CURLM_OK)
			break;
		if (wfd.revents != 0) {
			p->stopped = true;
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
	}
	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == h && !p->stopped)
			rc = msg->data.result;
	curl_multi_remove_handle(multi, h);
	curl_multi_cleanup(multi);
	return rc;
}

void
httpcheck_probe(const struct httpcheck_request *req, struct httpcheck_result *res)
{
	struct probe p = { .stop_fd = req->stop_fd };
	char errbuf[CURL_ERROR_SIZE];
	int64_t start = now_ms();
	CURLcode rc;
	CURL *h;
	int m;

	memset(res, 0, sizeof(*res));
	errbuf[0] = '\0';
	h = curl_easy_init();
	if (h == NULL) {
		set_message(res, "cannot start an HTTP request (libcurl)");
		return;
	}
	strbuf_init(&p.body, 0);
	probe_setup(h, req, &p, errbuf);
	rc = probe_run(h, &p);
	res->duration_ms = now_ms() - start;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	if (rc == CURLE_WRITE_ERROR && p.capped)
		rc = CURLE_OK;  /* we stopped reading on purpose */

	if (p.stopped) {
		res->stopped = true;
		set_message(res, "stopped");
	} else if (rc != CURLE_OK) {
		failure_message(res, rc, h, req->url, req->timeout_ms, errbuf);
	} else if (res->status != req->expect) {
		set_message(res, "status %ld, expected %ld", res->status, req->expect);
	} else if (req->body != NULL &&
	    (m = body_match(req->body, strbuf_str(&p.body), p.body.len)) != 1) {
		if (m == 0)
			set_message(res, "body does not match '%s'", req->body->shown);
		else
			set_message(res, "body pattern '%s' gave up (too much backtracking)",
			    req->body->shown);
	} else {
		res->ok = true;
	}
	strbuf_release(&p.body);
	curl_easy_cleanup(h);
}
