/* test-bench-stats.c: code-bench's statistics against hyperfine and known values. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/bench/stats.h"
#include "tests/lib/tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Whether got is within rel (relative) of want, with a diagnostic if not. */
static bool
near(double got, double want, double rel)
{
	double tol = rel * fmax(fabs(want), 1e-300);

	if (fabs(got - want) <= tol)
		return true;
	tap_diag("got %.17g, want %.17g (rel %.1g)", got, want, rel);
	return false;
}

/* Whether got printed to digits after the point reads as printed. */
static bool
prints_as(double got, int digits, const char *printed)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", digits, got);
	if (strcmp(buf, printed) == 0)
		return true;
	tap_diag("got %s, want %s", buf, printed);
	return false;
}

static void
test_summary(void)
{
	double odd[] = { 3.0, 1.0, 2.0 };
	double even[] = { 4.0, 1.0, 3.0, 2.0 };
	double one[] = { 0.5 };
	struct stats_summary s;

	stats_summarize(odd, N(odd), &s);
	ok(s.n == 3 && s.mean == 2.0 && s.median == 2.0 && s.min == 1.0 &&
	   s.max == 3.0, "odd n: mean 2, median the middle one, min 1, max 3");
	ok(s.stddev == 1.0, "odd n: sample stddev (n - 1) is 1");
	ok(odd[0] == 3.0 && odd[1] == 1.0 && odd[2] == 2.0,
	   "the samples are left in their order");

	stats_summarize(even, N(even), &s);
	ok(s.median == 2.5, "even n: median is the mean of the middle two");
	ok(s.mean == 2.5 && s.min == 1.0 && s.max == 4.0, "even n: mean, min, max");
	ok(near(s.stddev, sqrt(5.0 / 3.0), 1e-15), "even n: stddev sqrt(5/3), not sqrt(5/4)");

	stats_summarize(one, N(one), &s);
	ok(s.n == 1 && s.mean == 0.5 && s.median == 0.5 && s.min == 0.5 &&
	   s.max == 0.5 && s.stddev == 0.0, "n = 1: all 0.5, stddev 0");
}

static void
test_outliers(void)
{
	/* hyperfine's own cases (src/outlier_detection.rs). */
	double one[] = { 50.0 };
	double two[] = { 1000.0, 0.0 };
	double low[] = { -0.2, 0.0, 0.2 };
	double low_out[] = { -0.2, 0.0, 0.2, 4.0 };
	double five[] = { 0.5, 0.30, 0.29, 0.31, 0.30 };
	double normal[] = { 2.33269488, 1.42195907, -0.57527698, -0.31293437,
			    2.2948158, 0.75813273, -1.0712388, -0.96394741,
			    -1.15897446, 1.10976285, 20.0, -500.0 };
	double mad0[] = { 10, 10, 10, 10, 10, 10, 10, 100, 100 };
	double constant[] = { 7, 7, 7, 7, 7 };
	/* median 3.5, MAD 1.5: outliers lie beyond 3.5 + 14.826 * 1.5 = 25.739 */
	double edge[] = { 1, 2, 3, 4, 5, 25.7 };

	is_int(stats_count_outliers(NULL, 0), 0, "no samples, no outliers");
	is_int(stats_count_outliers(one, N(one)), 0, "one sample, no outlier");
	is_int(stats_count_outliers(two, N(two)), 0, "two samples, no outlier");
	is_int(stats_count_outliers(low, N(low)), 0, "low variance, no outlier");
	is_int(stats_count_outliers(low_out, N(low_out)), 1, "4.0 among -0.2, 0, 0.2");
	is_int(stats_count_outliers(five, N(five)), 1, "0.5 among 0.3 +- 0.01");
	is_int(stats_count_outliers(normal, 10), 0, "normal sample: none");
	is_int(stats_count_outliers(normal, N(normal)), 2, "normal sample with 20 and -500: two");
	is_int(stats_count_outliers(mad0, 8), 1, "MAD 0: the one 100 among 10s (hyperfine)");
	is_int(stats_count_outliers(mad0, 9), 2, "MAD 0: both 100s among 10s (hyperfine)");
	is_int(stats_count_outliers(constant, N(constant)), 0, "constant samples: none");
	is_int(stats_count_outliers(edge, N(edge)), 0, "25.7: |z| = 14.8 < 14.826, not an outlier");
	edge[5] = 25.8;
	is_int(stats_count_outliers(edge, N(edge)), 1, "25.8: |z| = 14.84 > 14.826, an outlier");
	/* below, the median moves to 2.5 and the MAD stays 1.5: 2.5 - 22.239 */
	edge[5] = -19.7;
	is_int(stats_count_outliers(edge, N(edge)), 0, "-19.7: not an outlier");
	edge[5] = -19.8;
	is_int(stats_count_outliers(edge, N(edge)), 1, "-19.8 below: an outlier");
}

