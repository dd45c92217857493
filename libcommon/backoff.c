/* backoff.c: retry delays, exponential with full jitter. */
#include "libcommon/backoff.h"

#include <time.h>
#include <unistd.h>

/* splitmix64's finaliser: spreads close seeds (a clock, a pid) over all bits. */
static uint64_t
mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* xorshift64* (Vigna); the state must never be 0, which it then never leaves. */
static uint64_t
next64(uint64_t *x)
{
	if (*x == 0)
		*x = 0x9e3779b97f4a7c15ULL;
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

void
backoff_init(struct backoff *b, int64_t base_ms, int64_t cap_ms, uint64_t seed)
{
	struct timespec ts;

	b->base_ms = base_ms;
	b->cap_ms = cap_ms < base_ms ? base_ms : cap_ms;
	if (seed == 0) {
		/* Processes started together by one script must still differ. */
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		seed ^= (uint64_t)getpid() << 32;
		seed ^= (uint64_t)(uintptr_t)b;
	}
	b->rng = mix64(seed);
	if (b->rng == 0)
		b->rng = 1;
}

int64_t
backoff_ceiling_ms(const struct backoff *b, unsigned attempt)
{
	int64_t cap = b->cap_ms < b->base_ms ? b->base_ms : b->cap_ms;

	if (b->base_ms <= 0)
		return 0;
	/* base * 2^attempt <= cap exactly when base <= floor(cap / 2^attempt). */
	if (attempt >= 63 || b->base_ms > (cap >> attempt))
		return cap;
	return b->base_ms << attempt;
}

int64_t
backoff_delay_ms(struct backoff *b, unsigned attempt)
{
	uint64_t range, limit, x;
	int64_t ceiling = backoff_ceiling_ms(b, attempt);

	if (ceiling <= 0)
		return 0;
	range = (uint64_t)ceiling + 1;
	/* Rejecting the low 2^64 mod range values keeps every delay equally likely. */
	limit = -range % range;
	do
		x = next64(&b->rng);
	while (x < limit);
	return (int64_t)(x % range);
}
