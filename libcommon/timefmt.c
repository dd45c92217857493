/* timefmt.c: RFC 3339 UTC timestamps with milliseconds, as records use. */
#include "libcommon/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t
timefmt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
timefmt_rfc3339(int64_t epoch_ms, char out[TIMEFMT_RFC3339_SIZE])
{
	time_t secs = (time_t)(epoch_ms / 1000);
	int ms = (int)(epoch_ms % 1000);
	struct tm tm;
	char tmp[128];

	if (ms < 0) {
		ms += 1000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	/* Formatted into room for any int, then cut: gcc cannot bound tm. */
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ms);
	memcpy(out, tmp, TIMEFMT_RFC3339_SIZE - 1);
	out[TIMEFMT_RFC3339_SIZE - 1] = '\0';
}
