/* test-regexset.c: regex sets compile with located errors, match bytes within limits, and extract only literals every match contains. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/regexset.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"
#include "tests/lib/tap.h"

static char captured[8192];

/* Compiles patterns with stderr sent to a file, keeping what was printed. */
static int
compile_capturing(const struct regexset_pattern *pats, size_t n, struct regexset **out)
{
	char path[4200];
	int saved = dup(2), ret;
	FILE *f;
	size_t got;

	snprintf(path, sizeof(path), "%s/err", tap_tmpdir());
	f = fopen(path, "w");
	dup2(fileno(f), 2);
	ret = regexset_compile(pats, n, NULL, out);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(f);
	f = fopen(path, "r");
	got = fread(captured, 1, sizeof(captured) - 1, f);
	captured[got] = '\0';
	fclose(f);
	return ret;
}

/* One pattern, no location. */
static struct regexset *
compile_one(const char *regex, bool caseless, bool no_jit)
{
	struct regexset_pattern p = { regex, regex, caseless, { NULL, 0, 0 } };
	struct regexset_options opts = { 0 };
	struct regexset *set = NULL;

	opts.no_jit = no_jit;
	if (regexset_compile(&p, 1, &opts, &set) < 0)
		return NULL;
	return set;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A pattern's literals sorted and joined by '|', "-" when none, "!" on a compile error. */
static const char *
literals_of(const char *regex, bool caseless)
{
	static char buf[2048];
	struct regexset *set = compile_one(regex, caseless, false);
	char *lits[64];
	size_t n, i;

	if (set == NULL)
		return "!";
	n = regexset_literal_count(set, 0);
	strcpy(buf, n == 0 ? "-" : "");
	for (i = 0; i < n && i < 64; i++)
		lits[i] = (char *)regexset_literal(set, 0, i, NULL);
	qsort(lits, n, sizeof(*lits), cmp_str);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(buf, "|");
		strncat(buf, lits[i], sizeof(buf) - strlen(buf) - 2);
	}
	regexset_free(set);
	return buf;
}

static void
test_literals(void)
{
	struct regexset *set;
	char longpat[200];
	size_t len;

	is_str(literals_of("error", false), "error", "literal: plain word");
	is_str(literals_of("time ?out", false), "time", "literal: optional byte splits the run");
	is_str(literals_of("(foo|bar)baz", false), "barbaz|foobaz", "literal: group multiplied out");
	is_str(literals_of("(foo|bar)", false), "bar|foo", "literal: alternation in a group");
	is_str(literals_of("\\d+", false), "-", "literal: none for \\d+");
	is_str(literals_of(".*", false), "-", "literal: none for .*");
	is_str(literals_of("", false), "-", "literal: none for the empty pattern");
	is_str(literals_of("foo\\.bar\\-x", false), "foo.bar-x", "literal: escaped punctuation");
	is_str(literals_of("err(or)?", false), "err", "literal: optional group dropped");
	is_str(literals_of("colou?r", false), "colo", "literal: longest run kept");
	is_str(literals_of("error|warn", false), "error|warn", "literal: top-level alternation");
	is_str(literals_of("error|\\d+", false), "-", "literal: one alternative without literal");
	is_str(literals_of("error|", false), "-", "literal: empty alternative");
	is_str(literals_of("(?i)error", false), "-", "literal: inline flags give up");
	is_str(literals_of("(?x)e r r", false), "-", "literal: extended mode gives up");
	is_str(literals_of("ab+c", false), "a", "literal: repeated atom");
	is_str(literals_of("(abc)+", false), "abc", "literal: repeated group contains one copy");
	is_str(literals_of("x{3}yz", false), "yz", "literal: counted repeat");
	is_str(literals_of("a{0,2}bc", false), "bc", "literal: zero-minimum repeat is optional");
	is_str(literals_of("a*bc", false), "bc", "literal: star is optional");
	is_str(literals_of("[abc]def", false), "def", "literal: class breaks the run");
	is_str(literals_of("[]x]yz", false), "yz", "literal: class with leading ]");
	is_str(literals_of("[[:digit:]]+ms", false), "ms", "literal: POSIX class");
	is_str(literals_of("[[=a]b|c=]x", false), "b|c=]x", "literal: [= without =] is a member");
	is_str(literals_of("\\berror\\b", false), "error", "literal: word boundaries");
	is_str(literals_of("^start.*end$", false), "start", "literal: anchors and dot");
	is_str(literals_of("(?<code>E\\d+) failed", false), " failed", "literal: named group");
	is_str(literals_of("(?:a|b)(?:c|d)", false), "ac|ad|bc|bd", "literal: product of groups");
	is_str(literals_of("\\x41BC", false), "-", "literal: hex escape gives up");
	is_str(literals_of("\\Qa.b\\E", false), "-", "literal: \\Q gives up");
	is_str(literals_of("(a)\\1", false), "-", "literal: back reference gives up");
	is_str(literals_of("(?=abc)abc", false), "-", "literal: lookahead gives up");
	is_str(literals_of("a{,3}b", false), "-", "literal: odd brace gives up");
	is_str(literals_of("a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q", false), "-",
	       "literal: too many alternatives");
	is_str(literals_of("(a|b|c|d)(e|f|g|h)(i|j)", false), "ae|af|ag|ah|be|bf|bg|bh|ce|cf|cg|ch|de|df|dg|dh",
	       "literal: product capped");
	is_str(literals_of("(a)(b)c", false), "abc", "literal: groups joined with the run");

	set = compile_one("Error", true, false);
	ok(set != NULL && regexset_caseless(set, 0), "caseless pattern is marked caseless");
	is_str(set != NULL ? regexset_literal(set, 0, 0, &len) : "", "Error",
	       "caseless literal keeps its spelling");
	regexset_free(set);

	memset(longpat, 'q', 100);
	longpat[100] = '\0';
	set = compile_one(longpat, false, false);
	regexset_literal(set, 0, 0, &len);
	is_int((long long)len, REGEXSET_LITERAL_MAX, "long literal cut to its prefix");
	regexset_free(set);
}

