/* test-logline.c: every recognised log line form, with epoch milliseconds computed by date(1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/logline.h"
#include "tests/lib/tap.h"

/* 2026-11-23T10:00:00Z, the "now" for year-less stamps. */
#define NOW_MS INT64_C(1795428000000)

static const struct logline_context ctx_now = { NOW_MS };

static struct logline
parse_ctx(const char *s, const struct logline_context *ctx)
{
	struct logline ll;

	logline_parse(s, strlen(s), ctx, &ll);
	return ll;
}

static struct logline
parse(const char *s)
{
	return parse_ctx(s, &ctx_now);
}

/* One line: its ts (or -1 for none), level name and message text. */
static void
check(const char *s, long long want_ts, const char *want_level, const char *want_msg)
{
	struct logline ll = parse(s);

	if (want_ts < 0)
		ok(!ll.has_ts, "no ts: %s", s);
	else
		is_int(ll.has_ts ? ll.ts_ms : -1, want_ts, s);
	is_str(logline_level_name(ll.level), want_level, s);
	is_str(s + ll.msg_off, want_msg, s);
}

static void
test_iso(void)
{
	check("2026-11-23T10:00:00Z hello", 1795428000000, "", "hello");
	check("2026-11-23T10:00:00.123+01:00 INFO started", 1795424400123, "INFO", "started");
	check("2026-11-23 10:00:00,123 ERROR boom", 1795428000123, "ERROR", "boom");
	check("2026-11-23 10:00:00.123456 [WARN] slow", 1795428000123, "WARN", "slow");
	check("2026-11-23 10:00:01.003 debug: x", 1795428001003, "DEBUG", "x");
	check("  \t2026-11-23t10:00:00z x", 1795428000000, "", "x");
	check("2024-02-29T23:59:59.999-05:30 CRIT disk", 1709270999999, "CRITICAL", "disk");
	check("2000-02-29T00:00:00Z a", 951782400000, "", "a");
	check("1970-01-01T00:00:00Z", 0, "", "");
	check("1999-12-31T23:59:59Z WARNING y2k", 946684799000, "WARN", "y2k");
	check("2100-03-01T00:00:00Z x", 4107542400000, "", "x");
	check("2026-06-15T12:00:00-0800 x", 1781553600000, "", "x");
	check("2026-11-23T11:00:00+01 x", 1795428000000, "", "x");
	check("2026-11-23T10:00:00.1Z x", 1795428000100, "", "x");
	check("2026-11-23T10:00:00.1234567891234Z x", 1795428000123, "", "x");
	check("[2026-11-23 10:00:00,123] ERROR kafka", 1795428000123, "ERROR", "kafka");
	check("2026-11-23 10:00:00 level=error msg=bad", 1795428000000, "ERROR", "msg=bad");
	check("time=\"2026-11-23T10:00:00Z\" level=warn msg=x", 1795428000000, "WARN", "msg=x");
	check("ts=2026-11-23T10:00:00Z level=\"info\" msg=x", 1795428000000, "INFO", "msg=x");
	check("2026-11-23T10:00:00Z INFORMATIONAL x", 1795428000000, "", "INFORMATIONAL x");
	check("2026-11-23T10:00:00Z [thread-1] INFO x", 1795428000000, "", "[thread-1] INFO x");
}

static void
test_invalid_dates(void)
{
	const char *bad[] = {
		"2026-13-01T00:00:00Z x", "2026-00-10T00:00:00Z x",
		"2026-02-30T00:00:00Z x", "2025-02-29T00:00:00Z x",
		"1900-02-29T00:00:00Z x", "2026-04-31T00:00:00Z x",
		"2026-11-23T25:00:00Z x", "2026-11-23T24:00:00Z x",
		"2026-11-23T10:60:00Z x", "2026-11-23T10:00:61Z x",
		"2026-11-23T10:00:00+24:00 x", "2026-11-23T10:00:00+01:6 x",
		"2026-11-23T10:00:00Zfoo", "2026-11-23T10:00 x", "2026-11-23 x",
		"2026-11-23X10:00:00Z x", "26-11-23T10:00:00Z x",
		"2026-11-00T00:00:00Z x",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!parse(bad[i]).has_ts, "impossible or malformed: %s", bad[i]);
	ok(parse("2026-11-23T23:59:60Z leap").has_ts, "a leap second is accepted");
}

