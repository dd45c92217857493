/* timefmt.h: RFC 3339 UTC timestamps with milliseconds, as records use. */
#ifndef CODE_TIMEFMT_H
#define CODE_TIMEFMT_H

#include <stdint.h>

#define TIMEFMT_RFC3339_SIZE 32

/* Milliseconds since the epoch, from the real-time clock. */
int64_t timefmt_now_ms(void);
/* Writes "2026-11-23T10:00:00.123Z". */
void timefmt_rfc3339(int64_t epoch_ms, char out[TIMEFMT_RFC3339_SIZE]);

#endif