/* Whether hay contains needle, ASCII case folded when caseless. */
static bool
contains(const char *hay, size_t hlen, const char *needle, size_t nlen, bool caseless)
{
	size_t i, j;

	if (nlen > hlen)
		return false;
	for (i = 0; i + nlen <= hlen; i++) {
		for (j = 0; j < nlen; j++) {
			unsigned char a = (unsigned char)hay[i + j], b = (unsigned char)needle[j];

			if (caseless) {
				if (a >= 'A' && a <= 'Z')
					a = (unsigned char)(a - 'A' + 'a');
				if (b >= 'A' && b <= 'Z')
					b = (unsigned char)(b - 'A' + 'a');
			}
			if (a != b)
				break;
		}
		if (j == nlen)
			return true;
	}
	return false;
}

/*
 * The prefilter promise: for random lines over a small alphabet, a
 * matching line contains one of the pattern's literals.
 */
static void
test_literal_property(void)
{
	static const char *const patterns[] = {
		"abc", "a(b|c)x", "ab?c", "(ab)+c", "a.c", "(?:ab|cd)x", "a*b", "x{2}",
		"ab{1,3}c", "[ab]c", "b\\-c", "\\bab", "^ab", "ca$", "(?<n>ab)c",
		"a|bc|cx", "(a|b)(c|x)o", "(ab|)c", "b(a|c)*x", "(a|b)+c", "ax|b?c",
		"(?:a(?:b|c)|x)o", "o\\.a", "c a", "(ab){2,}", "a[^b]c", "(x|ab?)c",
		"\\w+xo", "A", "BaC", "[[=a]b|c=]x", "[[:alpha:]]o|x",
	};
	static const char alphabet[] = "abcxoABC .-";
	size_t np = sizeof(patterns) / sizeof(patterns[0]), i, k, t;
	unsigned long bad = 0, matched = 0, with_literals = 0;
	/* Static: JIT code reads whole aligned blocks around a subject, and valgrind wants them set. */
	static char line[24];
	int caseless;

	srand(12345);
	for (caseless = 0; caseless < 2; caseless++) {
		for (i = 0; i < np; i++) {
			struct regexset *set = compile_one(patterns[i], caseless, false);
			struct regexset_matcher *m;
			size_t nlit;

			if (set == NULL) {
				ok(0, "property pattern '%s' compiles", patterns[i]);
				continue;
			}
			nlit = regexset_literal_count(set, 0);
			with_literals += nlit > 0;
			m = regexset_matcher_new(set);
			for (t = 0; t < 3000; t++) {
				size_t len = (size_t)rand() % sizeof(line), j;
				bool found = nlit == 0;

				for (j = 0; j < len; j++)
					line[j] = alphabet[(size_t)rand() % (sizeof(alphabet) - 1)];
				if (!regexset_match_pattern(m, 0, line, len))
					continue;
				matched++;
				for (k = 0; k < nlit && !found; k++) {
					size_t ll;
					const char *lit = regexset_literal(set, 0, k, &ll);

					found = contains(line, len, lit, ll, regexset_caseless(set, 0));
				}
				if (!found && bad++ < 5)
					tap_diag("'%s' matches '%.*s' without its literals", patterns[i],
						 (int)len, line);
			}
			regexset_matcher_free(m);
			regexset_free(set);
		}
	}
	is_int((long long)bad, 0, "property: every matching line contains a literal");
	ok(matched > 10000, "property: the random lines match often (%lu)", matched);
	ok(with_literals > 40, "property: most patterns have literals (%lu)", with_literals);
}

