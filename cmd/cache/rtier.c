/* rtier.c: the shared Redis tier of code-cache (hiredis), behind a per-endpoint circuit breaker. */
#include "cmd/cache/rtier.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>

#include <hiredis.h>

#include "libcommon/breaker.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/secret.h"
#include "libcommon/xalloc.h"

#define RTIER_DEFAULT_PORT 6379
#define RTIER_DEFAULT_CONNECT_MS 200
#define RTIER_DEFAULT_COMMAND_MS 500
#define RTIER_KEY_PREFIX "code-cache:v1:"
#define RTIER_KEY_MAX 128

#define URL_FORMS "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] or unix:///PATH[?db=N]"

struct rtier {
	/* Exactly one of host and unix_path is set. */
	char *host;
	int port;
	char *unix_path;
	long db;
	char *user;       /* NULL: AUTH without a user (or none) */
	char *password;   /* NULL: no AUTH */
	char *display;    /* canonical URL, password as *** */

	struct timeval connect_tv;
	struct timeval command_tv;
	int command_ms;
	redisContext *ctx;
	bool timed_out;   /* the last connection error was a timeout */

	/* b points into store, or at local when there is no breaker file. */
	struct breaker_store *store;
	struct breaker local;
	struct breaker *b;
	struct breaker_config cfg;
	/* One warning per outage: set when it is reported, cleared on recovery. */
	bool warned;
};

/* What one attempt at an operation came to. */
enum op_status {
	OP_OK,
	OP_MISS,
	OP_BROKEN,   /* the connection failed; it is dropped */
	OP_ERROR     /* Redis answered with an error; the connection is fine */
};

/* An operation: commands on rt->ctx, and why in *why when it fails. */
typedef enum op_status (*rtier_op)(struct rtier *rt, void *arg, struct strbuf *why);

/* ------------------------------------------------------------ URLs */

/*
 * The URL for a message about it, with anything that may be a password
 * masked: unlike breaker_endpoint_mask this takes the last '@' anywhere,
 * so a password holding an unencoded '/' (a URL we refuse) is masked too.
 */
static char *
url_mask_for_message(const char *url)
{
	const char *s = strstr(url, "://"), *at, *colon;
	struct strbuf sb = STRBUF_INIT;

	s = s != NULL ? s + 3 : url;
	at = strrchr(s, '@');
	if (at == NULL)
		return xstrdup(url);
	colon = memchr(s, ':', (size_t)(at - s));
	if (colon != NULL && strcspn(s, "/?#") < (size_t)(colon - s))
		colon = NULL;
	strbuf_add(&sb, url, (size_t)((colon != NULL ? colon + 1 : s) - url));
	strbuf_addstr(&sb, SECRET_MASK);
	strbuf_addstr(&sb, at);
	return strbuf_detach(&sb, NULL);
}

static int
url_error(const char *url, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
url_error(const char *url, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	char *masked = url_mask_for_message(url);
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	diag_error(CODE_EXIT_USAGE, NULL, "bad Redis URL '%s': %s", masked, msg.buf);
	strbuf_release(&msg);
	free(masked);
	return -CODE_EXIT_USAGE;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0, len) into a new string, or NULL on a bad escape or a NUL. */
static char *
pct_decode(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_grow(&sb, len);
	for (i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '%') {
			strbuf_addch(&sb, s[i]);
			continue;
		}
		if (i + 2 >= len)
			goto bad;
		hi = hexval((unsigned char)s[i + 1]);
		lo = hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			goto bad;
		strbuf_addch(&sb, hi << 4 | lo);
		i += 2;
	}
	return strbuf_detach(&sb, NULL);
bad:
	strbuf_release(&sb);
	return NULL;
}

/* Parses s[0, len) as a decimal number in [min, max]; false if it is not one. */
static bool
parse_number(const char *s, size_t len, long min, long max, long *out)
{
	long v = 0;
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

/* The unreserved characters of RFC 3986 stay; the rest of a user name is %XX. */
static void
add_encoded(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL) {
			strbuf_addch(sb, c);
		} else {
			strbuf_addch(sb, '%');
			strbuf_addch(sb, hex[c >> 4]);
			strbuf_addch(sb, hex[c & 15]);
		}
	}
}

