/* test-logscan-patterns.c: pattern files, -e and --set into the list a scan compiles, and every error's location and exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/logscan/patterns.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/regexset.h"
#include "tests/lib/tap.h"

#define MAXV 8

/* One request, built up by a test; lists end at the first NULL. */
struct req {
	const char *e[MAXV];
	const char *f[MAXV];
	const char *sets[MAXV];
};

static size_t
count(const char *const *v)
{
	size_t n = 0;

	while (n < MAXV && v[n])
		n++;
	return n;
}

static struct patterns_request
request(const struct req *r)
{
	struct patterns_request pr = {
		r->e, count(r->e), r->f, count(r->f), r->sets, count(r->sets)
	};

	return pr;
}

/* What the last load printed. */
static char err[8192];

/* Loads yaml as "p.yaml" (NULL: no buffer) plus r's files and -e. */
static int
load(const char *yaml, const struct req *r, struct pattern_list *out)
{
	static const struct req none;
	struct patterns_request pr = request(r ? r : &none);
	int ret;

	tap_capture_begin();
	if (yaml)
		ret = patterns_load_buffer("p.yaml", yaml, strlen(yaml), &pr, out);
	else
		ret = patterns_load(&pr, out);
	snprintf(err, sizeof(err), "%s", tap_capture_end());
	return ret;
}

/* A load that must fail with code and exactly msg; out must come back empty. */
static void
fails(const char *yaml, const struct req *r, int code, const char *msg,
      const char *what)
{
	struct pattern_list list;
	int ret = load(yaml, r, &list);

	is_int(ret, -code, what);
	if (msg)
		is_str(err, msg, what);
	else
		ok(err[0] != '\0', "%s: says why", what);
	if (list.items != NULL || list.count != 0 || list.storage != NULL)
		ok(0, "%s: a failed load left a list", what);
	patterns_free(&list);
}

static const char *
names(const struct pattern_list *list)
{
	static char buf[1024];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < list->count && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s",
				      i ? "," : "", list->items[i].re.name);
	return buf;
}

static const char *
loc_str(const struct diag_loc *loc)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s:%lu:%lu", loc->file, loc->line, loc->col);
	return buf;
}

static const char *
write_tmp(const char *name, const char *text)
{
	static char paths[4][4200];
	static int next;
	char *p = paths[next++ % 4];

	tap_path(p, sizeof(paths[0]), name);
	tap_write_file(p, text, strlen(text));
	return p;
}

static const char header_example[] =
	"sets:\n"
	"  http:\n"
	"    - name: server_error\n"
	"      regex: '\" 5\\d\\d '\n"
	"      severity: error\n"
	"  db:\n"
	"    - { name: deadlock, regex: 'deadlock detected', ignore_case: true }\n"
	"patterns:            # optional: a set named \"default\"\n"
	"  - { name: oom, regex: 'Out of memory' }\n";

