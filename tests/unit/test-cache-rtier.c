/* test-cache-rtier.c: the Redis tier against a real redis-server: round trips, AUTH, SELECT, and a server that dies behind the breaker. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <hiredis.h>

#include "cmd/cache/rtier.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "tests/lib/tap.h"

#define PASSWORD "s3cret-pw"
#define KEY_A "00112233445566778899aabbccddeeff"
#define KEY_B "ffeeddccbbaa99887766554433221100"
#define KEY_C "0123456789abcdef0123456789abcdef"
#define KEY_D "deadbeefdeadbeefdeadbeefdeadbeef"
#define KEY_E "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"

struct server {
	pid_t pid;
	int port;
	char log[4096];
};

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		continue;
}

static char *
slurp(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static int
count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static int
have_redis_server(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	while (path != NULL && *path != '\0') {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/redis-server", (int)len, path);
		if (access(buf, X_OK) == 0)
			return 1;
		path += len;
		if (*path == ':')
			path++;
	}
	return 0;
}

/* A loopback port nobody listens on: the kernel picks one for port 0. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Listens on the port, to see whether anything tries to connect. */
static int
listen_on(int port, int backlog)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, backlog) != 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* A raw hiredis connection, authenticated, or NULL. */
static redisContext *
raw_connect(int port)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *r;

	if (c == NULL || c->err) {
		if (c)
			redisFree(c);
		return NULL;
	}
	r = redisCommand(c, "AUTH %s", PASSWORD);
	if (r == NULL || r->type != REDIS_REPLY_STATUS) {
		if (r)
			freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

/* Runs one command on a fresh raw connection; 1 when it was not an error. */
static int
raw_command(int port, const char *cmd)
{
	redisContext *c = raw_connect(port);
	redisReply *r;
	int good;

	if (c == NULL)
		return 0;
	r = redisCommand(c, cmd);
	good = r != NULL && r->type != REDIS_REPLY_ERROR;
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return good;
}

static int
server_start(struct server *s)
{
	char port[16];
	const char *dir = tap_tmpdir();
	int fd;

	snprintf(port, sizeof(port), "%d", s->port);
	snprintf(s->log, sizeof(s->log), "%s/redis.log", dir);
	s->pid = fork();
	if (s->pid < 0)
		return 0;
	if (s->pid == 0) {
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);   /* no server outlives a crashed test */
#endif
		fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("redis-server", "redis-server", "--save", "", "--appendonly", "no",
		       "--port", port, "--bind", "127.0.0.1", "--daemonize", "no",
		       "--dir", dir, "--requirepass", PASSWORD, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 250; i++) {
		if (raw_command(s->port, "PING"))
			return 1;
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = -1;
			return 0;
		}
		sleep_ms(20);
	}
	return 0;
}

static void
server_kill(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
		s->pid = -1;
	}
}

static struct rtier *
open_url(const char *url, const char *breaker_path, int connect_ms, int command_ms)
{
	struct rtier_options o = { url, connect_ms, command_ms, breaker_path };
	struct rtier *rt = NULL;

	if (rtier_open(&o, &rt) != 0)
		return NULL;
	return rt;
}

