/* logscan-gen.c: writes MEGABYTES of realistic `TIMESTAMP LEVEL message` log lines for scripts/bench/logscan.sh. */
/*
 *   logscan-gen MEGABYTES >app.log
 *
 * Deterministic (fixed seed), so a cached file and a fresh one hold the
 * same lines.  About 3% of the lines hold error, exception, failed or
 * timeout in some case (ERROR-level lines among them), a few of them two;
 * no other line holds any of the four, so the counts of the tools compared
 * are counts of these lines.  Not part of the build: the script compiles it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OUTBUF (1u << 20)

/* xorshift64*: fast, and the same stream on every machine. */
static uint64_t
next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static unsigned
pick(uint64_t *s, unsigned n)
{
	return (unsigned)((next(s) >> 33) % n);
}

static const char *const services[] = {
	"api", "auth", "billing", "cart", "catalog", "checkout", "gateway",
	"inventory", "notifier", "orders", "payments", "search", "sessions",
	"shipping", "users", "worker"
};
static const char *const paths[] = {
	"/api/v1/items", "/api/v1/orders", "/api/v2/users/me", "/health",
	"/api/v1/cart/checkout", "/static/app.js", "/api/v1/search?q=shoes",
	"/login", "/api/v1/payments/intent", "/metrics"
};
static const char *const methods[] = { "GET", "GET", "GET", "POST", "PUT", "DELETE" };
static const char *const tables[] = { "users", "orders", "order_items", "sessions", "payments", "inventory" };
static const char *const bad[] = { "error", "exception", "failed", "timeout" };

/* One of the four words, most often as written, sometimes in odd case. */
static void
bad_word(uint64_t *s, char *out)
{
	const char *w = bad[pick(s, 4)];
	unsigned style = pick(s, 10);
	size_t i, n = strlen(w);

	for (i = 0; i < n; i++) {
		char c = w[i];

		if (style == 7 || (style == 8 && i == 0) ||
		    (style == 9 && pick(s, 3) == 0))
			c = (char)(c - 'a' + 'A');
		out[i] = c;
	}
	out[n] = '\0';
}

/* A message of 60-200 bytes free of the four words. */
static int
plain_message(uint64_t *s, char *out, size_t cap)
{
	const char *svc = services[pick(s, 16)];

	switch (pick(s, 8)) {
	case 0:
		return snprintf(out, cap, "%s: %s %s status=200 bytes=%u duration_ms=%u "
				"request_id=%08x%08x client=10.%u.%u.%u user_agent=\"Mozilla/5.0\"",
				svc, methods[pick(s, 6)], paths[pick(s, 10)], pick(s, 90000) + 200,
				pick(s, 900) + 1, (unsigned)next(s), (unsigned)next(s),
				pick(s, 256), pick(s, 256), pick(s, 256));
	case 1:
		return snprintf(out, cap, "%s: cache hit for key session:%08x ttl=%us size=%u "
				"backend=redis-%u.internal", svc, (unsigned)next(s), pick(s, 3600),
				pick(s, 65536), pick(s, 6));
	case 2:
		return snprintf(out, cap, "%s: query on %s took %u ms rows=%u plan=index_scan "
				"pool_active=%u pool_idle=%u", svc, tables[pick(s, 6)],
				pick(s, 400), pick(s, 5000), pick(s, 32), pick(s, 32));
	case 3:
		return snprintf(out, cap, "%s: user %u logged in from 192.168.%u.%u using "
				"method=password mfa=%s session=%08x%08x", svc, pick(s, 1000000),
				pick(s, 256), pick(s, 256), pick(s, 2) ? "totp" : "none",
				(unsigned)next(s), (unsigned)next(s));
	case 4:
		return snprintf(out, cap, "%s: job %u finished in %u.%03us, %u items processed, "
				"queue depth %u", svc, pick(s, 100000), pick(s, 60), pick(s, 1000),
				pick(s, 10000), pick(s, 500));
	case 5:
		return snprintf(out, cap, "%s: connection to %s-db-%u.internal:5432 reused "
				"(pool size %u, waiting %u)", svc, svc, pick(s, 4), pick(s, 64),
				pick(s, 8));
	case 6:
		return snprintf(out, cap, "%s: sent %u bytes to kafka topic events.%s partition %u "
				"offset %u acks=all linger_ms=5 batch_size=16384 compression=zstd",
				svc, pick(s, 65536), svc, pick(s, 12), (unsigned)next(s));
	default:
		return snprintf(out, cap, "%s: health check passed in %u ms (cpu %u%%, rss %u MiB, "
				"goroutines %u, open fds %u)", svc, pick(s, 50), pick(s, 100),
				pick(s, 4096), pick(s, 2000), pick(s, 1024));
	}
}

