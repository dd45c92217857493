/* regexset.c: named PCRE2 patterns compiled once, matched per line with limits, and their required literals. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "libcommon/regexset.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

/*
 * PCRE2's own match limit; with the depth and heap limits below it stops
 * `(a+)+$` on a 100 KB line in well under a second.
 */
#define DEFAULT_MATCH_LIMIT 10000000u
#define DEFAULT_DEPTH_LIMIT 100000u
#define DEFAULT_HEAP_LIMIT_KIB 65536u
/* JIT code runs on this stack (one per matcher) instead of the thread's. */
#define JIT_STACK_START (32u << 10)
#define JIT_STACK_MAX (1u << 20)

/* A literal set bigger than this is a poor prefilter; the extractor gives up on it. */
#define LITSET_MAX 16
/* Deeper group nesting than this is left unanalysed rather than recursed into. */
#define LITPARSE_MAX_DEPTH 64

struct regexset_entry {
	char *name;
	pcre2_code *code;
	bool caseless;
	bool literal_only;   /* the regex is its one literal: a prefilter hit is a match */
	bool has_names;
	size_t literal_count;
	char **literals;
	size_t *literal_lens;
};

struct regexset {
	struct regexset_entry *entries;
	size_t count;
	bool jit;
	uint32_t match_limit;
	uint32_t depth_limit;
	uint32_t heap_limit_kib;
};

struct regexset_matcher {
	const struct regexset *set;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	pcre2_match_data **data;   /* one per pattern, sized for its groups */
	size_t *hits;
	unsigned long *limit_hits;
};

/*
 * What the extractor knows about a piece of a pattern. exact: the piece
 * matches exactly one of the strings. Otherwise every match contains one
 * of them, and n == 0 means nothing is known.
 */
struct litset {
	bool exact;
	size_t n;
	char *s[LITSET_MAX];
	size_t len[LITSET_MAX];
};

struct litparse {
	const char *p;
	bool fail;   /* a construct outside the proven subset: no literals at all */
	int depth;
};

static void
litset_clear(struct litset *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		free(ls->s[i]);
	ls->n = 0;
	ls->exact = false;
}

static void
litset_add(struct litset *ls, const char *s, size_t len)
{
	ls->s[ls->n] = xstrndup(s, len);
	ls->len[ls->n] = len;
	ls->n++;
}

/* Moves src into dst, leaving src empty. */
static void
litset_move(struct litset *dst, struct litset *src)
{
	litset_clear(dst);
	*dst = *src;
	src->n = 0;
	src->exact = false;
}

/* The exact set matching only the empty string: the start of a concatenation. */
static void
litset_set_empty(struct litset *ls)
{
	litset_clear(ls);
	litset_add(ls, "", 0);
	ls->exact = true;
}

/*
 * How good a prefilter the set is when read as "contains one of": the
 * shortest literal's length, or -1 when it rules nothing out.
 */
static long
litset_score(const struct litset *ls)
{
	long min = -1;
	size_t i;

	for (i = 0; i < ls->n; i++) {
		if (ls->len[i] == 0)
			return -1;
		if (min < 0 || (long)ls->len[i] < min)
			min = (long)ls->len[i];
	}
	return min;
}

/* Keeps in best whichever of best and cand filters better; empties cand. */
static void
litset_consider(struct litset *best, struct litset *cand)
{
	long cs = litset_score(cand), bs = litset_score(best);

	if (cs > bs || (cs == bs && cs >= 0 && cand->n < best->n)) {
		litset_move(best, cand);
		best->exact = false;
	} else {
		litset_clear(cand);
	}
}

/*
 * cur := cur followed by next (both exact), every pairing. Returns false,
 * changing nothing, when the product would be too big.
 */
static bool
litset_cross(struct litset *cur, const struct litset *next)
{
	struct litset out = { 0 };
	struct strbuf sb = STRBUF_INIT;
	size_t i, j;

	if (cur->n * next->n > LITSET_MAX)
		return false;
	for (i = 0; i < cur->n; i++) {
		for (j = 0; j < next->n; j++) {
			strbuf_reset(&sb);
			strbuf_add(&sb, cur->s[i], cur->len[i]);
			strbuf_add(&sb, next->s[j], next->len[j]);
			litset_add(&out, sb.buf, sb.len);
		}
	}
	out.exact = true;
	strbuf_release(&sb);
	litset_move(cur, &out);
	return true;
}