static void
test_urls(void)
{
	static const struct {
		const char *url, *display;
	} good[] = {
		{ "redis://127.0.0.1", "redis://127.0.0.1:6379/0" },
		{ "redis://cache.example:6380/2", "redis://cache.example:6380/2" },
		{ "redis://:" PASSWORD "@h/", "redis://:***@h:6379/0" },
		{ "redis://alice:" PASSWORD "@h:7000/15", "redis://alice:***@h:7000/15" },
		{ "redis://al%40ce:p%2Fw@h", "redis://al%40ce:***@h:6379/0" },
		{ "redis://u:p@ss:w@h", "redis://u:***@h:6379/0" },
		{ "redis://[::1]:7001/3", "redis://[::1]:7001/3" },
		{ "redis://[::1]", "redis://[::1]:6379/0" },
		{ "unix:///run/redis/redis.sock", "unix:///run/redis/redis.sock" },
		{ "unix:///tmp/r.sock?db=4", "unix:///tmp/r.sock?db=4" },
	};
	static const struct {
		const char *url, *msg;
	} bad[] = {
		{ "", "no Redis URL" },
		{ "http://h:6379", "expected redis://" },
		{ "rediss://:" PASSWORD "@h", "TLS" },
		{ "redis://", "no host" },
		{ "redis://:6379", "no host" },
		{ "redis://h:0", "bad port '0'" },
		{ "redis://h:65536", "bad port '65536'" },
		{ "redis://h:12ab", "bad port '12ab'" },
		{ "redis://h:", "bad port ''" },
		{ "redis://h/x", "bad database number 'x'" },
		{ "redis://h/1/2", "bad database number '1/2'" },
		{ "redis://h/99999999999", "bad database number" },
		{ "redis://h?timeout=1", "not supported" },
		{ "redis://::1:6379", "brackets" },
		{ "redis://[::1", "no ']'" },
		{ "redis://[::1]x", "expected ':PORT'" },
		{ "redis://" PASSWORD "@h", "put a ':' before the password" },
		{ "redis://u:" PASSWORD "/x@h", "must be %-encoded" },
		{ "redis://u:" PASSWORD "%zz@h", "bad %-escape in the password" },
		{ "redis://u:" PASSWORD "%00@h", "bad %-escape in the password" },
		{ "redis://" PASSWORD "/x@h", "must be %-encoded" },
		{ "unix://relative.sock", "must be absolute" },
		{ "unix:///tmp/r.sock?db=x", "bad database number 'x'" },
		{ "unix:///tmp/r.sock?timeout=3", "unknown parameter" },
		{ "unix://:" PASSWORD "@/tmp/r.sock", "no user or password" },
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct rtier *rt = open_url(good[i].url, NULL, 0, 0);

		ok(rt != NULL, "'%s' is a good URL", good[i].display);
		if (rt == NULL)
			continue;
		is_str(rtier_display_url(rt), good[i].display, "its display URL");
		is_str(rtier_breaker_state(rt), "closed", "and a closed breaker");
		rtier_close(rt);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rtier_options o = { bad[i].url, 0, 0, NULL };
		struct rtier *rt = (struct rtier *)&o;
		const char *err;
		int ret;

		tap_capture_begin();
		ret = rtier_open(&o, &rt);
		err = tap_capture_end();
		is_int(ret, -CODE_EXIT_USAGE, bad[i].msg);
		ok(rt == NULL, "  no tier is made");
		ok(strstr(err, bad[i].msg) != NULL, "  the message says '%s'", bad[i].msg);
		ok(strstr(err, PASSWORD) == NULL, "  and never shows the password");
		if (strstr(err, bad[i].msg) == NULL || strstr(err, PASSWORD) != NULL)
			tap_diag("stderr: %s", err);
	}
	tap_capture_begin();
	{
		struct rtier_options o = { NULL, 0, 0, NULL };
		struct rtier *rt;

		is_int(rtier_open(&o, &rt), -CODE_EXIT_USAGE, "no URL at all is a usage error");
	}
	tap_capture_end();
}