static void
test_relative(void)
{
	struct stats_summary slow = { .n = 10, .mean = 2.0, .stddev = 0.2 };
	struct stats_summary fast = { .n = 10, .mean = 1.0, .stddev = 0.05 };
	struct stats_summary zero = { .n = 10 };
	double r, sigma;

	/* 2 * sqrt(0.1^2 + 0.05^2) = 2 * sqrt(0.0125) */
	stats_relative(&slow, &fast, &r, &sigma);
	ok(r == 2.0, "ratio is mean_slow / mean_fast");
	ok(near(sigma, 0.22360679774997896, 1e-15), "sigma = ratio * sqrt(sum of squared CVs)");

	slow.mean = 3.0;
	slow.stddev = 1.0;
	fast.mean = 2.0;
	fast.stddev = 1.0;
	stats_relative(&slow, &fast, &r, &sigma);
	/* 1.5 * sqrt(1/9 + 1/4) = 1.5 * sqrt(13) / 6 */
	ok(r == 1.5 && near(sigma, sqrt(13.0) / 4.0, 1e-15), "hyperfine's 3 vs 2: 1.5 +- 0.901");

	stats_relative(&fast, &fast, &r, &sigma);
	ok(r == 1.0 && near(sigma, sqrt(2.0) / 2.0, 1e-15), "a command against itself: 1");

	stats_relative(&zero, &zero, &r, &sigma);
	ok(r == 1.0 && sigma == 0.0, "both means 0: ratio 1, sigma 0");
	stats_relative(&slow, &zero, &r, &sigma);
	ok(isinf(r) && sigma == 0.0, "fast mean 0: ratio infinite, sigma 0");
}

static void
test_betai(void)
{
	static const struct {
		double a, b, x, want;
	} known[] = {
		/* mpmath.betainc(a, b, 0, x, regularized=True), 40 digits */
		{ 2, 3, 0.4, 0.5248 },
		{ 0.5, 0.5, 0.3, 0.36901011956554537504 },
		{ 5, 0.5, 0.9, 0.3166429150200123125 },
		{ 10, 10, 0.3, 0.032553356881300947854 },
		{ 0.5, 7.5, 0.05, 0.61171409884410775148 },
		{ 50, 0.5, 0.99, 0.3173043978741973734 },
		{ 3.7, 2.2, 0.61, 0.43823190358073886105 },
		{ 100, 100, 0.45, 0.078387932712220530466 },
		{ 500000, 0.5, 0.999996, 0.045500101923155165994 },
	};
	double xs[] = { 0.01, 0.25, 0.5, 0.7, 0.999 };
	bool all;
	size_t i;

	ok(near(stats_betai(1, 1, 0.5), 0.5, 1e-15), "I_0.5(1, 1) = 0.5");
	ok(near(stats_betai(10, 10, 0.5), 0.5, 1e-13), "I_0.5(10, 10) = 0.5");
	ok(near(stats_betai(0.001, 0.001, 0.5), 0.5, 1e-13), "I_0.5(0.001, 0.001) = 0.5");
	for (all = true, i = 0; i < N(xs); i++)
		all &= near(stats_betai(2.5, 1, xs[i]), pow(xs[i], 2.5), 1e-13);
	ok(all, "I_x(a, 1) = x^a");
	for (all = true, i = 0; i < N(xs); i++)
		all &= near(stats_betai(1, 3.5, xs[i]), 1 - pow(1 - xs[i], 3.5), 1e-13);
	ok(all, "I_x(1, b) = 1 - (1 - x)^b");
	/* absolute: 1 - I loses relative precision where I is near 1 */
	for (all = true, i = 0; i < N(xs); i++)
		all &= fabs(stats_betai(4.2, 1.7, xs[i]) +
			    stats_betai(1.7, 4.2, 1 - xs[i]) - 1) < 1e-15;
	ok(all, "I_x(a, b) = 1 - I_{1-x}(b, a)");
	for (all = true, i = 0; i < N(known); i++)
		all &= near(stats_betai(known[i].a, known[i].b, known[i].x),
			    known[i].want, 1e-10);
	ok(all, "I_x(a, b) matches mpmath to 1e-10, up to a = 500000");
	ok(stats_betai(2, 3, 0) == 0.0 && stats_betai(2, 3, 1) == 1.0,
	   "I_0 = 0 and I_1 = 1");
	ok(stats_betai(2, 3, -0.5) == 0.0 && stats_betai(2, 3, 1.5) == 1.0,
	   "x outside [0, 1] is clamped");
	ok(isnan(stats_betai(0, 3, 0.5)) && isnan(stats_betai(2, -1, 0.5)) &&
	   isnan(stats_betai(2, 3, NAN)), "a or b not positive, or x NaN: NaN");
}

