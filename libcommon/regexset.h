/* regexset.h: named PCRE2 patterns compiled once, matched per line with limits, and their required literals. */
#ifndef CODE_REGEXSET_H
#define CODE_REGEXSET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/diag.h"

/* A literal longer than this is cut to its prefix, which any match still contains. */
#define REGEXSET_LITERAL_MAX 64

/*
 * One pattern to compile. name and regex are copied or only read during
 * regexset_compile. loc says where the pattern was written, for the error
 * of a bad regex: a pattern file's line:col, or { "-e #2", 0, 0 } for the
 * second command-line pattern.
 */
struct regexset_pattern {
	const char *name;
	const char *regex;
	bool caseless;
	struct diag_loc loc;
};

/* Zero means the default for every field, so `{ 0 }` or NULL is fine. */
struct regexset_options {
	bool caseless;            /* every pattern, on top of its own flag */
	bool no_jit;              /* use the interpreter even where JIT works */
	uint32_t match_limit;     /* pcre2_set_match_limit; default 10,000,000 */
	uint32_t depth_limit;     /* pcre2_set_depth_limit; default 100,000 */
	uint32_t heap_limit_kib;  /* pcre2_set_heap_limit; default 65536 KiB */
};

struct regexset;
struct regexset_matcher;

/*
 * Compiles count patterns (JIT where available; UTF mode off, so lines are
 * bytes and invalid UTF-8 never errors). A bad regex prints
 * "LOC: invalid regex 'RE': PCRE2 MESSAGE at offset N" and returns
 * -CODE_EXIT_DATAERR; on success *out owns the set (regexset_free).
 */
int regexset_compile(const struct regexset_pattern *patterns, size_t count,
		     const struct regexset_options *opts, struct regexset **out);
/* SPEC section 6's default set: error, exception, failed, timeout; caseless. */
int regexset_compile_default(const struct regexset_options *opts, struct regexset **out);
void regexset_free(struct regexset *set);

size_t regexset_count(const struct regexset *set);
const char *regexset_name(const struct regexset *set, size_t pattern);
bool regexset_caseless(const struct regexset *set, size_t pattern);
/* Whether the set runs JIT-compiled code (false after a fallback or no_jit). */
bool regexset_jit(const struct regexset *set);

/*
 * Whether the pattern is nothing but its one prefilter literal (no
 * metacharacters, no groups): finding the literal in a line (with the
 * pattern's caselessness) is then a match, and no regex needs to run.
 */
bool regexset_literal_only(const struct regexset *set, size_t pattern);
/* Whether the pattern has named groups (so regexset_matcher_fields can give any). */
bool regexset_has_names(const struct regexset *set, size_t pattern);

/*
 * The prefilter literals of a pattern: every line the pattern matches
 * contains at least one of them (compared ASCII-case-insensitively when
 * regexset_caseless). 0 means no usable literal: run the regex on every
 * line. Literals are byte strings owned by the set; *len gets the length.
 */
size_t regexset_literal_count(const struct regexset *set, size_t pattern);
const char *regexset_literal(const struct regexset *set, size_t pattern, size_t k,
			     size_t *len);

/*
 * Per-thread match state over one compiled set, which it borrows and must
 * not outlive. Two threads use two matchers and may share the set.
 */
struct regexset_matcher *regexset_matcher_new(const struct regexset *set);
void regexset_matcher_free(struct regexset_matcher *m);

/*
 * Whether pattern matches line[0, len) (no NUL needed; NULL is fine when
 * len is 0). Hitting a match, depth, heap or JIT stack limit counts for
 * the pattern and reads as no match, so one bad line never stops a scan.
 */
bool regexset_match_pattern(struct regexset_matcher *m, size_t pattern,
			    const char *line, size_t len);
/*
 * The first match of pattern in line[0, len) that starts at or after
 * start: its bytes are [*so, *eo) (possibly empty). For highlighting.
 */
bool regexset_matcher_span(struct regexset_matcher *m, size_t pattern, const char *line,
			   size_t len, size_t start, size_t *so, size_t *eo);

/*
 * Runs every pattern on the line and returns how many matched; their
 * indices, ascending, are then in regexset_matcher_hits until the next call.
 */
size_t regexset_match(struct regexset_matcher *m, const char *line, size_t len);
const size_t *regexset_matcher_hits(const struct regexset_matcher *m);
/* Lines on which the pattern hit a limit, for "pattern 'x' hit the match limit on N lines". */
unsigned long regexset_matcher_limit_hits(const struct regexset_matcher *m, size_t pattern);

/*
 * The named groups of pattern's first match in the line as a new object
 * (name -> matched text; unset groups omitted; bytes that are not UTF-8
 * become U+FFFD), or NULL when it does not match. The caller decrefs it.
 */
json_t *regexset_matcher_fields(struct regexset_matcher *m, size_t pattern,
				const char *line, size_t len);

#endif
