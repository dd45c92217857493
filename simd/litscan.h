/* litscan.h: find the earliest occurrence of any of a set of literals, with SIMD. */
#ifndef CODE_LITSCAN_H
#define CODE_LITSCAN_H

#include <stddef.h>

/*
 * One literal to look for.  The bytes are copied by litscan_new, so the
 * caller may free them afterwards.  With nocase set, ASCII letters match
 * either case; other bytes (including those >= 0x80) match only themselves.
 * The id is the caller's own and is reported back on a match.
 */
struct litscan_needle {
	const char *bytes;
	size_t len;		/* at least 1 */
	int nocase;
	int id;
};

/* Where a needle occurs: pos is its first byte, index its place in the set. */
struct litscan_match {
	size_t pos;
	size_t len;
	size_t index;
	int id;
};

struct litscan;

/*
 * Builds a scanner for n needles (n >= 1, each of length >= 1) into *out.
 * The SIMD path (AVX2) or the scalar one is chosen here, once: the
 * environment variable CODE_SIMD=scalar forces the scalar path.  Both give
 * identical results.  Returns 0, or -1 (and *out untouched) when the set is
 * empty or a needle is.  A built scanner is never written again, so
 * threads may share it.  Free with litscan_free.
 */
int litscan_new(struct litscan **out, const struct litscan_needle *needles,
		size_t n);
void litscan_free(struct litscan *ls);

/* "avx2" or "scalar": the path this scanner uses, for --verbose. */
const char *litscan_path(const struct litscan *ls);

/*
 * Finds the earliest position >= start in buf[0, len) where some needle
 * occurs entirely within the buffer.  Among needles occurring there, the one
 * with the lowest index is reported.  Returns 1 and fills *m on a match,
 * 0 when there is none (or start >= len).  Never reads outside buf.
 */
int litscan_find(const struct litscan *ls, const char *buf, size_t len,
		 size_t start, struct litscan_match *m);

/*
 * Whether a needle with index >= from occurs at pos; on success *m names the
 * lowest such index.  After litscan_find, call it with from = m->index + 1 to
 * list every needle occurring at the same position.
 */
int litscan_match_at(const struct litscan *ls, const char *buf, size_t len,
		     size_t pos, size_t from, struct litscan_match *m);

/*
 * Counts the lines of buf (separated by '\n'; a last line without one
 * counts) that contain at least one needle starting on them.  After a hit
 * the scan resumes at the next line, so matching lines cost one verify each.
 */
size_t litscan_count_lines(const struct litscan *ls, const char *buf,
			   size_t len);

#endif