static bool
is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void litparse_alternation(struct litparse *lp, struct litset *out);

/* Skips a group name up to its terminator; false when it is not one. */
static bool
litparse_group_name(struct litparse *lp, char end)
{
	const char *p = lp->p;

	while (is_alnum((unsigned char)*p) || *p == '_')
		p++;
	if (p == lp->p || *p != end)
		return false;
	lp->p = p + 1;
	return true;
}

/*
 * Whether "[:name:]" (or [. .] or [= =]) starts at p, p at the ':': the
 * end past its ']', else NULL and the '[' is a plain member. The rule is
 * PCRE2's check_posix_syntax: a ']' or a nested "[:" first means no.
 */
static const char *
litparse_posix_end(const char *p)
{
	char term = *p;

	for (p++; *p != '\0'; p++) {
		if (*p == '\\' && (p[1] == ']' || p[1] == '\\'))
			p++;
		else if ((*p == '[' && p[1] == term) || *p == ']')
			return NULL;
		else if (*p == term && p[1] == ']')
			return p + 2;
	}
	return NULL;
}

/*
 * Skips a character class, lp->p just past its '['. Only its extent
 * matters: a class stands for one unknown byte.
 */
static void
litparse_class(struct litparse *lp)
{
	const char *p = lp->p;

	if (*p == '^')
		p++;
	if (*p == ']')   /* a ']' first is a member */
		p++;
	for (;;) {
		if (*p == '\0') {
			lp->fail = true;
			return;
		}
		if (*p == ']')
			break;
		if (*p == '\\') {
			/* \Q...\E and \x{...} could hide a ']'; only one-byte escapes are safe. */
			if (p[1] == '\0' || p[1] == 'Q' || p[1] == 'E' || p[1] == 'x' ||
			    p[1] == 'o' || p[1] == 'N' || p[1] == 'p' || p[1] == 'P' ||
			    p[1] == 'c') {
				lp->fail = true;
				return;
			}
			p += 2;
			continue;
		}
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			const char *close = litparse_posix_end(p + 1);

			if (close != NULL) {
				p = close;
				continue;
			}
		}
		p++;
	}
	lp->p = p + 1;
}

/*
 * Parses a {n}, {n,} or {n,m} quantifier at lp->p, setting *min. Anything
 * else after '{' is a literal to PCRE2 in some versions and a quantifier
 * in others, so it fails the analysis.
 */
static bool
litparse_braces(struct litparse *lp, unsigned long *min)
{
	const char *p = lp->p + 1;

	if (!is_digit((unsigned char)*p))
		return false;
	*min = 0;
	while (is_digit((unsigned char)*p)) {
		if (*min < 100000)
			*min = *min * 10 + (unsigned long)(*p - '0');
		p++;
	}
	if (*p == ',') {
		p++;
		while (is_digit((unsigned char)*p))
			p++;
	}
	if (*p != '}')
		return false;
	lp->p = p + 1;
	return true;
}

/* Applies a quantifier after an atom, if one follows. */
static void
litparse_quantifier(struct litparse *lp, struct litset *atom)
{
	unsigned long min;
	char c = *lp->p;

	if (c == '?' || c == '*') {
		min = 0;
		lp->p++;
	} else if (c == '+') {
		min = 1;
		lp->p++;
	} else if (c == '{') {
		if (!litparse_braces(lp, &min)) {
			lp->fail = true;
			return;
		}
	} else {
		return;
	}
	/* A lazy or possessive mark changes nothing about what can match. */
	if (*lp->p == '?' || *lp->p == '+')
		lp->p++;
	if (*lp->p == '?' || *lp->p == '*' || *lp->p == '+' || *lp->p == '{') {
		lp->fail = true;
		return;
	}
	if (min == 0)
		litset_clear(atom);      /* optional: proves nothing */
	else
		atom->exact = false;     /* repeated: contains one copy at least */
}