static void
test_valid(void)
{
	struct pattern_list list;
	struct req r;
	int ret;

	ret = load(header_example, NULL, &list);
	is_int(ret, 0, "the header's example loads");
	is_str(err, "", "quietly");
	is_str(names(&list), "server_error,deadlock,oom",
	       "file order: sets in the order written, then 'patterns'");
	is_str(list.items[0].re.regex, "\" 5\\d\\d ", "regex text as written");
	is_str(list.items[0].severity, "error", "severity");
	ok(!list.items[0].re.caseless && list.items[1].re.caseless,
	   "ignore_case sets caseless, default off");
	ok(list.items[2].severity == NULL, "no severity is NULL");
	is_str(loc_str(&list.items[0].re.loc), "p.yaml:4:14",
	       "loc is where the regex value is written (block)");
	is_str(loc_str(&list.items[1].re.loc), "p.yaml:7:32",
	       "loc is where the regex value is written (flow)");
	patterns_free(&list);
	ok(list.items == NULL && list.count == 0, "patterns_free empties the list");
	patterns_free(&list);

	ret = load("version: 1\n"
		   "patterns:\n"
		   "  - { name: a, regex: x, severity: debug }\n"
		   "  - { name: b, regex: y, severity: info, ignore_case: false }\n"
		   "sets:\n"
		   "  s:\n"
		   "    - { name: c, regex: z, severity: notice }\n"
		   "    - { name: d, regex: w, severity: warning }\n"
		   "    - { name: e, regex: v, severity: critical }\n", NULL, &list);
	is_int(ret, 0, "version 1, 'patterns' before 'sets'");
	is_str(names(&list), "a,b,c,d,e", "'patterns' first when written first");
	ok(list.count == 5 && strcmp(list.items[4].severity, "critical") == 0 &&
	   strcmp(list.items[2].severity, "notice") == 0,
	   "every severity is accepted");
	patterns_free(&list);

	/* An anchored pattern used in two sets is fine while one is in use. */
	memset(&r, 0, sizeof(r));
	r.sets[0] = "b";
	ret = load("sets:\n"
		   "  a: [ &p { name: shared, regex: x } ]\n"
		   "  b: [ *p ]\n", &r, &list);
	is_int(ret, 0, "an aliased pattern in a set not in use is no duplicate");
	is_str(names(&list), "shared", "the alias resolves");
	patterns_free(&list);

	ret = load(NULL, NULL, &list);
	is_int(ret, 0, "no -e and no -f");
	ok(list.count == 0 && list.items == NULL,
	   "gives an empty list (the caller uses the default set)");
	patterns_free(&list);
}