static void
test_errors(void)
{
	struct regexset_pattern pats[2] = {
		{ "ok", "fine", false, { "patterns.yaml", 2, 12 } },
		{ "bad", "a(b", false, { "patterns.yaml", 4, 12 } },
	};
	struct regexset *set = (struct regexset *)&set;
	int ret;

	diag_setup("code-logscan");
	ret = compile_capturing(pats, 2, &set);
	is_int(ret, -CODE_EXIT_DATAERR, "bad regex is a data error");
	ok(set == NULL, "bad regex leaves no set");
	is_str(captured,
	       "code-logscan: patterns.yaml:4:12: invalid regex 'a(b': missing closing parenthesis at offset 3\n",
	       "bad regex reported at its file location with offset");

	pats[0].regex = "x**";
	pats[0].loc.file = "-e #2";
	pats[0].loc.line = 0;
	pats[0].loc.col = 0;
	ret = compile_capturing(pats, 1, &set);
	is_int(ret, -CODE_EXIT_DATAERR, "second bad regex is a data error");
	ok(strncmp(captured, "code-logscan: -e #2: invalid regex 'x**': ", 42) == 0 &&
		   strstr(captured, " at offset 2\n") != NULL,
	   "command-line pattern reported as -e #N: %s", captured);

	pats[0].regex = "(*UTF)abc";
	ret = compile_capturing(pats, 1, &set);
	is_int(ret, -CODE_EXIT_DATAERR, "UTF mode is refused: lines are bytes");
}

