/* stats.h: the statistics of code-bench: hyperfine's summary, outliers, relative speed, Welch's t-test. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* The summary hyperfine prints and exports, of n > 0 samples (seconds). */
struct stats_summary {
	size_t n;
	double mean;
	double stddev;          /* sample standard deviation (n - 1); 0 when n == 1 */
	double median;
	double min;
	double max;
};

/* Sorts a copy; x is left as it is. All zero when n is 0. */
void stats_summarize(const double *x, size_t n, struct stats_summary *out);

/*
 * Outliers as hyperfine finds them: modified Z-scores ((x - median) / MAD,
 * unscaled) whose absolute value exceeds its OUTLIER_THRESHOLD, 1.4826 *
 * 10 (ten standard deviations estimated as 1.4826 * MAD). A MAD of 0 is
 * taken as DBL_EPSILON, as hyperfine does, so when most samples are equal
 * every other one is an outlier. Returns how many; 0 when n < 3.
 */
size_t stats_count_outliers(const double *x, size_t n);

/*
 * "A is ratio times as fast as B" with its uncertainty, as hyperfine
 * reports it: ratio = mean_slow / mean_fast, and
 * sigma = ratio * sqrt((sd_slow/mean_slow)^2 + (sd_fast/mean_fast)^2).
 * When a mean is 0 (hyperfine then shows no ratio), sigma is 0 and ratio
 * is the quotient, with 0 / 0 taken as 1.
 */
void stats_relative(const struct stats_summary *slow, const struct stats_summary *fast,
		    double *ratio, double *sigma);

/*
 * Welch's two-sample t-test of the means of a and b (sample variances,
 * Welch-Satterthwaite degrees of freedom). Fills the t statistic, the
 * degrees of freedom and the two-sided p-value (from the regularised
 * incomplete beta function, accurate to ~1e-10 up to 10^6 degrees of
 * freedom). Returns false when it is undefined (n < 2 in either, or both
 * variances 0): then t and df are 0, and p is 1 when the means are equal,
 * else 0 (a constant difference is certain).
 */
bool stats_welch(const struct stats_summary *a, const struct stats_summary *b,
		 double *t, double *df, double *p);

/*
 * The regularised incomplete beta function I_x(a, b), for tests: x is
 * clamped to [0, 1]; NaN when a or b is not positive.
 */
double stats_betai(double a, double b, double x);

#endif