static void
test_syslog(void)
{
	struct logline_context newyear = { 1767225601000 };      /* 2026-01-01 00:00:01 */
	struct logline_context eve = { 1767225598000 };          /* 2025-12-31 23:59:58 */
	struct logline_context march25 = { 1740787200000 };      /* 2025-03-01 */
	struct logline_context march24 = { 1709251200000 };      /* 2024-03-01 */
	struct logline ll;

	check("Nov 23 10:00:01 host prog[123]: message", 1795428001000, "", "message");
	check("Nov 23 10:00:01 host sshd[9]: error: auth failed", 1795428001000, "ERROR",
	      "auth failed");
	check("Nov 23 10:00:01 host kernel: [WARNING] hot", 1795428001000, "WARN", "hot");
	check("Nov 24 09:00:00 host a: x", 1795510800000, "", "x");
	check("Nov 24 11:00:00 host a: x", 1763982000000, "", "x");
	check("Nov 23 10:00:01 host no tag here", 1795428001000, "", "no tag here");
	check("Feb 30 10:00:01 host a: x", -1, "", "Feb 30 10:00:01 host a: x");
	check("Nov 23 10:00:01 host2 a: x", 1795428001000, "", "x");
	check("Nov 23 25:00:01 host a: x", -1, "", "Nov 23 25:00:01 host a: x");
	check("Nov 32 10:00:01 host a: x", -1, "", "Nov 32 10:00:01 host a: x");
	check("nov 23 10:00:01 host a: x", -1, "", "nov 23 10:00:01 host a: x");

	ll = parse_ctx("Dec 31 23:59:58 host a: x", &newyear);
	is_int(ll.ts_ms, 1767225598000, "Dec 31 read on Jan 1 is last year's");
	ll = parse_ctx("Jan  1 00:00:01 host a: x", &eve);
	is_int(ll.ts_ms, 1767225601000, "Jan 1 read a moment early is this year's");
	ll = parse_ctx("Dec 31 23:59:58 host a: x", &eve);
	is_int(ll.ts_ms, 1767225598000, "Dec 31 read on Dec 31 is this year's");
	ll = parse_ctx("Jan  5 00:00:00 host a: x", &eve);
	is_int(ll.ts_ms, 1736035200000, "Jan 5 read on Dec 31 is this year's January");
	ll = parse_ctx("Feb 29 12:00:00 host a: x", &march24);
	is_int(ll.ts_ms, 1709208000000, "Feb 29 in a leap year");
	ll = parse_ctx("Feb 29 12:00:00 host a: x", &march25);
	is_int(ll.ts_ms, 1709208000000, "Feb 29 read in 2025 is 2024's");
	ll = parse("Feb 29 12:00:00 host a: x");
	ok(!ll.has_ts && ll.msg_off > 0, "Feb 29 read in 2026: no such day nearby, no ts");
	ll = parse_ctx("Nov 23 10:00:01 host a: x", NULL);
	ok(!ll.has_ts && strcmp("Nov 23 10:00:01 host a: x" + ll.msg_off, "x") == 0,
	   "no context: no year, so no ts, message still found");

	check("<34>1 2026-11-23T10:00:01.003Z host app 123 ID47 - message", 1795428001003,
	      "CRITICAL", "message");
	check("<165>1 2026-11-23T10:00:01.003Z h a - - [ex@1 k=\"v\\]\"] msg", 1795428001003,
	      "NOTICE", "msg");
	check("<11>1 - h a - - - nil stamp", -1, "ERROR", "nil stamp");
	check("<12>Nov 23 10:00:01 host a: x", 1795428001000, "WARN", "x");
	check("<14>Nov 23 10:00:01 host a: debug x", 1795428001000, "DEBUG", "x");
	check("<999>1 x", -1, "", "<999>1 x");
	check("<7> free text", -1, "DEBUG", " free text");
	ll = parse("<34>1 2026-11-23T10:00:01Z h a p m - x");
	is_int((long long)ll.level_len, 4, "priority is the level's spelling");
}

