/* fuzz-logline.c: libFuzzer target checking the log line parser's invariants on arbitrary bytes. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/logline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-11-23T10:00:00Z and 2026-01-01T00:00:01Z: ordinary and New Year rollover. */
static const struct logline_context fuzz_ctx[2] = { { INT64_C(1795428000000) },
						    { INT64_C(1767225601000) } };

/* Offsets stay inside the line, a level always has its spelling, a ts formats. */
static void
fuzz_check(const char *line, size_t size, const struct logline_context *ctx)
{
	char ts[TIMEFMT_RFC3339_SIZE];
	struct logline ll;

	logline_parse(line, size, ctx, &ll);
	assert(ll.msg_off <= size);
	assert(ll.level_off <= size && ll.level_len <= size - ll.level_off);
	assert((ll.level == LOGLINE_LEVEL_NONE) == (ll.level_len == 0));
	assert(logline_level_name(ll.level)[0] != '\0' || ll.level == LOGLINE_LEVEL_NONE);
	assert(ll.has_ts || ll.ts_ms == 0);
	if (ll.has_ts) {
		/* Four-digit years only: anything else is a parser bug. */
		assert(ll.ts_ms >= INT64_C(-62167305600000) - 86400000 &&
		       ll.ts_ms <= INT64_C(253402300800000) + 86400000);
		logline_format_ts(ll.ts_ms, ts);
		assert(strlen(ts) == TIMEFMT_RFC3339_SIZE - 8);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so ASan sees any read past the length. */
	char *line = malloc(size ? size : 1);

	memcpy(line, data, size);
	fuzz_check(line, size, &fuzz_ctx[0]);
	fuzz_check(line, size, &fuzz_ctx[1]);
	fuzz_check(line, size, NULL);
	free(line);
	return 0;
}