/*
 * The canonical form of the endpoint: the breaker's key and what messages
 * show, so "redis://h" and "redis://h:6379/0" share one breaker.
 */
static char *
display_url(const struct rtier *rt)
{
	struct strbuf sb = STRBUF_INIT;

	if (rt->unix_path != NULL) {
		strbuf_addstr(&sb, "unix://");
		strbuf_addstr(&sb, rt->unix_path);
		if (rt->db != 0)
			strbuf_addf(&sb, "?db=%ld", rt->db);
		return strbuf_detach(&sb, NULL);
	}
	strbuf_addstr(&sb, "redis://");
	if (rt->user != NULL)
		add_encoded(&sb, rt->user);
	if (rt->password != NULL || rt->user != NULL)
		strbuf_addstr(&sb, ":" SECRET_MASK "@");
	if (strchr(rt->host, ':') != NULL)
		strbuf_addf(&sb, "[%s]", rt->host);
	else
		strbuf_addstr(&sb, rt->host);
	strbuf_addf(&sb, ":%d/%ld", rt->port, rt->db);
	return strbuf_detach(&sb, NULL);
}

static int
parse_unix(struct rtier *rt, const char *url, const char *p)
{
	struct sockaddr_un sa;
	const char *q = strchr(p, '?');
	size_t len = q != NULL ? (size_t)(q - p) : strlen(p);

	if (strchr(p, '@') != NULL)
		return url_error(url, "a unix:// URL takes no user or password");
	if (len == 0 || p[0] != '/')
		return url_error(url, "the socket path must be absolute "
				 "(unix:///path/to/redis.sock)");
	if (memchr(p, '#', len) != NULL)
		return url_error(url, "a fragment ('#') is not supported");
	if ((rt->unix_path = pct_decode(p, len)) == NULL)
		return url_error(url, "bad %%-escape in the socket path");
	if (strlen(rt->unix_path) >= sizeof(sa.sun_path))
		return url_error(url, "the socket path is longer than %zu bytes",
				 sizeof(sa.sun_path) - 1);
	if (q == NULL)
		return 0;
	if (strncmp(q + 1, "db=", 3) != 0)
		return url_error(url, "unknown parameter '%s' (only db=N is known)", q + 1);
	if (!parse_number(q + 4, strlen(q + 4), 0, INT_MAX, &rt->db))
		return url_error(url, "bad database number '%s'", q + 4);
	return 0;
}

static int
parse_userinfo(struct rtier *rt, const char *url, const char *s, size_t len)
{
	const char *colon = memchr(s, ':', len);

	if (colon == NULL)
		return url_error(url, "put a ':' before the password "
				 "(redis://:PASSWORD@HOST or redis://USER:PASSWORD@HOST)");
	if (colon > s && (rt->user = pct_decode(s, (size_t)(colon - s))) == NULL)
		return url_error(url, "bad %%-escape in the user name");
	rt->password = pct_decode(colon + 1, len - (size_t)(colon + 1 - s));
	if (rt->password == NULL)
		return url_error(url, "bad %%-escape in the password");
	return 0;
}

static int
parse_hostport(struct rtier *rt, const char *url, const char *s, size_t len)
{
	const char *end = s + len, *host_end, *port = NULL;
	long v;

	if (len > 0 && s[0] == '[') {
		host_end = memchr(s, ']', len);
		if (host_end == NULL)
			return url_error(url, "no ']' after the IPv6 address");
		if (host_end + 1 < end && host_end[1] != ':')
			return url_error(url, "expected ':PORT' after ']'");
		if (host_end + 1 < end)
			port = host_end + 2;
		s++;
	} else {
		host_end = memchr(s, ':', len);
		if (host_end == NULL)
			host_end = end;
		else
			port = host_end + 1;
		if (port != NULL && memchr(port, ':', (size_t)(end - port)) != NULL)
			return url_error(url, "an IPv6 address goes in brackets "
					 "(redis://[::1]:6379)");
	}
	if (host_end == s)
		return url_error(url, "no host (" URL_FORMS ")");
	rt->host = xmalloc((size_t)(host_end - s) + 1);
	memcpy(rt->host, s, (size_t)(host_end - s));
	rt->host[host_end - s] = '\0';
	rt->port = RTIER_DEFAULT_PORT;
	if (port != NULL) {
		if (!parse_number(port, (size_t)(end - port), 1, 65535, &v))
			return url_error(url, "bad port '%.*s' (1 to 65535)",
					 (int)(end - port), port);
		rt->port = (int)v;
	}
	return 0;
}