static void
test_clf(void)
{
	check("127.0.0.1 - frank [23/Nov/2026:10:00:00 +0100] \"GET /x HTTP/1.1\" 500 2326",
	      1795424400000, "ERROR", "\"GET /x HTTP/1.1\" 500 2326");
	check("::1 - - [23/Nov/2026:10:00:00 -0000] \"GET / HTTP/1.1\" 404 0 \"-\" \"curl\"",
	      1795428000000, "WARN", "\"GET / HTTP/1.1\" 404 0 \"-\" \"curl\"");
	check("h - - [23/Nov/2026:10:00:00 +0000] \"GET /a\\\"b HTTP/1.1\" 200 1", 1795428000000,
	      "INFO", "\"GET /a\\\"b HTTP/1.1\" 200 1");
	check("h - - [23/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 302", 1795428000000,
	      "INFO", "\"GET / HTTP/1.1\" 302");
	check("h - - [23/Nov/2026:10:00:00 +0000] \"GET", 1795428000000, "", "\"GET");
	check("h - - [31/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 500 1", -1, "",
	      "h - - [31/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 500 1");
}

static void
test_glog_and_leading(void)
{
	struct logline ll;

	check("E1123 10:00:00.123456  1234 main.cc:42] boom", 1795428000123, "ERROR", "boom");
	check("I1123 09:00:00.000001 7 a.go:1] ok", 1795424400000, "INFO", "ok");
	check("F1123 10:00:00.000000 7 a.go:1] dead", 1795428000000, "CRITICAL", "dead");
	check("W1301 10:00:00.000000 7 a.go:1] x", -1, "", "W1301 10:00:00.000000 7 a.go:1] x");

	check("ERROR something", -1, "ERROR", "something");
	check("[error] something", -1, "ERROR", "something");
	check("Warning: disk", -1, "WARN", "disk");
	check("level=fatal msg=x", -1, "CRITICAL", "msg=x");
	check("ERRORS are fine", -1, "", "ERRORS are fine");
	check("[ERROR something", -1, "", "[ERROR something");
	ll = parse("  WaRn x");
	is_int((long long)ll.level_off, 2, "original spelling offset");
	is_int((long long)ll.level_len, 4, "original spelling length");
}

