/* backoff.h: retry delays, exponential with full jitter. */
#ifndef CODE_BACKOFF_H
#define CODE_BACKOFF_H

#include <stdint.h>

/*
 * "Full jitter" (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * the delay before retry number attempt (0 for the first retry) is uniform
 * in [0, min(cap_ms, base_ms * 2^attempt)], so many clients retrying the
 * same thing spread out instead of arriving together. Plain data.
 */
struct backoff {
	int64_t base_ms;
	int64_t cap_ms;
	uint64_t rng;       /* xorshift state; never 0 */
};

/* seed 0 picks one from the clock and pid. cap_ms < base_ms is raised to base_ms. */
void backoff_init(struct backoff *b, int64_t base_ms, int64_t cap_ms, uint64_t seed);
/* The delay before retry attempt (0-based); 0 when base_ms <= 0. No overflow for any attempt. */
int64_t backoff_delay_ms(struct backoff *b, unsigned attempt);
/* The upper bound used for attempt: min(cap, base * 2^attempt). */
int64_t backoff_ceiling_ms(const struct backoff *b, unsigned attempt);

#endif