static void
test_matching(void)
{
	struct regexset *set;
	struct regexset_matcher *m;
	const size_t *hits;
	static const char binary[] = "\xff\xfe\x00 ERROR \xc3\x28 \x00\x80";
	size_t n;

	ok(regexset_compile_default(NULL, &set) == 0, "default set compiles");
	is_int((long long)regexset_count(set), 4, "default set has four patterns");
	is_str(regexset_name(set, 0), "error", "default name 0");
	is_str(regexset_name(set, 3), "timeout", "default name 3");
	ok(regexset_caseless(set, 2), "default patterns are caseless");
	is_str(literals_of("failed", false), "failed", "default-like literal");
	m = regexset_matcher_new(set);

	n = regexset_match(m, "ERROR: Timeout after exception", 30);
	hits = regexset_matcher_hits(m);
	is_int((long long)n, 3, "three patterns match one line");
	ok(n == 3 && hits[0] == 0 && hits[1] == 1 && hits[2] == 3, "hits are ascending indices");
	is_int((long long)regexset_match(m, "all good", 8), 0, "no pattern matches");
	is_int((long long)regexset_match(m, "FaIlEd", 6), 1, "case-insensitive match");
	is_int((long long)regexset_match(m, "error", 3), 0, "only len bytes are looked at");
	is_int((long long)regexset_match(m, binary, sizeof(binary) - 1), 1,
	       "binary line with NULs and invalid UTF-8 matches");
	is_int((long long)regexset_matcher_limit_hits(m, 0), 0, "invalid UTF-8 is not an error");
	is_int((long long)regexset_match(m, NULL, 0), 0, "NULL empty line");
	is_int((long long)regexset_match(m, "", 0), 0, "empty line");
	regexset_matcher_free(m);
	regexset_free(set);

	set = compile_one("^$", false, false);
	m = regexset_matcher_new(set);
	ok(regexset_match_pattern(m, 0, NULL, 0), "^$ matches an empty line");
	ok(!regexset_match_pattern(m, 0, "x", 1), "^$ does not match a line");
	regexset_matcher_free(m);
	regexset_free(set);

	set = compile_one("Error", false, false);
	m = regexset_matcher_new(set);
	ok(!regexset_match_pattern(m, 0, "error", 5), "case-sensitive pattern");
	regexset_matcher_free(m);
	regexset_free(set);

	{
		struct regexset_pattern pats[2] = {
			{ "a", "Warn", false, { NULL, 0, 0 } },
			{ "b", "Fatal", true, { NULL, 0, 0 } },
		};
		struct regexset_options opts = { 0 };

		regexset_compile(pats, 2, &opts, &set);
		m = regexset_matcher_new(set);
		ok(!regexset_match_pattern(m, 0, "WARN", 4) &&
			   regexset_match_pattern(m, 1, "FATAL", 5),
		   "per-pattern caseless flag");
		regexset_matcher_free(m);
		regexset_free(set);
		opts.caseless = true;
		regexset_compile(pats, 2, &opts, &set);
		m = regexset_matcher_new(set);
		ok(regexset_match_pattern(m, 0, "WARN", 4), "per-set caseless flag");
		ok(regexset_caseless(set, 0), "per-set flag marks literals caseless");
		regexset_matcher_free(m);
		regexset_free(set);
	}
}

static void
test_many_patterns(void)
{
	struct regexset_pattern pats[300];
	char names[300][16];
	struct regexset *set;
	struct regexset_matcher *m;
	const size_t *hits;
	size_t i, n;

	for (i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "<%zu>", i);
		pats[i].name = names[i];
		pats[i].regex = names[i];
		pats[i].caseless = false;
		pats[i].loc = diag_file(NULL);
	}
	ok(regexset_compile(pats, 300, NULL, &set) == 0, "300 patterns compile");
	m = regexset_matcher_new(set);
	n = regexset_match(m, "x <7> y <299> z <256>", 21);
	hits = regexset_matcher_hits(m);
	ok(n == 3 && hits[0] == 7 && hits[1] == 256 && hits[2] == 299,
	   "patterns past 256 are reported");
	regexset_matcher_free(m);
	regexset_free(set);
}

static void
test_limits(bool no_jit)
{
	struct regexset_pattern p = { "evil", "(a+)+$", false, { NULL, 0, 0 } };
	struct regexset_options opts = { 0 };
	struct regexset *set;
	struct regexset_matcher *m;
	size_t len = 100000;
	char *line = xmalloc(len + 1);
	time_t start;
	bool matched;

	opts.no_jit = no_jit;
	memset(line, 'a', len);
	line[len] = 'b';
	regexset_compile(&p, 1, &opts, &set);
	m = regexset_matcher_new(set);
	start = time(NULL);
	matched = regexset_match_pattern(m, 0, line, len + 1);
	ok(time(NULL) - start < 10, "%s: catastrophic pattern returns quickly",
	   no_jit ? "interpreter" : "jit");
	ok(!matched, "%s: limit reads as no match", no_jit ? "interpreter" : "jit");
	is_int((long long)regexset_matcher_limit_hits(m, 0), 1,
	       no_jit ? "interpreter: limit counted" : "jit: limit counted");
	ok(regexset_match_pattern(m, 0, "aaa", 3), "%s: next line still matches",
	   no_jit ? "interpreter" : "jit");
	regexset_match_pattern(m, 0, line, len + 1);
	is_int((long long)regexset_matcher_limit_hits(m, 0), 2,
	       no_jit ? "interpreter: counted per line" : "jit: counted per line");
	regexset_matcher_free(m);
	regexset_free(set);
	free(line);
}

