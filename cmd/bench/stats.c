/* stats.c: hyperfine's summary, outliers and relative speed, and Welch's t-test. */
#include "cmd/bench/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/xalloc.h"

/*
 * hyperfine's OUTLIER_THRESHOLD, spelt as it does so that the product
 * rounds the same: 1.4826 turns the MAD into a standard deviation, 10 is
 * how many of those make an outlier.
 */
#define OUTLIER_THRESHOLD (1.4826 * 10.0)

/* The continued fraction converges in O(sqrt(max(a, b))) steps. */
#define BETACF_MAXIT 100000
#define BETACF_EPS DBL_EPSILON
#define BETACF_FPMIN (DBL_MIN / DBL_EPSILON)

/* A total order, NaN last: qsort may misbehave on one that is not. */
static int
cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	if (isnan(a) || isnan(b))
		return !!isnan(a) - !!isnan(b);
	return (a > b) - (a < b);
}

/* The median of v[0..n-1], which it sorts; as the statistical crate does. */
static double
median_sorting(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	if (n % 2 == 1)
		return v[n / 2];
	return (v[n / 2] + v[n / 2 - 1]) / 2.0;
}

void
stats_summarize(const double *x, size_t n, struct stats_summary *out)
{
	double *v, sum = 0.0, ss = 0.0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	out->n = n;
	/* Summed in the order given, as hyperfine's fold does, for equal bits. */
	for (i = 0; i < n; i++)
		sum += x[i];
	out->mean = sum / (double)n;
	if (n > 1) {
		for (i = 0; i < n; i++)
			ss += (x[i] - out->mean) * (x[i] - out->mean);
		out->stddev = sqrt(ss / (double)(n - 1));
	}
	out->min = out->max = x[0];
	for (i = 1; i < n; i++) {
		if (x[i] < out->min)
			out->min = x[i];
		if (x[i] > out->max)
			out->max = x[i];
	}
	v = xmalloc(n * sizeof(*v));
	memcpy(v, x, n * sizeof(*v));
	out->median = median_sorting(v, n);
	free(v);
}

size_t
stats_count_outliers(const double *x, size_t n)
{
	double *dev, med, mad;
	size_t i, count = 0;

	/* With two samples both deviations equal the MAD: never an outlier. */
	if (n < 3)
		return 0;
	dev = xmalloc(n * sizeof(*dev));
	memcpy(dev, x, n * sizeof(*dev));
	med = median_sorting(dev, n);
	for (i = 0; i < n; i++)
		dev[i] = fabs(x[i] - med);
	mad = median_sorting(dev, n);
	/* hyperfine's answer to a MAD of 0: anything off the median stands out. */
	if (!(mad > 0.0))
		mad = DBL_EPSILON;
	for (i = 0; i < n; i++)
		if (fabs(x[i] - med) / mad > OUTLIER_THRESHOLD)
			count++;
	free(dev);
	return count;
}

void
stats_relative(const struct stats_summary *slow, const struct stats_summary *fast,
	       double *ratio, double *sigma)
{
	double rs, rf;

	if (slow->mean == 0.0 && fast->mean == 0.0) {
		*ratio = 1.0;
		*sigma = 0.0;
		return;
	}
	*ratio = slow->mean / fast->mean;
	if (slow->mean == 0.0 || fast->mean == 0.0) {
		*sigma = 0.0;
		return;
	}
	rs = slow->stddev / slow->mean;
	rf = fast->stddev / fast->mean;
	*sigma = *ratio * sqrt(rs * rs + rf * rf);
}

/* Stirling's series for ln Gamma(z) less its leading terms, for z >= 1000. */
static double
stirling_tail(double z)
{
	double z2 = z * z;

	return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * z2)) / z2) / z;
}

/*
 * ln B(a, b). For a large argument the difference of two large lgamma
 * values would lose digits to cancellation, so it is taken from
 * Stirling's series term by term instead.
 */
static double
log_beta(double a, double b)
{
	double lo = fmin(a, b), hi = fmax(a, b);

	if (hi < 1000.0)
		return lgamma(a) + lgamma(b) - lgamma(a + b);
	return lgamma(lo) - (hi - 0.5) * log1p(lo / hi) - lo * log(hi + lo) +
	       lo + stirling_tail(hi) - stirling_tail(hi + lo);
}

/* The continued fraction for I_x(a, b), by the modified Lentz method. */
static double
betacf(double a, double b, double x)
{
	double qab = a + b, qap = a + 1.0, qam = a - 1.0;
	double c = 1.0, d, h, aa, del;
	int m, m2;

	d = 1.0 - qab * x / qap;
	if (fabs(d) < BETACF_FPMIN)
		d = BETACF_FPMIN;
	d = 1.0 / d;
	h = d;
	for (m = 1; m <= BETACF_MAXIT; m++) {
		m2 = 2 * m;
		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < BETACF_FPMIN)
			d = BETACF_FPMIN;
		c = 1.0 + aa / c;
		if (fabs(c) < BETACF_FPMIN)
			c = BETACF_FPMIN;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < BETACF_FPMIN)
			d = BETACF_FPMIN;
		c = 1.0 + aa / c;
		if (fabs(c) < BETACF_FPMIN)
			c = BETACF_FPMIN;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < BETACF_EPS)
			break;
	}
	return h;
}

/*
 * I_x(a, b) given both x and y = 1 - x, so that a caller who knows the
 * smaller of the two exactly loses nothing to the subtraction.
 */
static double
betai_xy(double a, double b, double x, double y)
{
	double lx, ly, bt;

	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	lx = x < 0.5 ? log(x) : log1p(-y);
	ly = y < 0.5 ? log(y) : log1p(-x);
	bt = exp(a * lx + b * ly - log_beta(a, b));
	/* Each side of the mean of the distribution has its fast fraction. */
	if (x < (a + 1.0) / (a + b + 2.0))
		return bt * betacf(a, b, x) / a;
	return 1.0 - bt * betacf(b, a, y) / b;
}

double
stats_betai(double a, double b, double x)
{
	if (isnan(a) || isnan(b) || isnan(x) || a <= 0.0 || b <= 0.0)
		return NAN;
	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	return betai_xy(a, b, x, 1.0 - x);
}

bool
stats_welch(const struct stats_summary *a, const struct stats_summary *b,
	    double *t, double *df, double *p)
{
	double u, w, s, su, sw, tt, d, t2;

	*t = 0.0;
	*df = 0.0;
	if (a->n < 2 || b->n < 2)
		goto undefined;
	u = a->stddev * a->stddev / (double)a->n;
	w = b->stddev * b->stddev / (double)b->n;
	s = u + w;
	if (!(s > 0.0))
		goto undefined;
	tt = (a->mean - b->mean) / sqrt(s);
	/* Welch-Satterthwaite, with the shares of s so squares cannot underflow. */
	su = u / s;
	sw = w / s;
	d = 1.0 / (su * su / (double)(a->n - 1) + sw * sw / (double)(b->n - 1));
	*t = tt;
	*df = d;
	t2 = tt * tt;
	if (isinf(t2)) {
		*p = 0.0;
		return true;
	}
	*p = betai_xy(d / 2.0, 0.5, d / (d + t2), t2 / (d + t2));
	return true;
undefined:
	*p = a->mean == b->mean ? 1.0 : 0.0;
	return false;
}