static void
test_round_trips(int port)
{
	char url[128], bin[3000];
	struct strbuf v = STRBUF_INIT;
	struct rtier *rt;
	size_t i;

	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i % 7 == 0 ? 0 : (i * 131) & 0xff);
	snprintf(url, sizeof(url), "redis://:%s@127.0.0.1:%d", PASSWORD, port);
	rt = open_url(url, NULL, 0, 0);
	ok(rt != NULL, "open with AUTH");
	if (rt == NULL)
		return;
	is_int(rtier_put(rt, KEY_A, bin, sizeof(bin), 0), RTIER_OK, "put a binary value with NULs");
	strbuf_addstr(&v, "stale");
	is_int(rtier_get(rt, KEY_A, &v), RTIER_OK, "get it back");
	ok(v.len == sizeof(bin) && memcmp(v.buf, bin, sizeof(bin)) == 0,
	   "byte for byte (%zu bytes)", v.len);
	is_int(rtier_put(rt, KEY_A, "\0x\0", 3, 0), RTIER_OK, "overwrite it");
	is_int(rtier_get(rt, KEY_A, &v), RTIER_OK, "get the new value");
	ok(v.len == 3 && memcmp(v.buf, "\0x\0", 3) == 0, "the new value, NULs included");
	is_int(rtier_put(rt, KEY_D, "", 0, 0), RTIER_OK, "put an empty value");
	is_int(rtier_get(rt, KEY_D, &v), RTIER_OK, "an empty value is a hit");
	is_int(v.len, 0, "and empty");
	is_int(rtier_get(rt, KEY_B, &v), RTIER_MISS, "another key is a miss");
	ok(raw_command(port, "EXISTS code-cache:v1:" KEY_A), "the key is code-cache:v1:<hex>");
	is_int(rtier_del(rt, KEY_A), RTIER_OK, "del");
	is_int(rtier_get(rt, KEY_A, &v), RTIER_MISS, "gone after del");
	is_int(rtier_del(rt, KEY_A), RTIER_MISS, "del of a missing key is a miss");

	is_int(rtier_put(rt, KEY_C, "short-lived", 11, 200), RTIER_OK, "put with a 200 ms TTL");
	is_int(rtier_get(rt, KEY_C, &v), RTIER_OK, "there at once");
	sleep_ms(300);
	is_int(rtier_get(rt, KEY_C, &v), RTIER_MISS, "gone after 300 ms");

	{
		const char *keys[5] = { KEY_A, KEY_B, KEY_C, KEY_D, KEY_B };
		struct strbuf vals[5] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
					  STRBUF_INIT, STRBUF_INIT };
		bool found[5];

		rtier_put(rt, KEY_A, "va\0lue-a", 8, 0);
		rtier_put(rt, KEY_B, "value-b", 7, 0);
		is_int(rtier_get_many(rt, keys, 5, vals, found), RTIER_OK,
		       "get_many of 5 keys, 3 there");
		ok(found[0] && vals[0].len == 8 && memcmp(vals[0].buf, "va\0lue-a", 8) == 0,
		   "hit 1 with its value");
		ok(found[1] && strcmp(vals[1].buf, "value-b") == 0, "hit 2 with its value");
		ok(!found[2], "miss 3 (expired)");
		ok(found[3] && vals[3].len == 0, "hit 4, the empty value");
		ok(found[4] && strcmp(vals[4].buf, "value-b") == 0, "hit 5, a repeated key");
		is_int(rtier_get_many(rt, keys, 0, vals, found), RTIER_OK, "get_many of none");
		for (i = 0; i < 5; i++)
			strbuf_release(&vals[i]);
	}

	/* A connection the server dropped is reopened once, and that is no failure. */
	ok(raw_command(port, "CLIENT KILL TYPE normal SKIPME yes"), "the server drops our connection");
	is_int(rtier_get(rt, KEY_B, &v), RTIER_OK, "the next call reconnects and succeeds");
	is_str(rtier_breaker_state(rt), "closed", "counted as no failure");

	/* Writing 8 MiB to a dropped connection would raise SIGPIPE: it must not kill us. */
	{
		size_t big_len = 8u << 20;
		char *big = calloc(1, big_len);

		ok(raw_command(port, "CLIENT KILL TYPE normal SKIPME yes"), "dropped again");
		is_int(rtier_put(rt, KEY_E, big, big_len, 0), RTIER_OK,
		       "an 8 MiB put on the dropped connection survives and reconnects");
		is_int(rtier_get(rt, KEY_E, &v), RTIER_OK, "and is stored");
		ok(v.len == big_len, "all of it");
		rtier_del(rt, KEY_E);
		free(big);
	}
	rtier_close(rt);
	strbuf_release(&v);
}