static int
parse_tcp(struct rtier *rt, const char *url, const char *p)
{
	size_t auth_len = strcspn(p, "/?#");
	const char *at = strrchr(p, '@'), *hp = p, *rest = p + auth_len;
	int ret;

	if (at != NULL && at >= rest)
		return url_error(url, "a '/', '?' or '#' in the user or password "
				 "must be %%-encoded (%%2F, %%3F, %%23)");
	if (at != NULL) {
		if ((ret = parse_userinfo(rt, url, p, (size_t)(at - p))) < 0)
			return ret;
		hp = at + 1;
	}
	if ((ret = parse_hostport(rt, url, hp, (size_t)(rest - hp))) < 0)
		return ret;
	if (*rest == '?' || *rest == '#')
		return url_error(url, "parameters ('?') and fragments ('#') are not supported");
	if (*rest == '/' && rest[1] != '\0' &&
	    !parse_number(rest + 1, strlen(rest + 1), 0, INT_MAX, &rt->db))
		return url_error(url, "bad database number '%s' (redis://HOST:PORT/DB)",
				 rest + 1);
	return 0;
}

static int
parse_url(struct rtier *rt, const char *url)
{
	if (url == NULL || *url == '\0')
		return diag_error(CODE_EXIT_USAGE, NULL, "no Redis URL (" URL_FORMS ")");
	if (strncmp(url, "redis://", 8) == 0)
		return parse_tcp(rt, url, url + 8);
	if (strncmp(url, "unix://", 7) == 0)
		return parse_unix(rt, url, url + 7);
	if (strncmp(url, "rediss://", 9) == 0)
		return url_error(url, "TLS (rediss://) is not supported; "
				 "use a TLS tunnel to a local port");
	return url_error(url, "expected " URL_FORMS);
}

/* ------------------------------------------------------------ time */

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval
ms_to_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* CODE_CACHE_BREAKER_OPEN_MS, for tests; anything but a positive number is the default. */
static int64_t
breaker_open_ms_from_env(void)
{
	const char *s = getenv("CODE_CACHE_BREAKER_OPEN_MS");
	long v;

	if (s == NULL || *s == '\0')
		return 0;
	if (!parse_number(s, strlen(s), 1, LONG_MAX, &v)) {
		diag_warn(NULL, "ignoring CODE_CACHE_BREAKER_OPEN_MS='%s': "
			  "not a number of milliseconds", s);
		return 0;
	}
	return v;
}

/* ------------------------------------------------------------ open, close */

int
rtier_open(const struct rtier_options *opts, struct rtier **out)
{
	struct rtier *rt = xcalloc(1, sizeof(*rt));
	int connect_ms, ret;

	*out = NULL;
	if ((ret = parse_url(rt, opts->url)) < 0) {
		rtier_close(rt);
		return ret;
	}
	rt->display = display_url(rt);
	connect_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
						  : RTIER_DEFAULT_CONNECT_MS;
	rt->command_ms = opts->command_timeout_ms > 0 ? opts->command_timeout_ms
						      : RTIER_DEFAULT_COMMAND_MS;
	rt->connect_tv = ms_to_tv(connect_ms);
	rt->command_tv = ms_to_tv(rt->command_ms);
	rt->cfg.failures = BREAKER_DEFAULT_FAILURES;
	rt->cfg.open_ms = breaker_open_ms_from_env();
	if (opts->breaker_path != NULL) {
		breaker_store_load(opts->breaker_path, &rt->store);
		rt->b = breaker_store_get(rt->store, rt->display);
	} else {
		breaker_init(&rt->local);
		rt->b = &rt->local;
	}
	*out = rt;
	return 0;
}

/* The password leaves no copy in freed memory. */
static void
free_secret(char *s)
{
	volatile char *p = s;

	if (s == NULL)
		return;
	while (*p != '\0')
		*p++ = '\0';
	free(s);
}