static void
test_level_table(void)
{
	static const struct { const char *word, *want; } table[] = {
		{ "trace", "TRACE" }, { "DEBUG", "DEBUG" }, { "dbg", "DEBUG" },
		{ "Info", "INFO" }, { "NOTICE", "NOTICE" }, { "warn", "WARN" },
		{ "WARNING", "WARN" }, { "err", "ERROR" }, { "ERROR", "ERROR" },
		{ "crit", "CRITICAL" }, { "CRITICAL", "CRITICAL" }, { "fatal", "CRITICAL" },
		{ "alert", "CRITICAL" }, { "emerg", "CRITICAL" }, { "PANIC", "CRITICAL" },
		{ "verbose", "" }, { "E", "" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		snprintf(buf, sizeof(buf), "%s: x", table[i].word);
		is_str(logline_level_name(parse(buf).level), table[i].want, buf);
	}
	is_str(logline_level_name((enum logline_level)99), "", "out of range name");
}

static void
test_garbage(void)
{
	static const char *lines[] = { "", " ", "\t\t", "{\"ts\":1}", "<", "<1", "<>",
				       "2026-", "Nov", "Nov 2", "[", "level=", "E1" };
	unsigned char bin[4096];
	struct logline ll;
	char *huge;
	size_t n = 8u << 20;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		ll = parse(lines[i]);
		ok(!ll.has_ts && ll.msg_off <= strlen(lines[i]), "garbage: '%s'", lines[i]);
	}
	srand(7);
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(bin); i++)
			bin[i] = (unsigned char)rand();
		logline_parse((const char *)bin, sizeof(bin), &ctx_now, &ll);
		if (ll.msg_off > sizeof(bin) || ll.level_off + ll.level_len > sizeof(bin))
			break;
	}
	ok(1, "random binary lines parse without harm");
	huge = malloc(n);
	memset(huge, ' ', n);
	logline_parse(huge, n, &ctx_now, &ll);
	ok(!ll.has_ts && ll.level == LOGLINE_LEVEL_NONE, "8 MiB of blanks");
	memcpy(huge, "2026-11-23T10:00:00Z ", 21);
	memset(huge + 21, 'x', n - 21);
	logline_parse(huge, n, &ctx_now, &ll);
	ok(ll.has_ts && ll.msg_off == 21, "8 MiB line with a stamp");
	free(huge);
}

/*
 * Every prefix of a valid line, copied to an exact-size heap block so
 * valgrind and ASan see any read past len. Before the seconds are complete
 * there can be no ts, and offsets never pass the prefix.
 */
static void
test_prefixes(const char *line, size_t stamp_min)
{
	size_t n = strlen(line);
	int bad = 0;

	for (size_t len = 0; len <= n; len++) {
		char *copy = malloc(len ? len : 1);
		struct logline ll;

		memcpy(copy, line, len);
		logline_parse(copy, len, &ctx_now, &ll);
		if ((len < stamp_min && ll.has_ts) || ll.msg_off > len ||
		    ll.level_off + ll.level_len > len)
			bad++;
		free(copy);
	}
	ok(bad == 0, "every prefix of '%s' (%d bad)", line, bad);
}

static void
test_format(void)
{
	char buf[TIMEFMT_RFC3339_SIZE];

	logline_format_ts(1795424400123, buf);
	is_str(buf, "2026-11-23T09:00:00.123Z", "format ts");
	logline_format_ts(parse("2024-02-29T23:59:59.999-05:30 x").ts_ms, buf);
	is_str(buf, "2024-03-01T05:29:59.999Z", "round trip through format");
	is_int(logline_days_from_civil(1970, 1, 1), 0, "epoch day");
	is_int(logline_days_from_civil(1969, 12, 31), -1, "day before the epoch");
	is_int(logline_days_from_civil(2000, 3, 1), 11017, "2000-03-01");
}

int
main(void)
{
	test_iso();
	test_invalid_dates();
	test_syslog();
	test_clf();
	test_glog_and_leading();
	test_level_table();
	test_garbage();
	test_prefixes("2026-11-23T10:00:00.123+01:00 ERROR x", 19);
	test_prefixes("2026-11-23 10:00:00,123 [WARN] x", 19);
	test_prefixes("Nov 23 10:00:01 host prog[1]: error: x", 15);
	test_prefixes("<34>1 2026-11-23T10:00:01.003Z host app 123 ID47 - m", 25);
	test_prefixes("127.0.0.1 - f [23/Nov/2026:10:00:00 +0100] \"GET / HTTP/1.1\" 500 1", 42);
	test_prefixes("E1123 10:00:00.123456  1234 main.cc:42] boom", 14);
	test_prefixes("time=\"2026-11-23T10:00:00Z\" level=warn msg=x", 27);
	test_prefixes("[2026-11-23 10:00:00,123] ERROR kafka", 25);
	test_format();
	return tap_done();
}