static void
test_auth_and_db(int port)
{
	struct strbuf v = STRBUF_INIT;
	char url[160];
	struct rtier *rt, *rt1;
	const char *err;

	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	rt = open_url(url, NULL, 0, 0);
	diag_set_level(DIAG_VERBOSE);
	tap_capture_begin();
	is_int(rtier_get(rt, KEY_A, &v), RTIER_UNAVAILABLE, "no password: unavailable");
	err = tap_capture_end();
	ok(strstr(err, "NOAUTH") != NULL, "-v says why (NOAUTH)");
	rtier_close(rt);

	snprintf(url, sizeof(url), "redis://:wrong-%s@127.0.0.1:%d", PASSWORD, port);
	rt = open_url(url, NULL, 0, 0);
	tap_capture_begin();
	is_int(rtier_get(rt, KEY_A, &v), RTIER_UNAVAILABLE, "a wrong password: unavailable");
	err = tap_capture_end();
	ok(strstr(err, "AUTH") != NULL && strstr(err, "WRONGPASS") != NULL,
	   "-v says AUTH failed (WRONGPASS)");
	ok(strstr(err, PASSWORD) == NULL && strstr(err, ":***@") != NULL,
	   "with the password masked");
	if (strstr(err, PASSWORD) != NULL)
		tap_diag("stderr: %s", err);
	rtier_close(rt);

	/* A Redis 6 ACL user. */
	ok(raw_command(port, "ACL SETUSER alice on >alice-pw ~code-cache:* +@all"),
	   "ACL user alice made");
	snprintf(url, sizeof(url), "redis://alice:alice-pw@127.0.0.1:%d/0", port);
	rt = open_url(url, NULL, 0, 0);
	is_int(rtier_put(rt, KEY_D, "alice", 5, 0), RTIER_OK, "put as ACL user alice");
	is_int(rtier_get(rt, KEY_D, &v), RTIER_OK, "get as alice");
	is_str(v.buf, "alice", "her value");
	rtier_close(rt);

	/* SELECT: databases do not see each other's keys. */
	snprintf(url, sizeof(url), "redis://:%s@127.0.0.1:%d/0", PASSWORD, port);
	rt = open_url(url, NULL, 0, 0);
	snprintf(url, sizeof(url), "redis://:%s@127.0.0.1:%d/1", PASSWORD, port);
	rt1 = open_url(url, NULL, 0, 0);
	rtier_put(rt, KEY_C, "in-db-0", 7, 0);
	is_int(rtier_get(rt1, KEY_C, &v), RTIER_MISS, "db 1 does not see db 0's key");
	is_int(rtier_put(rt1, KEY_C, "in-db-1", 7, 0), RTIER_OK, "put in db 1");
	is_int(rtier_get(rt, KEY_C, &v), RTIER_OK, "db 0 still has its own");
	is_str(v.buf, "in-db-0", "its own value");
	is_int(rtier_get(rt1, KEY_C, &v), RTIER_OK, "db 1 has its own");
	is_str(v.buf, "in-db-1", "its own value");
	rtier_close(rt);
	rtier_close(rt1);

	snprintf(url, sizeof(url), "redis://:%s@127.0.0.1:%d/99", PASSWORD, port);
	rt = open_url(url, NULL, 0, 0);
	tap_capture_begin();
	is_int(rtier_get(rt, KEY_C, &v), RTIER_UNAVAILABLE, "db 99 (of 16): unavailable");
	err = tap_capture_end();
	ok(strstr(err, "SELECT") != NULL && strstr(err, "out of range") != NULL,
	   "-v says SELECT failed");
	rtier_close(rt);
	diag_set_level(DIAG_NORMAL);
	strbuf_release(&v);
}

/* A server that hangs (SIGSTOP): calls give up after the command timeout. */
static void
test_hung_server(struct server *s)
{
	struct strbuf v = STRBUF_INIT;
	char url[128];
	struct rtier *rt;
	double t0, t;
	const char *err;

	snprintf(url, sizeof(url), "redis://:%s@127.0.0.1:%d", PASSWORD, s->port);
	rt = open_url(url, NULL, 100, 100);
	is_int(rtier_get(rt, KEY_E, &v), RTIER_MISS, "connected before the hang");
	kill(s->pid, SIGSTOP);
	diag_set_level(DIAG_VERBOSE);
	tap_capture_begin();
	t0 = mono_ms();
	is_int(rtier_get(rt, KEY_E, &v), RTIER_UNAVAILABLE, "a hung server: unavailable");
	t = mono_ms() - t0;
	err = tap_capture_end();
	diag_set_level(DIAG_NORMAL);
	ok(t >= 90 && t < 1000, "after the 100 ms command timeout (%.0f ms)", t);
	tap_diag("hung server: one call took %.1f ms (command timeout 100 ms)", t);
	ok(strstr(err, "no answer within 100 ms") != NULL, "-v says it timed out");
	kill(s->pid, SIGCONT);
	is_int(rtier_get(rt, KEY_E, &v), RTIER_MISS, "back once the server runs again");
	rtier_close(rt);
	strbuf_release(&v);
}

/*
 * A port whose accept queue is full drops SYNs, as a host that does not
 * answer: the connect gives up after the connect timeout.
 */