void
rtier_close(struct rtier *rt)
{
	if (rt == NULL)
		return;
	if (rt->ctx != NULL)
		redisFree(rt->ctx);
	if (rt->store != NULL) {
		breaker_store_save(rt->store);
		breaker_store_free(rt->store);
	}
	free(rt->host);
	free(rt->unix_path);
	free(rt->user);
	free_secret(rt->password);
	free(rt->display);
	free(rt);
}

const char *
rtier_breaker_state(const struct rtier *rt)
{
	return breaker_state_name(rt->b->state);
}

const char *
rtier_display_url(const struct rtier *rt)
{
	return rt->display;
}

/* ------------------------------------------------------------ connection */

static void
drop_connection(struct rtier *rt)
{
	if (rt->ctx != NULL) {
		redisFree(rt->ctx);
		rt->ctx = NULL;
	}
}

/*
 * Why the connection failed. hiredis reports a read or write timeout as
 * EAGAIN; errno is read before anything else can change it.
 */
static void
connection_why(struct rtier *rt, int err, const char *what, struct strbuf *why)
{
	strbuf_reset(why);
	rt->timed_out = rt->ctx->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK);
	if (rt->timed_out)
		strbuf_addf(why, "%s: no answer within %d ms", what, rt->command_ms);
	else
		strbuf_addf(why, "%s: %s", what, rt->ctx->errstr[0] != '\0'
			    ? rt->ctx->errstr : "connection failed");
}

static void
reply_why(const redisReply *r, const char *what, struct strbuf *why)
{
	strbuf_reset(why);
	if (r->type == REDIS_REPLY_ERROR)
		strbuf_addf(why, "%s: %.*s", what, (int)r->len, r->str);
	else
		strbuf_addf(why, "%s: unexpected reply (type %d)", what, r->type);
}

/* Runs one setup command whose answer must be +OK. */
static enum op_status
setup_command(struct rtier *rt, redisReply *r, const char *what, struct strbuf *why)
{
	enum op_status st = OP_OK;

	if (r == NULL) {
		connection_why(rt, errno, what, why);
		return OP_BROKEN;
	}
	if (r->type != REDIS_REPLY_STATUS) {
		reply_why(r, what, why);
		st = OP_ERROR;
	}
	freeReplyObject(r);
	return st;
}

/* Connects, sets the command timeout, authenticates and selects the db. */
static int
connect_redis(struct rtier *rt, struct strbuf *why)
{
	redisReply *r;

	if (rt->unix_path != NULL)
		rt->ctx = redisConnectUnixWithTimeout(rt->unix_path, rt->connect_tv);
	else
		rt->ctx = redisConnectWithTimeout(rt->host, rt->port, rt->connect_tv);
	if (rt->ctx == NULL) {
		strbuf_reset(why);
		strbuf_addstr(why, "connect: out of memory");
		return -1;
	}
	if (rt->ctx->err != 0) {
		connection_why(rt, errno, "connect", why);
		goto fail;
	}
	if (redisSetTimeout(rt->ctx, rt->command_tv) != REDIS_OK) {
		connection_why(rt, errno, "setting the timeout", why);
		goto fail;
	}
	if (rt->password != NULL) {
		if (rt->user != NULL)
			r = redisCommand(rt->ctx, "AUTH %b %b", rt->user, strlen(rt->user),
					 rt->password, strlen(rt->password));
		else
			r = redisCommand(rt->ctx, "AUTH %b", rt->password,
					 strlen(rt->password));
		if (setup_command(rt, r, "AUTH", why) != OP_OK)
			goto fail;
	}
	if (rt->db != 0) {
		r = redisCommand(rt->ctx, "SELECT %ld", rt->db);
		if (setup_command(rt, r, "SELECT", why) != OP_OK)
			goto fail;
	}
	return 0;
fail:
	drop_connection(rt);
	return -1;
}

/* ------------------------------------------------------------ calls */

static void
warn_unavailable(struct rtier *rt, const char *reason)
{
	if (rt->warned)
		return;
	rt->warned = true;
	diag_warn(NULL, "redis %s unavailable (%s); going on with the local cache",
		  rt->display, reason);
}

/*
 * hiredis writes with write(2), which raises SIGPIPE on a connection the
 * server closed; that must not kill a tool whose Redis died. SIGPIPE is
 * blocked around the call and one raised by it is consumed, leaving the
 * process's disposition (a tool may want SIGPIPE for its stdout) alone.
 */
