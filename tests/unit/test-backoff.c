/* test-backoff.c: full-jitter retry delays stay under a doubling, capped ceiling. */
#include <limits.h>
#include <stdint.h>

#include "libcommon/backoff.h"
#include "tests/lib/tap.h"

static void
test_ceiling(void)
{
	struct backoff b;
	unsigned a;
	int doubling = 1;

	backoff_init(&b, 100, 10000, 1);
	is_int(backoff_ceiling_ms(&b, 0), 100, "attempt 0: base");
	is_int(backoff_ceiling_ms(&b, 1), 200, "attempt 1: twice base");
	is_int(backoff_ceiling_ms(&b, 6), 6400, "attempt 6: base * 64");
	is_int(backoff_ceiling_ms(&b, 7), 10000, "attempt 7: capped");
	for (a = 0; a < 6; a++)
		if (backoff_ceiling_ms(&b, a + 1) != 2 * backoff_ceiling_ms(&b, a))
			doubling = 0;
	ok(doubling, "the ceiling doubles until the cap");
	is_int(backoff_ceiling_ms(&b, 62), 10000, "attempt 62: capped");
	is_int(backoff_ceiling_ms(&b, 63), 10000, "attempt 63: capped, no overflow");
	is_int(backoff_ceiling_ms(&b, UINT_MAX), 10000, "attempt UINT_MAX: capped");

	backoff_init(&b, 3, INT64_MAX, 1);
	is_int(backoff_ceiling_ms(&b, 61), (int64_t)3 << 61, "huge cap: 3 * 2^61");
	is_int(backoff_ceiling_ms(&b, 62), INT64_MAX, "huge cap: 3 * 2^62 overflows to the cap");
	is_int(backoff_ceiling_ms(&b, UINT_MAX), INT64_MAX, "huge cap: UINT_MAX attempts");
	ok(backoff_delay_ms(&b, UINT_MAX) >= 0, "a delay under INT64_MAX is not negative");

	backoff_init(&b, 500, 100, 1);
	is_int(b.cap_ms, 500, "cap below base is raised to base");
	is_int(backoff_ceiling_ms(&b, 3), 500, "so every ceiling is base");
}

static void
test_zero_base(void)
{
	struct backoff b;
	unsigned a;
	int zero = 1;

	backoff_init(&b, 0, 1000, 5);
	for (a = 0; a < 100; a++)
		if (backoff_delay_ms(&b, a) != 0 || backoff_ceiling_ms(&b, a) != 0)
			zero = 0;
	ok(zero, "base 0: every delay is 0");
	backoff_init(&b, -5, 1000, 5);
	is_int(backoff_delay_ms(&b, 3), 0, "base < 0: delay 0");
}

static void
test_range_and_mean(void)
{
	struct backoff b;
	unsigned a;
	int i, inside = 1, hit0 = 0, hittop = 0;
	double sum;

	backoff_init(&b, 10, 5000, 42);
	for (a = 0; a < 40; a++) {
		int64_t c = backoff_ceiling_ms(&b, a);

		for (i = 0; i < 2000; i++) {
			int64_t d = backoff_delay_ms(&b, a);

			if (d < 0 || d > c)
				inside = 0;
		}
	}
	ok(inside, "every delay is within [0, ceiling]");

	backoff_init(&b, 1, 1, 7);
	for (i = 0; i < 1000; i++) {
		int64_t d = backoff_delay_ms(&b, 0);

		hit0 |= d == 0;
		hittop |= d == 1;
	}
	ok(hit0 && hittop, "both ends of [0, ceiling] occur");

	backoff_init(&b, 1000, 60000, 99);
	for (a = 0; a < 8; a += 7) {
		double c = (double)backoff_ceiling_ms(&b, a);

		sum = 0;
		for (i = 0; i < 20000; i++)
			sum += (double)backoff_delay_ms(&b, a);
		sum /= 20000;
		ok(sum > 0.45 * c && sum < 0.55 * c,
		   "attempt %u: mean %.0f near half the ceiling %.0f", a, sum, c);
	}
}

static void
test_seeds(void)
{
	struct backoff x, y;
	int i, same = 1, differ = 0, unseeded_differ = 0;

	backoff_init(&x, 100, 100000, 1234);
	backoff_init(&y, 100, 100000, 1234);
	for (i = 0; i < 200; i++)
		if (backoff_delay_ms(&x, (unsigned)i % 12) !=
		    backoff_delay_ms(&y, (unsigned)i % 12))
			same = 0;
	ok(same, "one seed gives one sequence");
	backoff_init(&y, 100, 100000, 1235);
	backoff_init(&x, 100, 100000, 1234);
	for (i = 0; i < 200; i++)
		if (backoff_delay_ms(&x, 10) != backoff_delay_ms(&y, 10))
			differ = 1;
	ok(differ, "another seed gives another sequence");
	backoff_init(&x, 100, 100000, 0);
	backoff_init(&y, 100, 100000, 0);
	ok(x.rng != 0 && y.rng != 0, "seed 0: the state is never 0");
	for (i = 0; i < 200; i++)
		if (backoff_delay_ms(&x, 10) != backoff_delay_ms(&y, 10))
			unseeded_differ = 1;
	ok(unseeded_differ, "seed 0: two backoffs pick different seeds");
}

int
main(void)
{
	test_ceiling();
	test_zero_base();
	test_range_and_mean();
	test_seeds();
	return tap_done();
}