static void
test_fields(void)
{
	struct regexset_pattern pats[2] = {
		{ "login", "(?<user>\\w+)@(?<host>[\\w.]+)( port (?<port>\\d+))?", false,
		  { NULL, 0, 0 } },
		{ "plain", "(ab)(c)", false, { NULL, 0, 0 } },
	};
	struct regexset *set;
	struct regexset_matcher *m1, *m2;
	json_t *f;
	char *text;

	regexset_compile(pats, 2, NULL, &set);
	m1 = regexset_matcher_new(set);
	m2 = regexset_matcher_new(set);
	f = regexset_matcher_fields(m1, 0, "mail alice@example.org rejected", 31);
	text = f != NULL ? json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	is_str(text, "{\"host\":\"example.org\",\"user\":\"alice\"}", "named groups, unset omitted");
	free(text);
	json_decref(f);

	f = regexset_matcher_fields(m2, 0, "bob@h port 22", 13);
	text = f != NULL ? json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	is_str(text, "{\"host\":\"h\",\"port\":\"22\",\"user\":\"bob\"}", "optional group set");
	free(text);
	json_decref(f);

	ok(regexset_matcher_fields(m1, 0, "nobody here", 11) == NULL, "no match, no fields");
	f = regexset_matcher_fields(m1, 1, "xabcx", 5);
	ok(f != NULL && json_object_size(f) == 0, "pattern without names gives {}");
	json_decref(f);

	f = regexset_matcher_fields(m1, 0, "\xff\xfe@h", 4);
	ok(f == NULL, "\\w does not match high bytes outside UTF mode");
	json_decref(f);
	regexset_matcher_free(m1);
	regexset_matcher_free(m2);
	regexset_free(set);

	set = compile_one("u=(?<u>[^ ]*) ", false, false);
	m1 = regexset_matcher_new(set);
	f = regexset_matcher_fields(m1, 0, "u=a\xffz end", 10);
	is_str(f != NULL ? json_string_value(json_object_get(f, "u")) : NULL,
	       "a\xef\xbf\xbdz", "invalid UTF-8 in a field becomes U+FFFD");
	json_decref(f);
	f = regexset_matcher_fields(m1, 0, "u=\xc3\xa9 end", 8);
	is_str(f != NULL ? json_string_value(json_object_get(f, "u")) : NULL, "\xc3\xa9",
	       "valid UTF-8 in a field is kept");
	json_decref(f);
	regexset_matcher_free(m1);
	regexset_free(set);
}

/* Two matchers over one set, used in turn, keep their own results and counts. */
static void
test_two_matchers(void)
{
	struct regexset_pattern pats[2] = {
		{ "kv", "(?<k>[a-z]+)=(?<v>[0-9]+)", false, { NULL, 0, 0 } },
		{ "evil", "(x+x+)+$", false, { NULL, 0, 0 } },
	};
	struct regexset_options opts = { 0 };
	struct regexset *set;
	struct regexset_matcher *m1, *m2;
	static char evil[4000];   /* static, for valgrind: see test_literal_property */
	json_t *f;
	int i;

	opts.match_limit = 10000;
	regexset_compile(pats, 2, &opts, &set);
	m1 = regexset_matcher_new(set);
	m2 = regexset_matcher_new(set);
	memset(evil, 'x', sizeof(evil));
	evil[sizeof(evil) - 1] = 'z';
	for (i = 0; i < 3; i++) {
		ok(regexset_match(m1, "a=1", 3) == 1 && regexset_match(m2, "zz", 2) == 0 &&
			   regexset_matcher_hits(m1)[0] == 0,
		   "alternating matchers, round %d", i);
		regexset_match(m2, evil, sizeof(evil));
	}
	f = regexset_matcher_fields(m1, 0, "abc=42", 6);
	is_str(f != NULL ? json_string_value(json_object_get(f, "v")) : NULL, "42",
	       "fields from the first matcher after the second ran");
	json_decref(f);
	is_int((long long)regexset_matcher_limit_hits(m1, 1), 0, "first matcher hit no limit");
	is_int((long long)regexset_matcher_limit_hits(m2, 1), 3,
	       "second matcher counted its own limit hits");
	regexset_matcher_free(m1);
	regexset_matcher_free(m2);
	regexset_free(set);
}