static void
test_regexes(void)
{
	struct pattern_list list;
	struct req r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.e[0] = "time(out)?";
	r.e[1] = "refused";
	r.e[2] = "time(out)?";
	r.e[3] = "oom";
	ret = load(NULL, &r, &list);
	is_int(ret, 0, "-e only");
	is_str(names(&list), "time(out)?,refused,oom",
	       "-e named by their text; the same -e twice is one pattern");
	is_str(list.items[2].re.regex, "oom", "regex is the text");
	is_str(loc_str(&list.items[2].re.loc), "-e #4:0:0",
	       "-e loc counts every -e given");
	ok(list.items[0].severity == NULL && !list.items[0].re.caseless,
	   "-e has no severity and is case-sensitive (-i is the caller's)");
	patterns_free(&list);

	memset(&r, 0, sizeof(r));
	r.e[0] = "panic";
	ret = load(header_example, &r, &list);
	is_int(ret, 0, "-f and -e together");
	is_str(names(&list), "server_error,deadlock,oom,panic",
	       "file patterns first, then -e");
	patterns_free(&list);

	memset(&r, 0, sizeof(r));
	r.e[0] = "x";
	r.e[1] = "";
	fails(NULL, &r, CODE_EXIT_USAGE, "code-logscan: -e #2: empty regex\n",
	      "an empty -e is a usage error");

	memset(&r, 0, sizeof(r));
	r.e[0] = "deadlock";
	fails(header_example, &r, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:7:15: duplicate pattern name 'deadlock' (also the regex of -e #1)\n",
	      "a file pattern named like an -e is an error at the file");
}

static void
test_sets(void)
{
	const char *f1, *f2;
	struct pattern_list list;
	struct req r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.sets[0] = "db";
	ret = load(header_example, &r, &list);
	is_int(ret, 0, "--set db");
	is_str(names(&list), "deadlock", "only the set asked for");
	patterns_free(&list);

	r.sets[0] = "default";
	r.sets[1] = "http";
	r.sets[2] = "default";
	ret = load(header_example, &r, &list);
	is_int(ret, 0, "--set default --set http --set default");
	is_str(names(&list), "server_error,oom",
	       "sets keep the file's order; a --set given twice counts once");
	patterns_free(&list);

	f1 = write_tmp("one.yaml",
		       "sets:\n  web: [ { name: a, regex: x } ]\n"
		       "  db: [ { name: b, regex: y } ]\n");
	f2 = write_tmp("two.yaml",
		       "sets:\n  web:\n    - { name: c, regex: z, severity: error }\n");
	memset(&r, 0, sizeof(r));
	r.f[0] = f1;
	r.f[1] = f2;
	r.sets[0] = "web";
	ret = load(NULL, &r, &list);
	is_int(ret, 0, "the same set in two files");
	is_str(names(&list), "a,c", "is joined, in file order");
	ok(list.count == 2 && strcmp(list.items[1].re.loc.file, f2) == 0 &&
	   list.items[1].re.loc.line == 3 && list.items[1].re.loc.col == 25,
	   "locs name each file and outlive its document");
	patterns_free(&list);

	r.sets[0] = "wbe";
	fails(NULL, &r, CODE_EXIT_USAGE,
	      "code-logscan: unknown set 'wbe' (did you mean 'web'?)\n",
	      "an unknown --set near a known one");
	r.sets[0] = "web";
	r.sets[1] = "payments";
	fails(NULL, &r, CODE_EXIT_USAGE,
	      "code-logscan: unknown set 'payments' (the pattern files define: web, db)\n",
	      "an unknown --set far from any lists the sets");
	memset(&r, 0, sizeof(r));
	r.e[0] = "x";
	r.sets[0] = "web";
	fails(NULL, &r, CODE_EXIT_USAGE,
	      "code-logscan: unknown set 'web' (no pattern file given with -f)\n",
	      "--set without -f");
}

static void
test_files(void)
{
	struct pattern_list list;
	char missing[4200];
	const char *f1, *f2, *bad;
	struct req r;
	int ret;

	tap_path(missing, sizeof(missing), "missing.yaml");
	memset(&r, 0, sizeof(r));
	r.f[0] = missing;
	ret = load(NULL, &r, &list);
	is_int(ret, -CODE_EXIT_NOINPUT, "a missing -f exits 66");
	ok(strstr(err, "cannot open") != NULL && strstr(err, "missing.yaml"),
	   "saying it cannot open it");

	f1 = write_tmp("a.yaml", "patterns:\n  - { name: x, regex: one }\n");
	f2 = write_tmp("b.yaml", "patterns:\n  - name: x\n    regex: two\n");
	memset(&r, 0, sizeof(r));
	r.f[0] = f1;
	r.f[1] = f2;
	{
		char want[9000];

		snprintf(want, sizeof(want),
			 "code-logscan: %s:2:11: duplicate pattern name 'x' (first at %s:2:13)\n",
			 f2, f1);
		fails(NULL, &r, CODE_EXIT_DATAERR, want,
		      "a duplicate across files names both places");
	}

	bad = write_tmp("bad.yaml", "patterns:\n  - { name: x, regex: [ }\n");
	r.f[1] = bad;
	ret = load(NULL, &r, &list);
	is_int(ret, -CODE_EXIT_DATAERR, "bad YAML in a later file exits 65");
	ok(strstr(err, "bad.yaml:2:") != NULL, "located in that file");
}

static void
test_errors(void)
{
	struct req r;

	fails("", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml: a pattern file must be a mapping with 'sets' or 'patterns', not null\n",
	      "an empty file");
	fails("- a\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:1:1: a pattern file must be a mapping with 'sets' or 'patterns', not a list\n",
	      "a list at the top");
	fails("version: 1\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:1:1: a pattern file needs 'sets' or 'patterns'\n",
	      "neither sets nor patterns");
	fails("set:\n  a: [ { name: a, regex: x } ]\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:1:1: unknown key 'set' in a pattern file (did you mean 'sets'?)\n",
	      "an unknown top-level key, with a suggestion");
	fails("version: 2\npatterns: [ { name: a, regex: x } ]\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:1:10: pattern file version 2 is not supported (only 1 is)\n",
	      "version 2");
	fails("version: '1'\npatterns: [ { name: a, regex: x } ]\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:1:10: 'version' must be the integer 1, not a string\n",
	      "a quoted version");
	fails("sets: [ a ]\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:1:7: 'sets' must be a mapping of set names to lists of patterns, not a list\n",
	      "sets as a list");
	fails("sets: {}\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:1:7: 'sets' names no set\n", "sets empty");
	fails("sets:\n  a: [ { name: a, regex: x } ]\n  '': [ { name: b, regex: y } ]\n",
	      NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:3:3: a set name must not be empty\n",
	      "an empty set name, at its key");
	fails("sets:\n  a: []\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:6: set 'a' has no patterns\n",
	      "an empty set, at its value");
	fails("sets:\n  a:\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:5: 'a' must be a list of patterns, not null\n",
	      "a set with nothing");
	fails("patterns: []\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:1:11: 'patterns' is empty\n",
	      "'patterns' empty");
	fails("patterns: { name: a, regex: x }\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:1:11: 'patterns' must be a list of patterns, not a mapping\n",
	      "'patterns' as one mapping");
	fails("patterns: [ { name: a, regex: x } ]\n"
	      "sets:\n  default: [ { name: b, regex: y } ]\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:3:3: set 'default' is also given by 'patterns'\n",
	      "default given twice in one file");
	fails("patterns:\n  - { name: a, regex: x }\n  - oops\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:3:5: a pattern must be a mapping with 'name' and 'regex', not a string\n",
	      "a pattern that is not a mapping, at its item");
	fails("patterns:\n  - name: a\n    regx: x\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:3:5: unknown key 'regx' in a pattern (did you mean 'regex'?)\n",
	      "a misspelt pattern key, with a suggestion");
	fails("patterns:\n  - name: a\n    colour: red\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:3:5: unknown key 'colour' in a pattern\n",
	      "an unknown pattern key");
	fails("patterns:\n  - regex: x\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:5: a pattern needs a 'name'\n",
	      "no name, at the pattern");
	fails("patterns:\n  - name: a\n    severity: error\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:5: pattern 'a' needs a 'regex'\n",
	      "no regex, at the pattern");
	fails("patterns:\n  - { name: '', regex: x }\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:13: 'name' must not be empty\n",
	      "an empty name");
	fails("patterns:\n  - { name: a, regex: \"\" }\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:23: 'regex' must not be empty\n",
	      "an empty regex");
	fails("patterns:\n  - { name: a, regex: 500 }\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:23: 'regex' must be a string, not an integer\n",
	      "a number as regex");
	fails("patterns:\n  - name:\n    regex: x\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:10: 'name' must be a string, not null\n",
	      "a null name");
	fails("patterns:\n  - { name: a, regex: \"x\\0y\" }\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:23: 'regex' must not contain a NUL byte\n",
	      "a NUL in a regex");
	fails("patterns:\n  - { name: a, regex: x, severity: eror }\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:36: unknown severity 'eror' (did you mean 'error'?)\n",
	      "a misspelt severity, with a suggestion");
	fails("patterns:\n  - { name: a, regex: x, severity: fatal }\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:36: unknown severity 'fatal' (one of debug, info, notice, warning, error, critical)\n",
	      "an unknown severity lists the known ones");
	fails("patterns:\n  - { name: a, regex: x, severity: 3 }\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:36: 'severity' must be one of debug, info, notice, warning, error, critical, not an integer\n",
	      "a number as severity");
	fails("patterns:\n  - { name: a, regex: x, ignore_case: yes }\n", NULL,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:2:39: 'ignore_case' must be true or false, not a string\n",
	      "ignore_case: yes (a string in YAML 1.2)");
	fails("sets:\n  a:\n    - { name: x, regex: one }\n"
	      "  b:\n    - { name: x, regex: two }\n", NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:5:15: duplicate pattern name 'x' (first at p.yaml:3:15)\n",
	      "a duplicate name across sets, at the second");
	fails("patterns:\n  - { name: x, regex: one }\n  - { name: x, regex: one }\n",
	      NULL, CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:3:13: duplicate pattern name 'x' (first at p.yaml:2:13)\n",
	      "a duplicate name in one set");
	fails("patterns:\n  - { name: a, regex: [ }\n", NULL, CODE_EXIT_DATAERR,
	      NULL, "bad YAML");

	memset(&r, 0, sizeof(r));
	r.sets[0] = "b";
	fails("sets:\n  a: [ { name: a, regex: x } ]\n"
	      "  b: [ { name: b, regex: x, severity: bad } ]\n", &r,
	      CODE_EXIT_DATAERR,
	      "code-logscan: p.yaml:3:39: unknown severity 'bad' (one of debug, info, notice, warning, error, critical)\n",
	      "a set not in use is still checked");
}

/* The list is what regexset_compile wants, and its locs reach its errors. */
static void
test_compile(void)
{
	struct pattern_list list;
	struct regexset *set = NULL;
	struct req r;
	const char *srcdir = getenv("top_srcdir");
	char path[4200];
	const char *line;
	json_t *fields;
	struct regexset_matcher *m;
	size_t i;
	int ret;

	snprintf(path, sizeof(path), "%s/tests/data/logscan/patterns.yaml",
		 srcdir ? srcdir : "..");
	memset(&r, 0, sizeof(r));
	r.f[0] = path;
	r.e[0] = "segfault";
	ret = load(NULL, &r, &list);
	is_int(ret, 0, "the sample pattern file loads");
	ok(list.count >= 7, "with its patterns and the -e");
	for (i = 0; i < list.count; i++)
		if (list.items[i].severity == NULL &&
		    strcmp(list.items[i].re.name, "segfault") != 0)
			break;
	ok(i == list.count, "every sample pattern has a severity");
	/* The list holds logscan_pattern, so the caller hands regexset_compile
	 * a copy of each item's regexset_pattern. */
	{
		struct regexset_pattern *pats = calloc(list.count, sizeof(*pats));

		for (i = 0; i < list.count; i++)
			pats[i] = list.items[i].re;
		tap_capture_begin();
		ret = regexset_compile(pats, list.count, NULL, &set);
		line = tap_capture_end();
		free(pats);
	}
	is_int(ret, 0, "regexset_compile takes the sample's patterns");
	is_str(line, "", "quietly");
	m = set ? regexset_matcher_new(set) : NULL;
	line = "10.0.0.1 - - \"GET / HTTP/1.1\" 503 12 took 1200ms";
	for (i = 0; m && i < list.count; i++)
		if (strcmp(list.items[i].re.name, "server_error") == 0)
			break;
	fields = m && i < list.count ?
		regexset_matcher_fields(m, i, line, strlen(line)) : NULL;
	is_str(fields ? json_string_value(json_object_get(fields, "status")) : NULL,
	       "503", "a named group of the sample matches");
	json_decref(fields);
	regexset_matcher_free(m);
	regexset_free(set);
	patterns_free(&list);

	memset(&r, 0, sizeof(r));
	r.e[0] = "ok";
	r.e[1] = "a(b";
	ret = load("patterns:\n  - name: broken\n    regex: 'x[1-'\n", &r, &list);
	is_int(ret, 0, "bad regexes load (compiling is the caller's)");
	{
		struct regexset_pattern pats[3];

		for (i = 0; i < list.count && i < 3; i++)
			pats[i] = list.items[i].re;
		tap_capture_begin();
		ret = regexset_compile(pats, 1, NULL, &set);
		line = tap_capture_end();
		is_int(ret, -CODE_EXIT_DATAERR, "a bad file regex fails to compile");
		ok(strncmp(line, "code-logscan: p.yaml:3:12: invalid regex 'x[1-'", 47) == 0,
		   "at its FILE:LINE:COL");
		tap_capture_begin();
		ret = regexset_compile(pats + 1, 2, NULL, &set);
		line = tap_capture_end();
		is_int(ret, -CODE_EXIT_DATAERR, "a bad -e fails to compile");
		ok(strncmp(line, "code-logscan: -e #2: invalid regex 'a(b'", 40) == 0,
		   "named by its -e number");
	}
	patterns_free(&list);
}

int
main(void)
{
	diag_setup("code-logscan");
	test_valid();
	test_regexes();
	test_sets();
	test_files();
	test_errors();
	test_compile();
	return tap_done();
}