/* Parses one atom and its quantifier into atom (cleared on entry). */
static void
litparse_atom(struct litparse *lp, struct litset *atom)
{
	unsigned char c = (unsigned char)*lp->p;

	litset_clear(atom);
	if (c == '(') {
		lp->p++;
		if (*lp->p == '*') {
			lp->fail = true;   /* (*VERB) and (*UTF) settings */
			return;
		}
		if (*lp->p == '?') {
			/* Only plain and named groups; inline flags like (?i) or (?x) change the rest. */
			lp->p++;
			if (*lp->p == ':') {
				lp->p++;
			} else if (*lp->p == '<' && lp->p[1] != '=' && lp->p[1] != '!') {
				lp->p++;
				if (!litparse_group_name(lp, '>'))
					lp->fail = true;
			} else if (*lp->p == 'P' && lp->p[1] == '<') {
				lp->p += 2;
				if (!litparse_group_name(lp, '>'))
					lp->fail = true;
			} else if (*lp->p == '\'') {
				lp->p++;
				if (!litparse_group_name(lp, '\''))
					lp->fail = true;
			} else {
				lp->fail = true;
			}
			if (lp->fail)
				return;
		}
		if (++lp->depth > LITPARSE_MAX_DEPTH) {
			lp->fail = true;
			return;
		}
		litparse_alternation(lp, atom);
		lp->depth--;
		if (lp->fail)
			return;
		if (*lp->p != ')') {
			lp->fail = true;
			return;
		}
		lp->p++;
	} else if (c == '[') {
		lp->p++;
		litparse_class(lp);
	} else if (c == '.' || c == '^' || c == '$') {
		lp->p++;
	} else if (c == '\\') {
		c = (unsigned char)lp->p[1];
		if (c == '\0') {
			lp->fail = true;
			return;
		}
		lp->p += 2;
		if (!is_alnum(c)) {
			/* A backslash before any other byte makes it literal. */
			litset_add(atom, (const char *)&c, 1);
			atom->exact = true;
		} else if (c == 'N' && *lp->p == '{') {
			lp->fail = true;
		} else if (strchr("dDwWsShHvVNRXbBAzZGtnrfea", c) == NULL) {
			/* Back references, \x, \Q, \K, \c...: outside the subset. */
			lp->fail = true;
			return;
		}
		/* The others are one unknown byte (or none): nothing proven. */
	} else if (c == '\0' || c == '*' || c == '+' || c == '?' || c == '{') {
		lp->fail = true;
		return;
	} else {
		litset_add(atom, (const char *)&c, 1);
		atom->exact = true;
		lp->p++;
	}
	if (!lp->fail)
		litparse_quantifier(lp, atom);
}

/*
 * A concatenation up to '|', ')' or the end. Adjacent exact atoms are
 * multiplied out while small; the best run (or inexact atom) is kept.
 */
static void
litparse_concat(struct litparse *lp, struct litset *out)
{
	struct litset cur = { 0 }, best = { 0 }, atom = { 0 };
	bool all_exact = true;

	litset_set_empty(&cur);
	while (!lp->fail && *lp->p != '\0' && *lp->p != '|' && *lp->p != ')') {
		litparse_atom(lp, &atom);
		if (lp->fail)
			break;
		if (atom.exact) {
			if (!litset_cross(&cur, &atom)) {
				all_exact = false;
				litset_consider(&best, &cur);
				litset_move(&cur, &atom);
			}
			litset_clear(&atom);
		} else {
			all_exact = false;
			litset_consider(&best, &cur);
			litset_consider(&best, &atom);
			litset_set_empty(&cur);
		}
	}
	if (all_exact) {
		litset_move(out, &cur);
	} else {
		litset_consider(&best, &cur);
		litset_move(out, &best);
	}
	litset_clear(&cur);
	litset_clear(&best);
	litset_clear(&atom);
}

/* Alternatives: the union of their sets, or nothing if one proves nothing. */
static void
litparse_alternation(struct litparse *lp, struct litset *out)
{
	struct litset alt = { 0 };
	size_t i;

	litparse_concat(lp, out);
	while (!lp->fail && *lp->p == '|') {
		lp->p++;
		litparse_concat(lp, &alt);
		if (lp->fail)
			break;
		if (!(out->exact && alt.exact) &&
		    (litset_score(out) < 0 || litset_score(&alt) < 0)) {
			litset_clear(out);
		} else if (out->n + alt.n > LITSET_MAX) {
			litset_clear(out);
		} else {
			for (i = 0; i < alt.n; i++)
				litset_add(out, alt.s[i], alt.len[i]);
			out->exact = out->exact && alt.exact;
		}
		/* Once nothing is known, later alternatives cannot help. */
		if (out->n == 0)
			out->exact = false;
		litset_clear(&alt);
	}
	litset_clear(&alt);
}