static void
test_connect_timeout(void)
{
	struct strbuf v = STRBUF_INIT;
	int port = free_port(), lfd = listen_on(port, 0), fillers[4], i;
	struct sockaddr_in sa;
	char url[128];
	struct rtier *rt;
	const char *err;
	double t0, t;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((unsigned short)port);
	/* Fill the accept queue (backlog 0 holds one) with connections nobody accepts. */
	for (i = 0; i < 4; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM, 0);
		fcntl(fillers[i], F_SETFL, O_NONBLOCK);
		connect(fillers[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
	rt = open_url(url, NULL, 100, 100);
	diag_set_level(DIAG_VERBOSE);
	tap_capture_begin();
	t0 = mono_ms();
	is_int(rtier_get(rt, KEY_A, &v), RTIER_UNAVAILABLE, "a server that never answers: unavailable");
	t = mono_ms() - t0;
	err = tap_capture_end();
	diag_set_level(DIAG_NORMAL);
	ok(t < 1000, "within the timeouts (%.0f ms)", t);
	ok(strstr(err, "connect: ") != NULL, "-v says the connect failed");
	tap_diag("unanswered server: one call took %.1f ms (connect and command timeouts 100 ms): %s",
		 t, err);
	rtier_close(rt);
	for (i = 0; i < 4; i++)
		close(fillers[i]);
	close(lfd);
	strbuf_release(&v);
}

/* The server dies mid-run: the breaker opens, persists, and closes on a probe. */
static void
test_server_dies(struct server *s)
{
	struct strbuf v = STRBUF_INIT;
	char url[128], bpath[4096];
	const char *err, *file;
	struct rtier *rt;
	double t0, t, worst = 0;
	struct stat st;
	int i, lfd;

	tap_path(bpath, sizeof(bpath), "breakers.json");
	snprintf(url, sizeof(url), "redis://:%s@127.0.0.1:%d/0", PASSWORD, s->port);
	rt = open_url(url, bpath, 0, 0);
	is_int(rtier_put(rt, KEY_A, "x", 1, 0), RTIER_OK, "put while the server is up");
	server_kill(s);

	diag_set_level(DIAG_VERBOSE);
	tap_capture_begin();
	for (i = 1; i <= 5; i++) {
		t0 = mono_ms();
		if (rtier_get(rt, KEY_A, &v) != RTIER_UNAVAILABLE)
			break;
		t = mono_ms() - t0;
		worst = t > worst ? t : worst;
		tap_diag("call %d after the kill: %.2f ms", i, t);
		if (i == 4 && strcmp(rtier_breaker_state(rt), "closed") != 0)
			break;
	}
	err = tap_capture_end();
	diag_set_level(DIAG_NORMAL);
	is_int(i, 6, "after the kill, 5 calls in a row are unavailable");
	ok(worst < 1000, "each within the timeouts (worst %.1f ms)", worst);
	tap_diag("server killed: worst of 5 failing calls %.2f ms", worst);
	is_str(rtier_breaker_state(rt), "open", "the 5th failure opens the breaker");
	is_int(count_of(err, "going on with the local cache"), 1, "exactly one warning");
	ok(strstr(err, "redis redis://:***@127.0.0.1:") != NULL, "naming the endpoint, password masked");
	ok(strstr(err, PASSWORD) == NULL, "the password is never shown");
	is_int(count_of(err, "/0: connect: Connection refused"), 5, "-v gives each failure's reason");
	if (strstr(err, PASSWORD) != NULL || count_of(err, "going on") != 1)
		tap_diag("stderr: %s", err);

	/* Open: calls come back at once and connect to nothing. */
	lfd = listen_on(s->port, 8);
	ok(lfd >= 0, "a listener now holds the port");
	worst = 0;
	tap_capture_begin();
	for (i = 0; i < 3; i++) {
		t0 = mono_ms();
		is_int(rtier_put(rt, KEY_B, "y", 1, 0), RTIER_UNAVAILABLE, "open: unavailable");
		t = mono_ms() - t0;
		worst = t > worst ? t : worst;
	}
	err = tap_capture_end();
	ok(worst < 5, "at once (worst %.3f ms)", worst);
	tap_diag("breaker open: worst refused call %.4f ms", worst);
	is_int(count_of(err, "going on"), 0, "and no second warning");
	ok(lfd >= 0 && accept(lfd, NULL, NULL) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
	   "nothing tried to connect");
	rtier_close(rt);

	ok(stat(bpath, &st) == 0 && (st.st_mode & 0777) == 0600, "breaker file saved, 0600");
	file = slurp(bpath);
	ok(strstr(file, "\"open\"") != NULL && strstr(file, ":***@127.0.0.1") != NULL,
	   "it holds the open breaker of the masked endpoint");
	ok(strstr(file, PASSWORD) == NULL, "and no password");

	/* A second process reads it and skips Redis at once. */
	rt = open_url(url, bpath, 0, 0);
	is_str(rtier_breaker_state(rt), "open", "a second process finds it open");
	tap_capture_begin();
	t0 = mono_ms();
	is_int(rtier_get(rt, KEY_A, &v), RTIER_UNAVAILABLE, "and is unavailable");
	t = mono_ms() - t0;
	rtier_get(rt, KEY_B, &v);
	err = tap_capture_end();
	ok(t < 5, "at once (%.3f ms)", t);
	tap_diag("second process: refused call %.4f ms", t);
	is_int(count_of(err, "going on with the local cache"), 1, "with its one warning");
	ok(lfd >= 0 && accept(lfd, NULL, NULL) < 0, "without connecting");
	rtier_close(rt);
	if (lfd >= 0)
		close(lfd);

	/* The server comes back; after the open period one probe closes it. */
	ok(server_start(s), "redis-server restarted on the same port");
	setenv("CODE_CACHE_BREAKER_OPEN_MS", "50", 1);
	rt = open_url(url, bpath, 0, 0);
	is_str(rtier_breaker_state(rt), "open", "a third process finds it open");
	sleep_ms(60);
	tap_capture_begin();
	is_int(rtier_get(rt, KEY_A, &v), RTIER_MISS, "after the open period the probe goes through");
	err = tap_capture_end();
	is_str(rtier_breaker_state(rt), "closed", "and closes the breaker");
	is_int(count_of(err, "going on"), 0, "no warning");
	is_int(rtier_put(rt, KEY_A, "z", 1, 0), RTIER_OK, "calls go through again");
	rtier_close(rt);
	file = slurp(bpath);
	ok(strstr(file, "127.0.0.1") == NULL, "the file forgets the closed breaker");

	/* A failed probe opens it again, without a second warning in a process. */
	rt = open_url(url, bpath, 0, 0);
	server_kill(s);
	tap_capture_begin();
	for (i = 0; i < 5; i++)
		rtier_get(rt, KEY_A, &v);
	sleep_ms(60);
	is_int(rtier_get(rt, KEY_A, &v), RTIER_UNAVAILABLE, "a probe to a dead server fails");
	is_str(rtier_breaker_state(rt), "open", "and opens the breaker again");
	err = tap_capture_end();
	is_int(count_of(err, "going on"), 1, "still one warning");
	rtier_close(rt);

	setenv("CODE_CACHE_BREAKER_OPEN_MS", "soon", 1);
	tap_capture_begin();
	rt = open_url(url, NULL, 0, 0);
	err = tap_capture_end();
	ok(strstr(err, "ignoring CODE_CACHE_BREAKER_OPEN_MS='soon'") != NULL,
	   "a bad CODE_CACHE_BREAKER_OPEN_MS is a warning");
	rtier_close(rt);
	unsetenv("CODE_CACHE_BREAKER_OPEN_MS");
	strbuf_release(&v);
}

int
main(void)
{
	struct server s = { -1, 0, "" };

	diag_setup("test-cache-rtier");
	unsetenv("CODE_CACHE_BREAKER_OPEN_MS");
	test_urls();
	if (!have_redis_server()) {
		ok(1, "# SKIP redis-server not installed");
		return tap_done();
	}
	s.port = free_port();
	if (s.port <= 0 || !server_start(&s)) {
		ok(0, "redis-server starts on a free loopback port");
		tap_diag("log: %s", slurp(s.log));
		server_kill(&s);
		return tap_done();
	}
	ok(1, "redis-server started on port %d", s.port);
	test_round_trips(s.port);
	test_auth_and_db(s.port);
	test_hung_server(&s);
	test_connect_timeout();
	test_server_dies(&s);
	server_kill(&s);
	return tap_done();
}