static void
test_welch(void)
{
	/* The three examples of Wikipedia's "Welch's t-test". */
	static const double d1[] = { 27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
				     21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4 };
	static const double d2[] = { 27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
				     24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4 };
	static const double d3[] = { 17.2, 20.9, 22.6, 18.1, 21.7, 21.4, 23.5, 24.2,
				     14.7, 21.8 };
	static const double d4[] = { 21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5, 20.7,
				     23.4, 21.8, 20.7, 21.7, 21.5, 22.5, 23.6, 21.5,
				     22.5, 23.5, 21.5, 21.8 };
	static const double d5[] = { 19.8, 20.4, 19.6, 17.8, 18.5, 18.9, 18.3, 18.9,
				     19.5, 22.0 };
	static const double d6[] = { 28.2, 26.6, 20.1, 23.3, 25.2, 22.1, 17.7, 27.6,
				     20.6, 13.7, 23.2, 17.5, 20.6, 18.0, 23.9, 21.6,
				     24.3, 20.4, 24.0, 13.2 };
	static const struct {
		const double *a, *b;
		size_t na, nb;
		/* mpmath at 40 digits, and as Wikipedia prints them */
		double t, df, p;
		const char *pt, *pdf, *pp;
	} ex[] = {
		{ d1, d2, N(d1), N(d2), -2.4553563982860050625, 24.988529290231414357,
		  0.021378001462867032492, "-2.46", "25.0", "0.021" },
		{ d3, d4, N(d3), N(d4), -1.5654335235985052123, 9.9047412486508288651,
		  0.14884169660532798508, "-1.57", "9.9", "0.149" },
		{ d5, d6, N(d5), N(d6), -2.2192409158236248993, 24.49622312420123932,
		  0.03597227102979671806, "-2.22", "24.5", "0.036" },
	};
	static const double c1[] = { 1, 1, 1 }, c2[] = { 2, 2, 2, 2 }, v[] = { 1, 2, 3 };
	static const double pair[] = { 0, 2 }, zeros[] = { 0, 0 };
	struct stats_summary a, b;
	double t, df, p, t2, df2, p2;
	size_t i;
	char name[64];

	for (i = 0; i < N(ex); i++) {
		stats_summarize(ex[i].a, ex[i].na, &a);
		stats_summarize(ex[i].b, ex[i].nb, &b);
		ok(stats_welch(&a, &b, &t, &df, &p), "example %zu: defined", i + 1);
		snprintf(name, sizeof(name), "example %zu", i + 1);
		ok(near(t, ex[i].t, 1e-12) && near(df, ex[i].df, 1e-12) &&
		   near(p, ex[i].p, 1e-10), "%s: t, df, p to 1e-10", name);
		ok(prints_as(t, 2, ex[i].pt) && prints_as(df, 1, ex[i].pdf) &&
		   prints_as(p, (int)strlen(ex[i].pp) - 2, ex[i].pp),
		   "%s: t %s, df %s, p %s as printed", name, ex[i].pt, ex[i].pdf, ex[i].pp);
		stats_welch(&b, &a, &t2, &df2, &p2);
		ok(t2 == -t && df2 == df && p2 == p, "%s: swapped, t negated", name);
	}

	/* Large samples: df in the millions, where lgamma differences cancel. */
	a = (struct stats_summary){ .n = 1000000, .mean = 1.0, .stddev = 0.5 };
	b = (struct stats_summary){ .n = 1000000, .mean = 1.001, .stddev = 0.5 };
	stats_welch(&a, &b, &t, &df, &p);
	ok(near(t, -1.4142135623730950488, 1e-9) && near(df, 1999998.0, 1e-12) &&
	   near(p, 0.15729936271573395165, 1e-9), "n = 10^6: p = 0.1573 to 1e-9");
	a.n = b.n = 100000;
	b.mean = 1.01;
	stats_welch(&a, &b, &t, &df, &p);
	ok(near(p, 7.7484698169406622744e-6, 1e-9), "n = 10^5, t = -4.47: p = 7.748e-6");
	a = (struct stats_summary){ .n = 10, .mean = 0.0101, .stddev = 0.0004 };
	b = (struct stats_summary){ .n = 3, .mean = 0.0100, .stddev = 0.0001 };
	stats_welch(&a, &b, &t, &df, &p);
	ok(near(t, 0.71919495222807621398, 1e-10) && near(df, 10.993464052287581699, 1e-10) &&
	   near(p, 0.48702764559032046162, 1e-10), "millisecond timings, n 10 and 3");

	/* One side constant: df is the other's n - 1, closed forms for df 1, 2. */
	stats_summarize(c1, N(c1), &a);
	stats_summarize(v, N(v), &b);
	ok(stats_welch(&a, &b, &t, &df, &p), "one constant side: defined");
	/* t = -1 / sqrt(1/3); for df 2, p = 1 - |t| / sqrt(t^2 + 2) */
	ok(near(t, -sqrt(3.0), 1e-15) && near(df, 2.0, 1e-15) &&
	   near(p, 1 - sqrt(3.0) / sqrt(5.0), 1e-12), "df 2: p = 1 - sqrt(3/5)");
	stats_summarize(pair, N(pair), &a);
	stats_summarize(zeros, N(zeros), &b);
	/* t = 1, df 1 (Cauchy): p = 1 - (2 / pi) atan(1) = 0.5 */
	ok(stats_welch(&a, &b, &t, &df, &p) && t == 1.0 && near(df, 1.0, 1e-15) &&
	   near(p, 0.5, 1e-12), "df 1, t 1: p = 0.5");
	stats_summarize(v, N(v), &a);
	stats_welch(&a, &a, &t, &df, &p);
	ok(t == 0.0 && p == 1.0, "same sample: t 0, p 1");

	/* Undefined: p is 1 for equal means, 0 for a constant difference. */
	stats_summarize(c1, N(c1), &a);
	stats_summarize(c2, N(c2), &b);
	ok(!stats_welch(&a, &b, &t, &df, &p) && p == 0.0 && t == 0.0 && df == 0.0,
	   "constant 1 vs constant 2: undefined, p 0");
	ok(!stats_welch(&a, &a, &t, &df, &p) && p == 1.0, "constant vs the same: undefined, p 1");
	stats_summarize(v, 1, &a);
	stats_summarize(v, N(v), &b);
	ok(!stats_welch(&a, &b, &t, &df, &p) && p == 0.0, "n = 1 on one side: undefined");
	stats_summarize(v + 1, 1, &a);
	ok(!stats_welch(&a, &b, &t, &df, &p) && p == 1.0, "n = 1 with the same mean: p 1");
}

int
main(void)
{
	test_summary();
	test_outliers();
	test_relative();
	test_betai();
	test_welch();
	return tap_done();
}