/* Fills the entry's literals from its regex; none when the analysis fails. */
static void
regexset_extract_literals(struct regexset_entry *e, const char *regex)
{
	struct litparse lp = { regex, false, 0 };
	struct litset ls = { 0 };
	size_t i;

	litparse_alternation(&lp, &ls);
	if (lp.fail || *lp.p != '\0' || litset_score(&ls) < 0) {
		litset_clear(&ls);
		return;
	}
	e->literal_count = ls.n;
	e->literals = xcalloc(ls.n, sizeof(*e->literals));
	e->literal_lens = xcalloc(ls.n, sizeof(*e->literal_lens));
	for (i = 0; i < ls.n; i++) {
		/* A prefix of a required literal is required too. */
		if (ls.len[i] > REGEXSET_LITERAL_MAX) {
			ls.len[i] = REGEXSET_LITERAL_MAX;
			ls.s[i][REGEXSET_LITERAL_MAX] = '\0';
		}
		e->literals[i] = ls.s[i];
		e->literal_lens[i] = ls.len[i];
	}
	ls.n = 0;
}

/* Compiles one pattern into e; a bad regex gets its diagnostic here. */
static int
regexset_compile_one(struct regexset *set, struct regexset_entry *e,
		     const struct regexset_pattern *p, bool caseless, bool try_jit)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff;
	int errcode, rc;
	/* Lines are bytes: UTF mode (and its errors on invalid input) stays off. */
	uint32_t options = PCRE2_NEVER_UTF | (caseless ? PCRE2_CASELESS : 0);

	e->name = xstrdup(p->name != NULL ? p->name : p->regex);
	e->caseless = caseless;
	e->code = pcre2_compile((PCRE2_SPTR)p->regex, PCRE2_ZERO_TERMINATED, options,
				&errcode, &erroff, NULL);
	if (e->code == NULL) {
		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", errcode);
		return diag_error(CODE_EXIT_DATAERR, p->loc.file != NULL ? &p->loc : NULL,
				  "invalid regex '%s': %s at offset %zu", p->regex,
				  (const char *)msg, (size_t)erroff);
	}
	if (try_jit) {
		rc = pcre2_jit_compile(e->code, PCRE2_JIT_COMPLETE);
		if (rc != 0) {
			if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg), "error %d", rc);
			diag_info(DIAG_VERBOSE, p->loc.file != NULL ? &p->loc : NULL,
				  "pattern '%s' runs without JIT: %s", e->name,
				  (const char *)msg);
			set->jit = false;
		}
	}
	regexset_extract_literals(e, p->regex);
	{
		uint32_t names = 0;

		pcre2_pattern_info(e->code, PCRE2_INFO_NAMECOUNT, &names);
		e->has_names = names > 0;
	}
	/* Only plain bytes: no metacharacter may change what the text means. */
	e->literal_only = e->literal_count == 1 && !e->has_names &&
			  strlen(p->regex) == e->literal_lens[0] &&
			  memcmp(p->regex, e->literals[0], e->literal_lens[0]) == 0 &&
			  strpbrk(p->regex, "\\^$.|?*+()[]{}#") == NULL;
	return 0;
}

int
regexset_compile(const struct regexset_pattern *patterns, size_t count,
		 const struct regexset_options *opts, struct regexset **out)
{
	static const struct regexset_options defaults = { 0 };
	struct regexset *set;
	uint32_t jit_available = 0;
	size_t i;
	int ret;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	set = xcalloc(1, sizeof(*set));
	set->entries = xcalloc(count > 0 ? count : 1, sizeof(*set->entries));
	set->match_limit = opts->match_limit ? opts->match_limit : DEFAULT_MATCH_LIMIT;
	set->depth_limit = opts->depth_limit ? opts->depth_limit : DEFAULT_DEPTH_LIMIT;
	set->heap_limit_kib = opts->heap_limit_kib ? opts->heap_limit_kib
						    : DEFAULT_HEAP_LIMIT_KIB;
	if (!opts->no_jit && pcre2_config(PCRE2_CONFIG_JIT, &jit_available) == 0 &&
	    jit_available)
		set->jit = true;
	else if (!opts->no_jit)
		diag_info(DIAG_VERBOSE, NULL, "PCRE2 JIT unavailable; using the interpreter");
	for (i = 0; i < count; i++) {
		set->count = i + 1;   /* so a failure frees what was made */
		ret = regexset_compile_one(set, &set->entries[i], &patterns[i],
					   opts->caseless || patterns[i].caseless, set->jit);
		if (ret < 0)
			goto out;
	}
	set->count = count;
	*out = set;
	set = NULL;
	ret = 0;
out:
	regexset_free(set);
	return ret;
}