/* Where JIT works, forcing the interpreter must not change any answer. */
static void
test_jit_equivalence(void)
{
	static const char *const regexes[] = {
		"error", "(a|b)+c", "^x.*y$", "\\d{2,}", "[^a-c]b", "(?:ab|ba)\\b", "a\\x00b",
	};
	struct regexset_pattern pats[7];
	struct regexset_options opts = { 0 };
	struct regexset *jit, *interp;
	struct regexset_matcher *mj, *mi;
	unsigned long differ = 0, total = 0;
	/* Static, for valgrind: see test_literal_property. */
	static char line[32];
	size_t i, t, n;

	for (i = 0; i < 7; i++) {
		pats[i].name = regexes[i];
		pats[i].regex = regexes[i];
		pats[i].caseless = i % 2 == 1;
		pats[i].loc = diag_file(NULL);
	}
	regexset_compile(pats, 7, &opts, &jit);
	opts.no_jit = true;
	regexset_compile(pats, 7, &opts, &interp);
	ok(!regexset_jit(interp), "no_jit set runs the interpreter");
	if (!regexset_jit(jit))
		tap_diag("PCRE2 JIT is not available here; comparing interpreter to itself");
	mj = regexset_matcher_new(jit);
	mi = regexset_matcher_new(interp);
	srand(777);
	for (t = 0; t < 20000; t++) {
		size_t len = (size_t)rand() % sizeof(line);

		for (i = 0; i < len; i++)
			line[i] = "abcxyErRO0129 \x00\xff"[rand() % 16];
		n = regexset_match(mj, line, len);
		total += n;
		if (n != regexset_match(mi, line, len) ||
		    memcmp(regexset_matcher_hits(mj), regexset_matcher_hits(mi),
			   n * sizeof(size_t)) != 0)
			differ++;
	}
	is_int((long long)differ, 0, "JIT and interpreter agree on random lines");
	ok(total > 1000, "the random lines match often (%lu)", total);
	regexset_matcher_free(mj);
	regexset_matcher_free(mi);
	regexset_free(jit);
	regexset_free(interp);
}

/* A plain-word pattern needs no regex run; anything else does. */
static void
test_literal_only_and_span(void)
{
	static const struct { const char *re; bool want; } cases[] = {
		{ "error", true }, { "Out of memory", true }, { "err.r", false },
		{ "error|fail", false }, { "(?<s>5\\d\\d)", false }, { "a\\.b", false },
		{ "^error", false }, { "timeout$", false },
	};
	struct regexset *set;
	struct regexset_matcher *m;
	size_t i, so = 0, eo = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set = compile_one(cases[i].re, false, false);
		ok(set != NULL && regexset_literal_only(set, 0) == cases[i].want,
		   "literal_only('%s') is %d", cases[i].re, cases[i].want);
		regexset_free(set);
	}
	set = compile_one("(?<s>5\\d\\d)", false, false);
	ok(regexset_has_names(set, 0), "named group seen");
	m = regexset_matcher_new(set);
	ok(regexset_matcher_span(m, 0, "GET / 503 x 504", 15, 0, &so, &eo) && so == 6 && eo == 9,
	   "span of the first match");
	ok(regexset_matcher_span(m, 0, "GET / 503 x 504", 15, eo, &so, &eo) && so == 12 && eo == 15,
	   "span of the next match from an offset");
	ok(!regexset_matcher_span(m, 0, "GET / 503 x 504", 15, eo, &so, &eo), "no match after the last");
	ok(!regexset_matcher_span(m, 0, "503", 3, 4, &so, &eo), "start past the end is no match");
	regexset_matcher_free(m);
	regexset_free(set);
	set = compile_one("error", false, false);
	ok(!regexset_has_names(set, 0), "no named group");
	regexset_free(set);
}

int
main(void)
{
	diag_setup("code-logscan");
	test_literals();
	test_literal_property();
	test_errors();
	test_matching();
	test_many_patterns();
	test_limits(false);
	test_limits(true);
	test_fields();
	test_two_matchers();
	test_jit_equivalence();
	test_literal_only_and_span();
	return tap_done();
}
