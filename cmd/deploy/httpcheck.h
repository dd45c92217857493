/* httpcheck.h: one HTTP health probe through libcurl. */
#ifndef DEPLOY_HTTPCHECK_H
#define DEPLOY_HTTPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Call httpcheck_global_init once in main before threads start (it calls
 * curl_global_init), and httpcheck_global_cleanup at the end.
 */
int httpcheck_global_init(void);
void httpcheck_global_cleanup(void);

/* A compiled body pattern (PCRE2); NULL means any body. */
struct httpcheck_body;
/* 0, or -CODE_EXIT_DATAERR with the pattern's error in msg. */
int httpcheck_body_compile(const char *pattern, struct httpcheck_body **out, char *msg, size_t size);
void httpcheck_body_free(struct httpcheck_body *b);

struct httpcheck_request {
	const char *url;
	long expect;                        /* the status wanted */
	const struct httpcheck_body *body;  /* may be NULL */
	int64_t timeout_ms;                 /* whole request, connect included */
	int stop_fd;                        /* readable = abort now; -1 none */
};

struct httpcheck_result {
	bool ok;
	bool stopped;           /* aborted by stop_fd */
	long status;            /* 0 when no response */
	int64_t duration_ms;
	char message[256];      /* when !ok: "status 503, expected 200", "body does not match 'ok'",
				   "timed out after 5s", "connection refused", ... */
};

/*
 * GETs url (redirects not followed; no proxy; TLS verified; at most 1 MiB of body
 * kept for the pattern) and says whether the status is expect and the body
 * matches. Never fails as a function: every problem is a failed probe
 * described in message. Thread-safe (one easy handle per call).
 */
void httpcheck_probe(const struct httpcheck_request *req, struct httpcheck_result *res);

#endif
