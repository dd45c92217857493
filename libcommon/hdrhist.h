/* hdrhist.h: HDR histograms of latencies: constant relative precision, mergeable, serialisable. */
#ifndef CODE_HDRHIST_H
#define CODE_HDRHIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/strbuf.h"

/*
 * Values are integers in a fixed unit (code-bench records microseconds)
 * from lowest to highest, kept to sig_digits significant decimal digits
 * (HdrHistogram's model: buckets of doubling size, each split into
 * 2 * 10^sig_digits sub-buckets rounded up to a power of two). The
 * SPEC's histogram is 1 us .. 60 s at 3 digits: any recorded value is
 * reported within 0.1 % of itself. Values past highest are clamped to
 * highest and counted as such.
 *
 * Plain data apart from counts; not thread-safe (one per thread, merged).
 */
struct hdrhist {
	int64_t lowest;             /* >= 1 */
	int64_t highest;
	int sig_digits;             /* 1..5 */
	int unit_magnitude;         /* floor(log2(lowest)) */
	int sub_bucket_half_count_magnitude;
	int32_t sub_bucket_count;
	int32_t sub_bucket_half_count;
	int64_t sub_bucket_mask;
	int32_t bucket_count;
	int32_t counts_len;
	uint64_t *counts;
	uint64_t total;
	int64_t min;                /* INT64_MAX when empty */
	int64_t max;                /* 0 when empty */
	uint64_t clamped;           /* values recorded above highest */
};

/*
 * 0, or -1 for impossible bounds (lowest < 1, highest < 2 * lowest,
 * highest > 2^62, digits outside 1..5, or lowest so large that a
 * bucket's sub-buckets pass 2^62).
 */
int hdrhist_init(struct hdrhist *h, int64_t lowest, int64_t highest, int sig_digits);
void hdrhist_release(struct hdrhist *h);
void hdrhist_reset(struct hdrhist *h);

/* Records value count times; values < lowest count as lowest, > highest as highest. */
void hdrhist_record_n(struct hdrhist *h, int64_t value, uint64_t count);
static inline void
hdrhist_record(struct hdrhist *h, int64_t value)
{
	hdrhist_record_n(h, value, 1);
}
/*
 * Records value and, when it exceeds the expected interval between
 * requests, the values a stalled measurement loop failed to take
 * (value - interval, value - 2 * interval, ...): HdrHistogram's
 * correction for coordinated omission, for fixed-rate loops that cannot
 * measure from intended start times. interval <= 0: a plain record.
 */
void hdrhist_record_corrected(struct hdrhist *h, int64_t value, int64_t interval);

/*
 * The value at percentile p (0..100): the highest value equivalent to the
 * one below which p % of recorded values fall, never above max. 0 when
 * empty. p = 100 is max and p = 0 is min (exactly as recorded).
 */
int64_t hdrhist_percentile(const struct hdrhist *h, double p);
/* Over each bucket's middle value (kept within min..max); 0 when empty. */
double hdrhist_mean(const struct hdrhist *h);
double hdrhist_stddev(const struct hdrhist *h);

/* Adds every count of src into dst; -1 when their bounds or digits differ. */
int hdrhist_merge(struct hdrhist *dst, const struct hdrhist *src);

/*
 * Serialises to text safe in a JSON string: "HDR1:" then base64 of
 * a header (lowest, highest, digits, total, min, max, clamped) and the
 * counts run-length encoded as zig-zag LEB128 varints (a run of zeros as
 * a negative length), zstd-compressed. Appends to out.
 */
void hdrhist_encode(const struct hdrhist *h, struct strbuf *out);
/*
 * Reads what hdrhist_encode wrote into h (initialised by this call).
 * Returns 0, or -1 with a reason in msg for anything malformed (never
 * crashes on garbage: fuzzed).
 */
int hdrhist_decode(const char *text, size_t len, struct hdrhist *h, char *msg, size_t size);

/* Iterates recorded values: the bucket's equivalent value and its count. */
struct hdrhist_iter {
	const struct hdrhist *h;
	int32_t index;
	int64_t value;          /* highest equivalent value of the bucket */
	uint64_t count;
};
void hdrhist_iter_init(struct hdrhist_iter *it, const struct hdrhist *h);
/* Moves to the next bucket with a nonzero count; false at the end. */
bool hdrhist_iter_next(struct hdrhist_iter *it);

#endif