int
regexset_compile_default(const struct regexset_options *opts, struct regexset **out)
{
	static const char *const words[] = { "error", "exception", "failed", "timeout" };
	struct regexset_pattern patterns[4];
	size_t i;

	for (i = 0; i < 4; i++) {
		patterns[i].name = words[i];
		patterns[i].regex = words[i];
		patterns[i].caseless = true;
		patterns[i].loc = diag_file(NULL);
	}
	return regexset_compile(patterns, 4, opts, out);
}

void
regexset_free(struct regexset *set)
{
	size_t i, k;

	if (set == NULL)
		return;
	for (i = 0; i < set->count; i++) {
		struct regexset_entry *e = &set->entries[i];

		free(e->name);
		pcre2_code_free(e->code);
		for (k = 0; k < e->literal_count; k++)
			free(e->literals[k]);
		free(e->literals);
		free(e->literal_lens);
	}
	free(set->entries);
	free(set);
}

size_t
regexset_count(const struct regexset *set)
{
	return set->count;
}

const char *
regexset_name(const struct regexset *set, size_t pattern)
{
	return set->entries[pattern].name;
}

bool
regexset_caseless(const struct regexset *set, size_t pattern)
{
	return set->entries[pattern].caseless;
}

bool
regexset_jit(const struct regexset *set)
{
	return set->jit;
}

bool
regexset_literal_only(const struct regexset *set, size_t pattern)
{
	return set->entries[pattern].literal_only;
}

bool
regexset_has_names(const struct regexset *set, size_t pattern)
{
	return set->entries[pattern].has_names;
}

size_t
regexset_literal_count(const struct regexset *set, size_t pattern)
{
	return set->entries[pattern].literal_count;
}

const char *
regexset_literal(const struct regexset *set, size_t pattern, size_t k, size_t *len)
{
	const struct regexset_entry *e = &set->entries[pattern];

	if (len != NULL)
		*len = e->literal_lens[k];
	return e->literals[k];
}

/* PCRE2 allocation failures have no recovery in a CLI tool: same as xmalloc. */
static void *
matcher_check_alloc(void *p)
{
	if (p == NULL) {
		diag_error(CODE_EXIT_SOFTWARE, NULL, "out of memory");
		exit(CODE_EXIT_SOFTWARE);
	}
	return p;
}

struct regexset_matcher *
regexset_matcher_new(const struct regexset *set)
{
	struct regexset_matcher *m = xcalloc(1, sizeof(*m));
	size_t i, n = set->count > 0 ? set->count : 1;

	m->set = set;
	m->mctx = matcher_check_alloc(pcre2_match_context_create(NULL));
	pcre2_set_match_limit(m->mctx, set->match_limit);
	pcre2_set_depth_limit(m->mctx, set->depth_limit);
	pcre2_set_heap_limit(m->mctx, set->heap_limit_kib);
	if (set->jit) {
		m->jit_stack = matcher_check_alloc(
			pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL));
		pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
	}
	m->data = xcalloc(n, sizeof(*m->data));
	for (i = 0; i < set->count; i++)
		m->data[i] = matcher_check_alloc(
			pcre2_match_data_create_from_pattern(set->entries[i].code, NULL));
	m->hits = xcalloc(n, sizeof(*m->hits));
	m->limit_hits = xcalloc(n, sizeof(*m->limit_hits));
	return m;
}

void
regexset_matcher_free(struct regexset_matcher *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->set->count; i++)
		pcre2_match_data_free(m->data[i]);
	free(m->data);
	free(m->hits);
	free(m->limit_hits);
	pcre2_jit_stack_free(m->jit_stack);
	pcre2_match_context_free(m->mctx);
	free(m);
}

