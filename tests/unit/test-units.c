/* test-units.c: durations and sizes as people write them. */
#include <stdint.h>
#include <string.h>

#include "libcommon/units.h"
#include "tests/lib/tap.h"

static void
duration_is(const char *s, long long want_ms)
{
	uint64_t ms = 0;
	int ret = units_parse_duration_ms(s, &ms);

	if (want_ms < 0) {
		ok(ret < 0, "'%s' is not a duration", s);
		return;
	}
	ok(ret == 0 && (long long)ms == want_ms, "'%s' is %lld ms (got %llu)", s,
	   want_ms, (unsigned long long)ms);
}

static void
size_is(const char *s, long long want)
{
	uint64_t n = 0;
	int ret = units_parse_size(s, &n);

	if (want < 0) {
		ok(ret < 0, "'%s' is not a size", s);
		return;
	}
	ok(ret == 0 && (long long)n == want, "'%s' is %lld bytes (got %llu)", s,
	   want, (unsigned long long)n);
}

int
main(void)
{
	uint64_t ns;
	char buf[64];

	duration_is("250ms", 250);
	duration_is("5s", 5000);
	duration_is("2m", 120000);
	duration_is("1h", 3600000);
	duration_is("1d", 86400000);
	duration_is("1m30s", 90000);
	duration_is("1.5s", 1500);
	duration_is("0.25s", 250);
	duration_is("30", 30000);
	duration_is("0", 0);
	duration_is("", -1);
	duration_is("ms", -1);
	duration_is("5x", -1);
	duration_is("5 s", -1);
	duration_is("-5s", -1);
	duration_is("5sec", -1);
	duration_is("1.s", -1);
	duration_is("10m5", -1);
	duration_is("99999999999999999999s", -1);
	ok(units_parse_duration_ns("100us", &ns) == 0 && ns == 100000, "'100us' is 100000 ns");
	ok(units_parse_duration_ns("7ns", &ns) == 0 && ns == 7, "'7ns' is 7 ns");
	ok(units_parse_duration_ns("300000d", &ns) < 0, "overflowing days are rejected");

	size_is("512", 512);
	size_is("512K", 512 * 1024);
	size_is("20M", 20LL << 20);
	size_is("1G", 1LL << 30);
	size_is("2T", 2LL << 40);
	size_is("1k", 1024);
	size_is("20MB", 20LL << 20);
	size_is("20MiB", 20LL << 20);
	size_is("1.5K", 1536);
	size_is("", -1);
	size_is("M", -1);
	size_is("20X", -1);
	size_is("-1", -1);
	size_is("99999999999T", -1);

	units_format_duration_ms(300000, buf, sizeof(buf));
	is_str(buf, "5m", "300000 ms formats as 5m");
	units_format_duration_ms(5400250, buf, sizeof(buf));
	is_str(buf, "1h30m250ms", "mixed units format exactly");
	units_format_duration_ms(0, buf, sizeof(buf));
	is_str(buf, "0s", "zero formats as 0s");
	units_format_size(64u << 20, buf, sizeof(buf));
	is_str(buf, "64 MiB", "64 MiB formats in MiB");
	units_format_size(1000, buf, sizeof(buf));
	is_str(buf, "1000 bytes", "a size that is no whole unit stays in bytes");
	units_format_size(1, buf, sizeof(buf));
	is_str(buf, "1 byte", "one byte is singular");
	return tap_done();
}