struct sigpipe_guard {
	sigset_t old;
	bool pending_before;
};

static void
sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pending;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	g->pending_before = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void
sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	if (!g->pending_before && sigismember(&pending, SIGPIPE) == 1)
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			continue;
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/*
 * Runs op behind the breaker. A connection that worked before and broke
 * since (an idle timeout, a server restart) is reopened once before the
 * call counts as failed; a fresh one that fails or a timeout is not
 * retried, so a call never waits more than about one connect timeout plus
 * one command timeout per command.
 */
static enum rtier_result
run_op(struct rtier *rt, rtier_op op, void *arg)
{
	struct strbuf why = STRBUF_INIT;
	struct sigpipe_guard guard;
	enum op_status st = OP_BROKEN;
	enum breaker_state before = rt->b->state;
	int attempt;

	if (!breaker_allow(rt->b, &rt->cfg, wall_ms())) {
		warn_unavailable(rt, "circuit breaker open after repeated failures");
		return RTIER_UNAVAILABLE;
	}
	sigpipe_block(&guard);
	for (attempt = 0; attempt < 2; attempt++) {
		bool fresh = rt->ctx == NULL;

		rt->timed_out = false;
		if (fresh && connect_redis(rt, &why) < 0) {
			st = OP_BROKEN;
			break;
		}
		st = op(rt, arg, &why);
		if (st != OP_BROKEN)
			break;
		drop_connection(rt);
		if (fresh || rt->timed_out)
			break;
		diag_info(DIAG_DEBUG, NULL, "redis %s: %s; reconnecting", rt->display, why.buf);
	}
	sigpipe_restore(&guard);

	if (st == OP_OK || st == OP_MISS) {
		breaker_success(rt->b);
		if (before != BREAKER_CLOSED || rt->warned)
			diag_info(DIAG_VERBOSE, NULL, "redis %s is back", rt->display);
		rt->warned = false;
		if (before != BREAKER_CLOSED && rt->store != NULL)
			breaker_store_save(rt->store);
		strbuf_release(&why);
		return st == OP_OK ? RTIER_OK : RTIER_MISS;
	}
	diag_info(DIAG_VERBOSE, NULL, "redis %s: %s", rt->display, why.buf);
	if (breaker_failure(rt->b, &rt->cfg, wall_ms()) && rt->store != NULL)
		breaker_store_save(rt->store);   /* so other processes skip it at once */
	/* A cron job's one call must say it too, not only the fifth process. */
	warn_unavailable(rt, why.buf);
	strbuf_release(&why);
	return RTIER_UNAVAILABLE;
}

/* "code-cache:v1:<hex>" into buf; returns its length. */
static size_t
make_key(char *buf, const char *hash_hex)
{
	int n = snprintf(buf, RTIER_KEY_MAX, RTIER_KEY_PREFIX "%s", hash_hex);

	return n < 0 ? 0 : (size_t)n < RTIER_KEY_MAX ? (size_t)n : RTIER_KEY_MAX - 1;
}

/* Reads one GET reply into value; found tells a hit from a miss. */
static enum op_status
get_reply(struct rtier *rt, redisReply *r, struct strbuf *value, bool *found,
	  struct strbuf *why)
{
	enum op_status st = OP_OK;

	if (r == NULL) {
		connection_why(rt, errno, "GET", why);
		return OP_BROKEN;
	}
	if (r->type == REDIS_REPLY_STRING) {
		strbuf_reset(value);
		strbuf_add(value, r->str, r->len);
		*found = true;
	} else if (r->type == REDIS_REPLY_NIL) {
		*found = false;
	} else {
		reply_why(r, "GET", why);
		st = OP_ERROR;
	}
	freeReplyObject(r);
	return st;
}

struct get_args {
	const char *hash_hex;
	struct strbuf *value;
};

static enum op_status
op_get(struct rtier *rt, void *arg, struct strbuf *why)
{
	struct get_args *a = arg;
	char key[RTIER_KEY_MAX];
	size_t klen = make_key(key, a->hash_hex);
	bool found = false;
	enum op_status st;

	st = get_reply(rt, redisCommand(rt->ctx, "GET %b", key, klen), a->value, &found, why);
	if (st == OP_OK && !found)
		st = OP_MISS;
	return st;
}