/* A message of 60-200 bytes holding one of the four words, sometimes two. */
static int
bad_message(uint64_t *s, char *out, size_t cap)
{
	const char *svc = services[pick(s, 16)];
	char w1[16], w2[16];

	bad_word(s, w1);
	bad_word(s, w2);
	switch (pick(s, 6)) {
	case 0:
		return snprintf(out, cap, "%s: upstream %s-backend:8080 %s after %u ms, "
				"retrying (attempt %u of 3) request_id=%08x", svc, svc, w1,
				pick(s, 30000), pick(s, 3) + 1, (unsigned)next(s));
	case 1:
		return snprintf(out, cap, "%s: %s %s returned 503: %s while reading response body "
				"from 10.%u.%u.%u", svc, methods[pick(s, 6)], paths[pick(s, 10)], w1,
				pick(s, 256), pick(s, 256), pick(s, 256));
	case 2:
		return snprintf(out, cap, "%s: query on %s %s: deadlock detected, transaction "
				"rolled back after %u ms (%s on retry)", svc, tables[pick(s, 6)], w1,
				pick(s, 5000), w2);
	case 3:
		return snprintf(out, cap, "%s: unhandled java.lang.IllegalStateException: "
				"order %u in state SHIPPED cannot be cancelled", svc, pick(s, 10000000));
	case 4:
		return snprintf(out, cap, "%s: payment %08x %s: card declined by issuer "
				"(code %u), customer %u notified", svc, (unsigned)next(s), w1,
				pick(s, 100), pick(s, 1000000));
	default:
		return snprintf(out, cap, "%s: %s writing to /var/lib/%s/spool/%08x.tmp: "
				"no space left on device (%u bytes pending)", svc, w1, svc,
				(unsigned)next(s), pick(s, 1000000));
	}
}

int
main(int argc, char **argv)
{
	uint64_t seed = UINT64_C(0x9e3779b97f4a7c15), limit, written = 0;
	time_t sec = 1795392000;        /* 2026-11-23T00:00:00Z */
	time_t shown = (time_t)-1;
	unsigned ms = 0;
	char stamp[32], msg[512];
	char *buf;
	size_t used = 0;

	if (argc != 2 || atol(argv[1]) <= 0) {
		fputs("usage: logscan-gen MEGABYTES\n", stderr);
		return 64;
	}
	limit = (uint64_t)atol(argv[1]) << 20;
	if (!(buf = malloc(OUTBUF)))
		return 71;
	while (written < limit) {
		unsigned r = pick(&seed, 1000);
		const char *level;
		int n;

		ms += pick(&seed, 24);
		sec += ms / 1000;
		ms %= 1000;
		if (sec != shown) {
			struct tm tm;

			gmtime_r(&sec, &tm);
			strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
			shown = sec;
		}
		/* 1.5% ERROR (the level itself matches "error"), 1.5% bad words elsewhere. */
		if (r < 15) {
			level = "ERROR";
			n = bad_message(&seed, msg, sizeof(msg));
		} else if (r < 30) {
			level = r < 22 ? "WARN" : "INFO";
			n = bad_message(&seed, msg, sizeof(msg));
		} else {
			level = r < 110 ? "WARN" : r < 300 ? "DEBUG" : "INFO";
			n = plain_message(&seed, msg, sizeof(msg));
		}
		if (n < 0 || (size_t)n >= sizeof(msg))
			return 70;
		if (used + 64 + (size_t)n > OUTBUF) {
			if (fwrite(buf, 1, used, stdout) != used)
				return 74;
			used = 0;
		}
		n = snprintf(buf + used, OUTBUF - used, "%s.%03uZ %s %s\n", stamp, ms, level, msg);
		used += (size_t)n;
		written += (uint64_t)n;
	}
	if (fwrite(buf, 1, used, stdout) != used || fflush(stdout) != 0)
		return 74;
	free(buf);
	return 0;
}