/*
 * pcre2_match's result: > 0 on a match. Any error (a limit, or memory)
 * counts against the pattern and reads as no match.
 */
static int
matcher_run(struct regexset_matcher *m, size_t pattern, const char *line, size_t len)
{
	int rc;

	/* PCRE2 before 10.43 rejects a NULL subject even when it is empty. */
	if (line == NULL)
		line = "";
	rc = pcre2_match(m->set->entries[pattern].code, (PCRE2_SPTR)line, len, 0, 0,
			 m->data[pattern], m->mctx);
	if (rc >= 0)
		return rc == 0 ? 1 : rc;   /* 0: the ovector was too small, still a match */
	if (rc != PCRE2_ERROR_NOMATCH)
		m->limit_hits[pattern]++;
	return 0;
}

bool
regexset_match_pattern(struct regexset_matcher *m, size_t pattern, const char *line,
		       size_t len)
{
	return matcher_run(m, pattern, line, len) > 0;
}

size_t
regexset_match(struct regexset_matcher *m, const char *line, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < m->set->count; i++)
		if (matcher_run(m, i, line, len) > 0)
			m->hits[n++] = i;
	return n;
}

bool
regexset_matcher_span(struct regexset_matcher *m, size_t pattern, const char *line,
		      size_t len, size_t start, size_t *so, size_t *eo)
{
	PCRE2_SIZE *ov;
	int rc;

	if (line == NULL)
		line = "";
	if (start > len)
		return false;
	rc = pcre2_match(m->set->entries[pattern].code, (PCRE2_SPTR)line, len, start, 0,
			 m->data[pattern], m->mctx);
	if (rc < 0) {
		if (rc != PCRE2_ERROR_NOMATCH)
			m->limit_hits[pattern]++;
		return false;
	}
	ov = pcre2_get_ovector_pointer(m->data[pattern]);
	/* \K in a lookahead can put the end before the start. */
	if (ov[1] < ov[0] || ov[1] > len)
		return false;
	*so = ov[0];
	*eo = ov[1];
	return true;
}

const size_t *
regexset_matcher_hits(const struct regexset_matcher *m)
{
	return m->hits;
}

unsigned long
regexset_matcher_limit_hits(const struct regexset_matcher *m, size_t pattern)
{
	return m->limit_hits[pattern];
}

/* A JSON string of the bytes; if they are not UTF-8, each non-ASCII byte becomes U+FFFD. */
static json_t *
fields_string(const char *p, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *s = json_stringn(p, len);
	size_t i;

	if (s != NULL)
		return s;
	for (i = 0; i < len; i++) {
		if ((unsigned char)p[i] < 0x80)
			strbuf_addch(&sb, p[i]);
		else
			strbuf_addstr(&sb, "\xEF\xBF\xBD");
	}
	s = json_stringn(sb.buf != NULL ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return s;
}

json_t *
regexset_matcher_fields(struct regexset_matcher *m, size_t pattern, const char *line,
			size_t len)
{
	const pcre2_code *code = m->set->entries[pattern].code;
	PCRE2_SPTR table;
	PCRE2_SIZE *ov;
	uint32_t names = 0, entry_size = 0, i, group;
	json_t *fields;
	int rc;

	rc = matcher_run(m, pattern, line, len);
	if (rc <= 0)
		return NULL;
	fields = json_object();
	pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &names);
	if (names == 0)
		return fields;
	pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
	pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
	ov = pcre2_get_ovector_pointer(m->data[pattern]);
	if (line == NULL)
		line = "";
	for (i = 0; i < names; i++, table += entry_size) {
		const char *name = (const char *)table + 2;

		group = (uint32_t)table[0] << 8 | table[1];
		/* \K in a lookahead can leave a group ending before it starts. */
		if ((int)group >= rc || ov[2 * group] == PCRE2_UNSET ||
		    ov[2 * group + 1] < ov[2 * group])
			continue;
		/* With (?J) a name may repeat: the first set group wins. */
		if (json_object_get(fields, name) != NULL)
			continue;
		json_object_set_new(fields, name,
				    fields_string(line + ov[2 * group],
						  ov[2 * group + 1] - ov[2 * group]));
	}
	return fields;
}