enum rtier_result
rtier_get(struct rtier *rt, const char *hash_hex, struct strbuf *value)
{
	struct get_args a = { hash_hex, value };

	return run_op(rt, op_get, &a);
}

struct put_args {
	const char *hash_hex;
	const void *data;
	size_t len;
	int64_t ttl_ms;
};

static enum op_status
op_put(struct rtier *rt, void *arg, struct strbuf *why)
{
	struct put_args *a = arg;
	char key[RTIER_KEY_MAX];
	size_t klen = make_key(key, a->hash_hex);
	enum op_status st = OP_OK;
	redisReply *r;

	if (a->ttl_ms > 0)
		r = redisCommand(rt->ctx, "SET %b %b PX %lld", key, klen, a->data, a->len,
				 (long long)a->ttl_ms);
	else
		r = redisCommand(rt->ctx, "SET %b %b", key, klen, a->data, a->len);
	if (r == NULL) {
		connection_why(rt, errno, "SET", why);
		return OP_BROKEN;
	}
	if (r->type != REDIS_REPLY_STATUS) {
		reply_why(r, "SET", why);
		st = OP_ERROR;
	}
	freeReplyObject(r);
	return st;
}

enum rtier_result
rtier_put(struct rtier *rt, const char *hash_hex, const void *data, size_t len,
	  int64_t ttl_ms)
{
	struct put_args a = { hash_hex, data, len, ttl_ms };

	return run_op(rt, op_put, &a);
}

static enum op_status
op_del(struct rtier *rt, void *arg, struct strbuf *why)
{
	char key[RTIER_KEY_MAX];
	size_t klen = make_key(key, arg);
	enum op_status st;
	redisReply *r;

	r = redisCommand(rt->ctx, "DEL %b", key, klen);
	if (r == NULL) {
		connection_why(rt, errno, "DEL", why);
		return OP_BROKEN;
	}
	if (r->type == REDIS_REPLY_INTEGER) {
		st = r->integer > 0 ? OP_OK : OP_MISS;
	} else {
		reply_why(r, "DEL", why);
		st = OP_ERROR;
	}
	freeReplyObject(r);
	return st;
}

enum rtier_result
rtier_del(struct rtier *rt, const char *hash_hex)
{
	return run_op(rt, op_del, (void *)hash_hex);
}

struct get_many_args {
	const char *const *hash_hex;
	size_t n;
	struct strbuf *values;
	bool *found;
};

static enum op_status
op_get_many(struct rtier *rt, void *arg, struct strbuf *why)
{
	struct get_many_args *a = arg;
	enum op_status st = OP_OK;
	size_t i;

	for (i = 0; i < a->n; i++) {
		char key[RTIER_KEY_MAX];
		size_t klen = make_key(key, a->hash_hex[i]);

		if (redisAppendCommand(rt->ctx, "GET %b", key, klen) != REDIS_OK) {
			connection_why(rt, errno, "GET", why);
			return OP_BROKEN;
		}
	}
	/* Every reply is read, even after an error reply, to keep the connection in step. */
	for (i = 0; i < a->n; i++) {
		void *r = NULL;
		enum op_status one;

		if (redisGetReply(rt->ctx, &r) != REDIS_OK)
			r = NULL;
		one = get_reply(rt, r, &a->values[i], &a->found[i], why);
		if (one == OP_BROKEN)
			return OP_BROKEN;
		if (one == OP_ERROR)
			st = OP_ERROR;
	}
	return st;
}

enum rtier_result
rtier_get_many(struct rtier *rt, const char *const *hash_hex, size_t n,
	       struct strbuf *values, bool *found)
{
	struct get_many_args a = { hash_hex, n, values, found };
	enum rtier_result res;
	size_t i;

	for (i = 0; i < n; i++)
		found[i] = false;
	if (n == 0)
		return RTIER_OK;
	res = run_op(rt, op_get_many, &a);
	if (res == RTIER_UNAVAILABLE)
		for (i = 0; i < n; i++)
			found[i] = false;
	return res == RTIER_MISS ? RTIER_OK : res;
}
