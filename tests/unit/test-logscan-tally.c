/* test-logscan-tally.c: counts and buckets come out sorted, folded and byte-exact in ndjson, text and prom; merge sums records. */
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/logscan/tally.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/ndjson.h"
#include "libcommon/strbuf.h"
#include "tests/lib/tap.h"

#define T0 1795428000000LL /* 2026-11-23T10:00:00.000Z */
#define T1 (T0 + 60000)
#define T2 (T0 + 120000)

/* ---------------------------------------------------------------- helpers */

static char *
slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	close(fd);
	strbuf_addstr(&sb, "");
	return strbuf_detach(&sb, NULL);
}

/*
 * Writes the tally in a format and returns the bytes (caller frees);
 * stderr (the folding warning) goes to *err when err is not NULL.
 */
static char *
render_err(struct tally *t, enum tally_format format, int *ret, char **err)
{
	char path[4200];
	struct output *o;
	int fd, r;

	tap_path(path, sizeof(path), "out");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || output_open_fd(fd, &o) < 0)
		return NULL;
	tap_capture_begin();
	r = tally_write(t, format, o);
	if (r == 0)
		r = output_close(o);
	else
		output_close(o);
	if (err != NULL)
		*err = strdup(tap_capture_end());
	else
		tap_capture_end();
	close(fd);
	if (ret != NULL)
		*ret = r;
	return slurp(path);
}

static char *
render(struct tally *t, enum tally_format format)
{
	return render_err(t, format, NULL, NULL);
}

/* ---------------------------------------------------------------- prom validator */

#define NAME "[a-zA-Z_:][a-zA-Z0-9_:]*"
#define LNAME "[a-zA-Z_][a-zA-Z0-9_]*"
#define LVALUE "\"([^\"\\\\]|\\\\[\\\\\"n])*\""
#define VALUE "[-+]?(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?|Inf|NaN)"

static const char sample_re[] =
	"^" NAME "(\\{(" LNAME "=" LVALUE "(," LNAME "=" LVALUE ")*,?)?\\})? " VALUE "$";
static const char help_re[] = "^# HELP " NAME " ([^\\\\]|\\\\[\\\\n])*$";
static const char type_re[] = "^# TYPE " NAME " (counter|gauge|histogram|summary|untyped)$";

static bool
utf8_valid(const unsigned char *s)
{
	while (*s) {
		size_t n = *s < 0x80 ? 1 : (*s & 0xe0) == 0xc0 ? 2 : (*s & 0xf0) == 0xe0 ? 3 :
			   (*s & 0xf8) == 0xf0 ? 4 : 0;
		size_t i;

		if (n == 0 || (n == 2 && *s < 0xc2))
			return false;
		for (i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return false;
		s += n;
	}
	return true;
}

/* The family a line is about: its metric name. */
static void
line_name(const char *line, char *out, size_t size)
{
	size_t n;

	if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0)
		line += 7;
	n = strcspn(line, "{ ");
	if (n >= size)
		n = size - 1;
	memcpy(out, line, n);
	out[n] = '\0';
}

/*
 * Checks the label names of a sample that already matched sample_re: no
 * name twice, none reserved ("__"). Values were checked by the regex.
 */
static const char *
check_labels(const char *line)
{
	const char *p = strchr(line, '{');
	char names[32][64];
	size_t n = 0, i, len;

	if (p == NULL || p > strchr(line, ' '))
		return NULL;
	p++;
	while (*p != '}') {
		len = strcspn(p, "=");
		if (len >= 64 || n == 32)
			return "label name too long or too many labels";
		memcpy(names[n], p, len);
		names[n][len] = '\0';
		if (strncmp(names[n], "__", 2) == 0)
			return "reserved label name";
		for (i = 0; i < n; i++)
			if (strcmp(names[i], names[n]) == 0)
				return "label name repeated";
		n++;
		p += len + 2;
		while (*p != '"')
			p += *p == '\\' ? 2 : 1;
		p++;
		if (*p == ',')
			p++;
	}
	return NULL;
}

/*
 * A strict reader of the text exposition format as node_exporter's
 * textfile collector uses it: returns NULL when valid, else why not.
 */
static const char *
prom_check(const char *text, char *where, size_t where_size)
{
	static char why[256];
	regex_t rs, rh, rt;
	struct strbuf seen = STRBUF_INIT, types = STRBUF_INIT, helps = STRBUF_INIT,
		      closed = STRBUF_INIT;
	char cur[256] = "", name[256], key[512];
	const char *p = text, *res = NULL;
	unsigned long lineno = 0;

	where[0] = '\0';
	if (regcomp(&rs, sample_re, REG_EXTENDED | REG_NOSUB) != 0 ||
	    regcomp(&rh, help_re, REG_EXTENDED | REG_NOSUB) != 0 ||
	    regcomp(&rt, type_re, REG_EXTENDED | REG_NOSUB) != 0)
		return "regcomp failed";
	if (!utf8_valid((const unsigned char *)text))
		res = "not UTF-8";
	else if (*text != '\0' && text[strlen(text) - 1] != '\n')
		res = "no final newline";
	strbuf_addstr(&seen, "\n");
	strbuf_addstr(&types, "\n");
	strbuf_addstr(&helps, "\n");
	strbuf_addstr(&closed, "\n");
	while (res == NULL && *p) {
		size_t len = strcspn(p, "\n");
		char *line = strndup(p, len);

		lineno++;
		snprintf(where, where_size, "line %lu: %s", lineno, line);
		p += len + 1;
		line_name(line, name, sizeof(name));
		snprintf(key, sizeof(key), "\n%s\n", name);
		if (strcmp(name, cur) != 0) {
			/* A new family: the old one is over for good. */
			if (strstr(closed.buf, key) != NULL)
				res = "family's lines are not together";
			snprintf(key, sizeof(key), "\n%s\n", cur);
			if (cur[0])
				strbuf_addstr(&closed, key + 1);
			snprintf(cur, sizeof(cur), "%s", name);
			snprintf(key, sizeof(key), "\n%s\n", name);
		}
		if (res != NULL) {
			/* reported below */
		} else if (len == 0) {
			res = "empty line";
		} else if (strncmp(line, "# HELP ", 7) == 0) {
			if (regexec(&rh, line, 0, NULL, 0) != 0)
				res = "bad HELP line";
			else if (strstr(helps.buf, key) != NULL)
				res = "HELP twice";
			strbuf_addstr(&helps, key + 1);
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			if (regexec(&rt, line, 0, NULL, 0) != 0)
				res = "bad TYPE line";
			else if (strstr(types.buf, key) != NULL)
				res = "TYPE twice";
			strbuf_addstr(&types, key + 1);
		} else if (line[0] == '#') {
			res = "unexpected comment";
		} else if (regexec(&rs, line, 0, NULL, 0) != 0) {
			res = "bad sample line";
		} else if (strstr(types.buf, key) == NULL) {
			res = "sample without TYPE before it";
		} else if ((res = check_labels(line)) == NULL) {
			char series[1024];

			snprintf(series, sizeof(series), "\n%.*s\n",
				 (int)(strrchr(line, ' ') - line), line);
			if (strstr(seen.buf, series) != NULL)
				res = "series twice";
			strbuf_addstr(&seen, series + 1);
		}
		free(line);
	}
	if (res == NULL)
		where[0] = '\0';
	else
		snprintf(why, sizeof(why), "%s", res);
	regfree(&rs);
	regfree(&rh);
	regfree(&rt);
	strbuf_release(&seen);
	strbuf_release(&types);
	strbuf_release(&helps);
	strbuf_release(&closed);
	return res ? why : NULL;
}

static void
prom_valid(const char *text, const char *what)
{
	char where[1200];
	const char *why = prom_check(text ? text : "", where, sizeof(where));

	if (!ok(why == NULL, "prom is valid: %s", what))
		tap_diag("%s at %s", why, where);
}

static void
test_validator(void)
{
	char where[1200];
	static const char *const bad[] = {
		"m 1",                                           /* no final newline */
		"# TYPE m gauge\nm 1\nm 2\n",                    /* series twice */
		"m 1\n",                                         /* no TYPE */
		"# TYPE m gauge\nm{a=\"x\",a=\"y\"} 1\n",        /* label twice */
		"# TYPE m gauge\nm{a=\"x\\q\"} 1\n",             /* bad escape */
		"# TYPE m gauge\nm{a=\"x\"} 1 1700000000\n",     /* timestamp */
		"# TYPE m gauge\nm{1a=\"x\"} 1\n",               /* label name */
		"# TYPE m gauge\n# TYPE m gauge\nm 1\n",         /* TYPE twice */
		"# TYPE m gauge\nm 1\n# TYPE n gauge\nn 1\nm{a=\"b\"} 1\n", /* split family */
		"# TYPE m gauge\n\nm 1\n",                       /* empty line */
		"# TYPE m gauge\nm{a=\"\xff\"} 1\n",             /* not UTF-8 */
		"# TYPE m gauge\nm{__a=\"x\"} 1\n",              /* reserved */
		"# TYPE m gauge\nm one\n",                       /* value */
	};
	size_t i, rejected = 0;

	ok(prom_check("# HELP m A \\\\ help.\n# TYPE m gauge\nm{a=\"x\\\"y\\n\",b=\"\"} 1\nm 2.5\n",
		      where, sizeof(where)) == NULL, "the validator accepts a valid exposition");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (prom_check(bad[i], where, sizeof(where)) != NULL)
			rejected++;
		else
			tap_diag("accepted: %s", bad[i]);
	}
	is_int((long long)rejected, (long long)(sizeof(bad) / sizeof(bad[0])),
	       "the validator rejects every broken exposition");
}

/* ---------------------------------------------------------------- parse_keys */

static void
keys_error(const char *arg, const char *want, const char *what)
{
	struct tally_spec spec = { 0, 0, 7 };
	const char *err;
	int ret;

	tap_capture_begin();
	ret = tally_parse_keys(arg, &spec);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_USAGE, what);
	is_str(err, want, what);
}

static void
test_parse_keys(void)
{
	struct tally_spec spec = { 0, 0, 7 };

	is_int(tally_parse_keys("pattern,level,window:60s", &spec), 0, "pattern,level,window:60s parses");
	is_int(spec.keys, TALLY_KEY_PATTERN | TALLY_KEY_LEVEL | TALLY_KEY_WINDOW, "with those keys");
	is_int(spec.window_ms, 60000, "and a 60000 ms window");
	is_int((long long)spec.max_series, 7, "max_series is left to --max-series");
	is_int(tally_parse_keys("severity,file,window:250ms", &spec), 0, "keys in any order");
	is_int(spec.keys, TALLY_KEY_SEVERITY | TALLY_KEY_FILE | TALLY_KEY_WINDOW, "severity, file, window");
	is_int(spec.window_ms, 250, "a 250ms window");
	is_int(tally_parse_keys("level", &spec), 0, "one key without a window");
	ok(spec.keys == TALLY_KEY_LEVEL && spec.window_ms == 0, "no window then");

	keys_error("", "code-logscan: --aggregate needs keys: file, pattern, level, severity, window:DURATION\n",
		   "an empty list is a usage error");
	keys_error("pattern,,level", "code-logscan: --aggregate: empty key in 'pattern,,level'\n",
		   "an empty item is named");
	keys_error("pattern,lvel", "code-logscan: --aggregate: unknown key 'lvel' (did you mean 'level'?)\n",
		   "a typo gets a did-you-mean");
	keys_error("windw:60s", "code-logscan: --aggregate: unknown key 'windw' (did you mean 'window'?)\n",
		   "a misspelt window too");
	keys_error("host", "code-logscan: --aggregate: unknown key 'host' (keys are file, pattern, level, severity, window:DURATION)\n",
		   "a stranger gets the list of keys");
	keys_error("pattern,window", "code-logscan: --aggregate: window needs a duration, e.g. window:60s\n",
		   "window without a duration");
	keys_error("window:", "code-logscan: --aggregate: window needs a duration, e.g. window:60s\n",
		   "window: with an empty duration");
	keys_error("window:soon", "code-logscan: --aggregate: bad window duration 'soon' (e.g. 250ms, 60s, 5m, 1h)\n",
		   "a bad duration is named");
	keys_error("window:0s", "code-logscan: --aggregate: the window must be at least 1ms, not '0s'\n",
		   "a zero window");
	keys_error("level,pattern,level", "code-logscan: --aggregate: key 'level' given twice\n",
		   "a repeated key");
	keys_error("pattern:x", "code-logscan: --aggregate: key 'pattern' takes no value (only window:DURATION does)\n",
		   "a value on a plain key");
}

/* ---------------------------------------------------------------- count mode */

static struct tally *
count_tally(int order)
{
	struct tally_spec spec = { 0, 0, 0 };
	struct tally *t = tally_new(&spec);
	struct tally_totals tot = { 2, 1000, 7, 65536 };

	if (order == 0) {
		tally_add_count(t, "b.log", "timeout", 1);
		tally_add_count(t, "a.log", "error", 3);
		tally_add_count(t, "a.log", "exception", 0);
		tally_add_count(t, "b.log", "error", 2);
		tally_add_count(t, "a.log", "error", 1);
		tally_add_totals(t, &tot);
	} else {
		tally_add_totals(t, &tot);
		tally_add_count(t, "a.log", "error", 4);
		tally_add_count(t, "b.log", "error", 2);
		tally_add_count(t, "a.log", "exception", 0);
		tally_add_count(t, "b.log", "timeout", 1);
	}
	return t;
}

static const char count_ndjson[] =
	"{\"type\":\"count\",\"file\":\"a.log\",\"pattern\":\"error\",\"lines\":4}\n"
	"{\"type\":\"count\",\"file\":\"a.log\",\"pattern\":\"exception\",\"lines\":0}\n"
	"{\"type\":\"count\",\"file\":\"b.log\",\"pattern\":\"error\",\"lines\":2}\n"
	"{\"type\":\"count\",\"file\":\"b.log\",\"pattern\":\"timeout\",\"lines\":1}\n"
	"{\"type\":\"total\",\"files\":2,\"lines\":1000,\"matched\":7,\"bytes\":65536}\n";

static const char count_text[] =
	"a.log:error:4\n"
	"a.log:exception:0\n"
	"b.log:error:2\n"
	"b.log:timeout:1\n"
	"total: 2 files, 1000 lines, 7 matched, 65536 bytes\n";

static const char count_prom[] =
	"# HELP code_logscan_matched_lines Lines matching the pattern, per file.\n"
	"# TYPE code_logscan_matched_lines gauge\n"
	"code_logscan_matched_lines{file=\"a.log\",pattern=\"error\"} 4\n"
	"code_logscan_matched_lines{file=\"a.log\",pattern=\"exception\"} 0\n"
	"code_logscan_matched_lines{file=\"b.log\",pattern=\"error\"} 2\n"
	"code_logscan_matched_lines{file=\"b.log\",pattern=\"timeout\"} 1\n"
	"# HELP code_logscan_files Files scanned.\n"
	"# TYPE code_logscan_files gauge\n"
	"code_logscan_files 2\n"
	"# HELP code_logscan_lines Lines scanned.\n"
	"# TYPE code_logscan_lines gauge\n"
	"code_logscan_lines 1000\n"
	"# HELP code_logscan_matched_lines_any Lines matching at least one pattern.\n"
	"# TYPE code_logscan_matched_lines_any gauge\n"
	"code_logscan_matched_lines_any 7\n"
	"# HELP code_logscan_bytes Bytes scanned.\n"
	"# TYPE code_logscan_bytes gauge\n"
	"code_logscan_bytes 65536\n";

static void
expect(struct tally *t, enum tally_format format, const char *want, const char *what)
{
	char *got = render(t, format);

	is_str(got, want, what);
	if (format == TALLY_FORMAT_PROM)
		prom_valid(got, what);
	free(got);
}

static void
test_count(void)
{
	struct tally *a = count_tally(0), *b = count_tally(1);
	char *err = NULL, *got;
	int ret = -1;

	got = render_err(a, TALLY_FORMAT_NDJSON, &ret, &err);
	is_int(ret, 0, "count ndjson: tally_write returns 0");
	is_str(got, count_ndjson, "count ndjson: sorted by file then pattern, sums, total last");
	is_str(err, "", "count ndjson: nothing on stderr");
	free(got);
	free(err);
	expect(a, TALLY_FORMAT_TEXT, count_text, "count text: FILE:PATTERN:N and the total line");
	expect(a, TALLY_FORMAT_PROM, count_prom, "count prom");
	expect(b, TALLY_FORMAT_NDJSON, count_ndjson, "count ndjson does not depend on add order");
	expect(b, TALLY_FORMAT_TEXT, count_text, "count text does not depend on add order");
	expect(b, TALLY_FORMAT_PROM, count_prom, "count prom does not depend on add order");
	tally_free(a);
	tally_free(b);
}

static void
test_empty(void)
{
	struct tally_spec spec = { 0, 0, 0 };
	struct tally *t = tally_new(&spec);
	struct tally_totals zero = { 0, 0, 0, 0 };

	expect(t, TALLY_FORMAT_NDJSON, "", "an empty tally writes nothing");
	expect(t, TALLY_FORMAT_PROM, "", "nor in prom");
	tally_add_totals(t, &zero);
	expect(t, TALLY_FORMAT_NDJSON,
	       "{\"type\":\"total\",\"files\":0,\"lines\":0,\"matched\":0,\"bytes\":0}\n",
	       "zero totals still give a total record");
	tally_free(t);
}

/* ---------------------------------------------------------------- bucket mode */

static void
add(struct tally *t, const char *file, const char *pattern, const char *level,
    const char *severity, bool has_window, long long start, uint64_t n)
{
	struct tally_labels l = { file, pattern, level, severity, has_window, start };

	tally_add_bucket(t, &l, n);
}

static struct tally *
bucket_tally(int order)
{
	struct tally_spec spec = { TALLY_KEY_PATTERN | TALLY_KEY_LEVEL | TALLY_KEY_WINDOW, 60000, 0 };
	struct tally *t = tally_new(&spec);
	struct tally_totals tot = { 1, 50, 9, 4096 };
	int i;

	/* file and severity are not keys: ignored whatever they say. */
	if (order == 0) {
		add(t, "a.log", "error", "ERROR", "high", true, T1, 1);
		add(t, "b.log", "error", "ERROR", NULL, true, T1, 1);
		add(t, NULL, "timeout", "WARN", NULL, true, T0, 2);
		add(t, "a.log", "error", NULL, NULL, false, 0, 1);
		add(t, "a.log", "error", "ERROR", NULL, true, T0, 3);
		add(t, "a.log", "timeout", "", NULL, true, T1, 1);
		add(t, "a.log", "error", "ERROR", NULL, true, T1, 1);
	} else {
		add(t, "a.log", "timeout", NULL, NULL, true, T1, 1);
		for (i = 0; i < 3; i++)
			add(t, "c.log", "error", "ERROR", "x", true, T1, 1);
		add(t, "a.log", "error", "", NULL, false, 0, 1);
		add(t, "a.log", "timeout", "WARN", NULL, true, T0, 2);
		add(t, "a.log", "error", "ERROR", NULL, true, T0, 3);
	}
	tally_add_totals(t, &tot);
	return t;
}

static const char bucket_ndjson[] =
	"{\"type\":\"bucket\",\"window_ms\":60000,\"pattern\":\"error\",\"level\":\"\",\"count\":1}\n"
	"{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":60000,\"pattern\":\"error\",\"level\":\"ERROR\",\"count\":3}\n"
	"{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":60000,\"pattern\":\"timeout\",\"level\":\"WARN\",\"count\":2}\n"
	"{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:01:00.000Z\",\"window_ms\":60000,\"pattern\":\"error\",\"level\":\"ERROR\",\"count\":3}\n"
	"{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:01:00.000Z\",\"window_ms\":60000,\"pattern\":\"timeout\",\"level\":\"\",\"count\":1}\n"
	"{\"type\":\"total\",\"files\":1,\"lines\":50,\"matched\":9,\"bytes\":4096}\n";

static const char bucket_text[] =
	"WINDOW_START\tPATTERN\tLEVEL\tCOUNT\n"
	"-\terror\t-\t1\n"
	"2026-11-23T10:00:00.000Z\terror\tERROR\t3\n"
	"2026-11-23T10:00:00.000Z\ttimeout\tWARN\t2\n"
	"2026-11-23T10:01:00.000Z\terror\tERROR\t3\n"
	"2026-11-23T10:01:00.000Z\ttimeout\t-\t1\n"
	"total: 1 files, 50 lines, 9 matched, 4096 bytes\n";

static const char bucket_prom[] =
	"# HELP code_logscan_bucket_lines Lines matched per label combination in the latest window.\n"
	"# TYPE code_logscan_bucket_lines gauge\n"
	"code_logscan_bucket_lines{pattern=\"error\",level=\"ERROR\"} 3\n"
	"code_logscan_bucket_lines{pattern=\"timeout\",level=\"\"} 1\n"
	"# HELP code_logscan_window_start_seconds Start of the window code_logscan_bucket_lines covers, in Unix time.\n"
	"# TYPE code_logscan_window_start_seconds gauge\n"
	"code_logscan_window_start_seconds 1795428060\n"
	"# HELP code_logscan_window_seconds Length of the aggregation window in seconds.\n"
	"# TYPE code_logscan_window_seconds gauge\n"
	"code_logscan_window_seconds 60\n"
	"# HELP code_logscan_files Files scanned.\n"
	"# TYPE code_logscan_files gauge\n"
	"code_logscan_files 1\n"
	"# HELP code_logscan_lines Lines scanned.\n"
	"# TYPE code_logscan_lines gauge\n"
	"code_logscan_lines 50\n"
	"# HELP code_logscan_matched_lines_any Lines matching at least one pattern.\n"
	"# TYPE code_logscan_matched_lines_any gauge\n"
	"code_logscan_matched_lines_any 9\n"
	"# HELP code_logscan_bytes Bytes scanned.\n"
	"# TYPE code_logscan_bytes gauge\n"
	"code_logscan_bytes 4096\n";

static void
test_bucket(void)
{
	struct tally *a = bucket_tally(0), *b = bucket_tally(1);

	expect(a, TALLY_FORMAT_NDJSON, bucket_ndjson,
	       "bucket ndjson: no-window first, then by window and labels, only the keys given");
	expect(a, TALLY_FORMAT_TEXT, bucket_text, "bucket text: header, '-' for no window or empty label");
	expect(a, TALLY_FORMAT_PROM, bucket_prom, "bucket prom: the latest window only, with its start");
	expect(b, TALLY_FORMAT_NDJSON, bucket_ndjson, "bucket ndjson does not depend on add order");
	expect(b, TALLY_FORMAT_TEXT, bucket_text, "bucket text does not depend on add order");
	expect(b, TALLY_FORMAT_PROM, bucket_prom, "bucket prom does not depend on add order");
	tally_free(a);
	tally_free(b);
}

/* Every key, labels that need escaping, a window shorter than a second. */
static void
test_bucket_all_keys(void)
{
	struct tally_spec spec = { TALLY_KEY_FILE | TALLY_KEY_PATTERN | TALLY_KEY_LEVEL |
				   TALLY_KEY_SEVERITY | TALLY_KEY_WINDOW, 250, 0 };
	struct tally *t = tally_new(&spec);

	add(t, "we\"ird\\na\nme\xff.log", "err\tor", "ERROR", "high", true, T0 + 250, 5);
	add(t, "a.log", "error", "ERROR", "high", true, T0 + 250, 1);
	add(t, "a.log", "error", "ERROR", "high", true, T0, 1);
	/* Another bad byte in the same place: the same label, one bucket. */
	add(t, "we\"ird\\na\nme\xfe.log", "err\tor", "ERROR", "high", true, T0 + 250, 0);
	expect(t, TALLY_FORMAT_NDJSON,
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":250,\"file\":\"a.log\",\"pattern\":\"error\",\"level\":\"ERROR\",\"severity\":\"high\",\"count\":1}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.250Z\",\"window_ms\":250,\"file\":\"a.log\",\"pattern\":\"error\",\"level\":\"ERROR\",\"severity\":\"high\",\"count\":1}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.250Z\",\"window_ms\":250,\"file\":\"we\\\"ird\\\\na\\nme\xef\xbf\xbd.log\",\"pattern\":\"err\\tor\",\"level\":\"ERROR\",\"severity\":\"high\",\"count\":5}\n",
	       "all keys in ndjson, in the header's order, strings JSON-escaped, U+FFFD for bad bytes");
	expect(t, TALLY_FORMAT_TEXT,
	       "WINDOW_START\tFILE\tPATTERN\tLEVEL\tSEVERITY\tCOUNT\n"
	       "2026-11-23T10:00:00.000Z\ta.log\terror\tERROR\thigh\t1\n"
	       "2026-11-23T10:00:00.250Z\ta.log\terror\tERROR\thigh\t1\n"
	       "2026-11-23T10:00:00.250Z\twe\"ird\\na\\nme\xef\xbf\xbd.log\terr\\tor\tERROR\thigh\t5\n",
	       "all keys in text, tabs and newlines in labels escaped");
	expect(t, TALLY_FORMAT_PROM,
	       "# HELP code_logscan_bucket_lines Lines matched per label combination in the latest window.\n"
	       "# TYPE code_logscan_bucket_lines gauge\n"
	       "code_logscan_bucket_lines{file=\"a.log\",pattern=\"error\",level=\"ERROR\",severity=\"high\"} 1\n"
	       "code_logscan_bucket_lines{file=\"we\\\"ird\\\\na\\nme\xef\xbf\xbd.log\",pattern=\"err\tor\",level=\"ERROR\",severity=\"high\"} 5\n"
	       "# HELP code_logscan_window_start_seconds Start of the window code_logscan_bucket_lines covers, in Unix time.\n"
	       "# TYPE code_logscan_window_start_seconds gauge\n"
	       "code_logscan_window_start_seconds 1795428000.25\n"
	       "# HELP code_logscan_window_seconds Length of the aggregation window in seconds.\n"
	       "# TYPE code_logscan_window_seconds gauge\n"
	       "code_logscan_window_seconds 0.25\n",
	       "all keys in prom: escapes, U+FFFD for a bad byte, fractional seconds");
	tally_free(t);
}

/* Without a window, prom shows every bucket; without timestamps, the no-window ones. */
static void
test_bucket_prom_windows(void)
{
	struct tally_spec nowin = { TALLY_KEY_LEVEL, 0, 0 };
	struct tally_spec win = { TALLY_KEY_LEVEL | TALLY_KEY_WINDOW, 60000, 0 };
	struct tally *t = tally_new(&nowin);

	add(t, "x", "y", "WARN", NULL, true, T0, 2);
	add(t, "x", "y", "ERROR", NULL, false, 0, 1);
	add(t, "x", "y", "ERROR", NULL, true, T1, 1);
	expect(t, TALLY_FORMAT_PROM,
	       "# HELP code_logscan_bucket_lines Lines matched per label combination.\n"
	       "# TYPE code_logscan_bucket_lines gauge\n"
	       "code_logscan_bucket_lines{level=\"ERROR\"} 2\n"
	       "code_logscan_bucket_lines{level=\"WARN\"} 2\n",
	       "no window key: timestamps are ignored and all buckets shown");
	expect(t, TALLY_FORMAT_TEXT, "LEVEL\tCOUNT\nERROR\t2\nWARN\t2\n",
	       "no window key: no WINDOW_START column");
	tally_free(t);

	t = tally_new(&win);
	add(t, "x", "y", "ERROR", NULL, false, 0, 4);
	expect(t, TALLY_FORMAT_PROM,
	       "# HELP code_logscan_bucket_lines Lines matched per label combination in the latest window.\n"
	       "# TYPE code_logscan_bucket_lines gauge\n"
	       "code_logscan_bucket_lines{level=\"ERROR\"} 4\n"
	       "# HELP code_logscan_window_seconds Length of the aggregation window in seconds.\n"
	       "# TYPE code_logscan_window_seconds gauge\n"
	       "code_logscan_window_seconds 60\n",
	       "no line had a timestamp: the no-window buckets, no window start");
	tally_free(t);

	t = tally_new(&win);
	expect(t, TALLY_FORMAT_PROM,
	       "# HELP code_logscan_window_seconds Length of the aggregation window in seconds.\n"
	       "# TYPE code_logscan_window_seconds gauge\n"
	       "code_logscan_window_seconds 60\n",
	       "no buckets at all: just the window length");
	expect(t, TALLY_FORMAT_TEXT, "", "and text writes nothing");
	tally_free(t);
}

/* ---------------------------------------------------------------- folding */

static void
test_fold(void)
{
	struct tally_spec spec = { TALLY_KEY_PATTERN | TALLY_KEY_LEVEL | TALLY_KEY_WINDOW, 60000, 3 };
	struct tally *t = tally_new(&spec);
	char *got, *err;

	/* Totals: a/E 10, b/E 5, c/E 5, d/W 2, e/W 1: a and b stay (b before c by label). */
	add(t, NULL, "e", "WARN", NULL, true, T0, 1);
	add(t, NULL, "a", "ERROR", NULL, true, T0, 6);
	add(t, NULL, "c", "ERROR", NULL, true, T0, 5);
	add(t, NULL, "a", "ERROR", NULL, true, T1, 4);
	add(t, NULL, "d", "WARN", NULL, true, T1, 2);
	add(t, NULL, "b", "ERROR", NULL, true, T1, 5);
	add(t, NULL, "d", "WARN", NULL, false, 0, 0);
	got = render_err(t, TALLY_FORMAT_NDJSON, NULL, &err);
	is_str(got,
	       "{\"type\":\"bucket\",\"window_ms\":60000,\"pattern\":\"other\",\"level\":\"\",\"count\":0}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":60000,\"pattern\":\"a\",\"level\":\"ERROR\",\"count\":6}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":60000,\"pattern\":\"other\",\"level\":\"\",\"count\":6}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:01:00.000Z\",\"window_ms\":60000,\"pattern\":\"a\",\"level\":\"ERROR\",\"count\":4}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:01:00.000Z\",\"window_ms\":60000,\"pattern\":\"b\",\"level\":\"ERROR\",\"count\":5}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:01:00.000Z\",\"window_ms\":60000,\"pattern\":\"other\",\"level\":\"\",\"count\":2}\n",
	       "fold: the 2 largest series stay, ties by label, the rest sum per window into other");
	is_str(err, "code-logscan: warning: folded 3 label combinations into pattern=\"other\" (--max-series 3)\n",
	       "fold: one warning says how many folded");
	free(got);
	free(err);
	got = render_err(t, TALLY_FORMAT_TEXT, NULL, &err);
	is_str(got,
	       "WINDOW_START\tPATTERN\tLEVEL\tCOUNT\n"
	       "-\tother\t-\t0\n"
	       "2026-11-23T10:00:00.000Z\ta\tERROR\t6\n"
	       "2026-11-23T10:00:00.000Z\tother\t-\t6\n"
	       "2026-11-23T10:01:00.000Z\ta\tERROR\t4\n"
	       "2026-11-23T10:01:00.000Z\tb\tERROR\t5\n"
	       "2026-11-23T10:01:00.000Z\tother\t-\t2\n",
	       "fold applies to text too");
	ok(strstr(err, "folded 3 label combinations") != NULL, "and warns there too");
	free(got);
	free(err);
	/* prom: the latest window has a, b, d: three series, within 3. */
	got = render_err(t, TALLY_FORMAT_PROM, NULL, &err);
	ok(strstr(got, "code_logscan_bucket_lines{pattern=\"d\",level=\"WARN\"} 2\n") != NULL,
	   "prom counts only the latest window's series against the bound");
	is_str(err, "", "so nothing folds or warns there");
	prom_valid(got, "fold prom, latest window");
	free(got);
	free(err);
	tally_free(t);
}

/* A real pattern="other" merges with the folded one; pattern not a key still says other. */
static void
test_fold_edges(void)
{
	struct tally_spec spec = { TALLY_KEY_PATTERN | TALLY_KEY_LEVEL, 0, 2 };
	struct tally_spec lev = { TALLY_KEY_LEVEL | TALLY_KEY_WINDOW, 60000, 2 };
	struct tally *t = tally_new(&spec);
	char *got, *err;

	add(t, NULL, "other", NULL, NULL, false, 0, 1);
	add(t, NULL, "x", "ERROR", NULL, false, 0, 9);
	add(t, NULL, "y", "WARN", NULL, false, 0, 2);
	got = render_err(t, TALLY_FORMAT_PROM, NULL, &err);
	is_str(got,
	       "# HELP code_logscan_bucket_lines Lines matched per label combination.\n"
	       "# TYPE code_logscan_bucket_lines gauge\n"
	       "code_logscan_bucket_lines{pattern=\"other\",level=\"\"} 3\n"
	       "code_logscan_bucket_lines{pattern=\"x\",level=\"ERROR\"} 9\n",
	       "a real other series and the folded one are one series");
	prom_valid(got, "folded prom without a window");
	is_str(err, "code-logscan: warning: folded 2 label combinations into pattern=\"other\" (--max-series 2)\n",
	       "both folded series are counted in the warning");
	free(got);
	free(err);
	tally_free(t);

	t = tally_new(&lev);
	add(t, NULL, NULL, "ERROR", NULL, true, T0, 5);
	add(t, NULL, NULL, "WARN", NULL, true, T0, 2);
	add(t, NULL, NULL, "INFO", NULL, true, T0, 1);
	got = render_err(t, TALLY_FORMAT_NDJSON, NULL, &err);
	is_str(got,
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":60000,\"level\":\"ERROR\",\"count\":5}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":60000,\"pattern\":\"other\",\"level\":\"\",\"count\":3}\n",
	       "pattern not a key: only the folded bucket carries pattern other");
	free(got);
	free(err);
	got = render_err(t, TALLY_FORMAT_TEXT, NULL, &err);
	is_str(got,
	       "WINDOW_START\tPATTERN\tLEVEL\tCOUNT\n"
	       "2026-11-23T10:00:00.000Z\t-\tERROR\t5\n"
	       "2026-11-23T10:00:00.000Z\tother\t-\t3\n",
	       "and text gains a PATTERN column for it");
	free(got);
	free(err);
	got = render_err(t, TALLY_FORMAT_PROM, NULL, &err);
	ok(strstr(got, "code_logscan_bucket_lines{level=\"ERROR\"} 5\n"
			"code_logscan_bucket_lines{pattern=\"other\",level=\"\"} 3\n") != NULL,
	   "and prom labels only the folded series with pattern");
	prom_valid(got, "folded prom, pattern not a key");
	free(got);
	free(err);
	tally_free(t);
}

static void
test_fold_counts(void)
{
	struct tally_spec spec = { 0, 0, 2 };
	struct tally *t = tally_new(&spec);
	char *got, *err;

	tally_add_count(t, "a.log", "error", 1);
	tally_add_count(t, "a.log", "timeout", 7);
	tally_add_count(t, "b.log", "error", 3);
	got = render_err(t, TALLY_FORMAT_NDJSON, NULL, &err);
	ok(strstr(got, "\"file\":\"a.log\",\"pattern\":\"error\",\"lines\":1}") != NULL &&
	   strstr(got, "\"file\":\"b.log\"") != NULL, "count records are never folded in ndjson");
	is_str(err, "", "nor warned about");
	free(got);
	free(err);
	got = render_err(t, TALLY_FORMAT_TEXT, NULL, &err);
	is_str(got, "a.log:error:1\na.log:timeout:7\nb.log:error:3\n", "nor in text");
	free(got);
	free(err);
	got = render_err(t, TALLY_FORMAT_PROM, NULL, &err);
	is_str(got,
	       "# HELP code_logscan_matched_lines Lines matching the pattern, per file.\n"
	       "# TYPE code_logscan_matched_lines gauge\n"
	       "code_logscan_matched_lines{file=\"\",pattern=\"other\"} 4\n"
	       "code_logscan_matched_lines{file=\"a.log\",pattern=\"timeout\"} 7\n",
	       "prom count series fold into file=\"\",pattern=\"other\"");
	is_str(err, "code-logscan: warning: folded 2 label combinations into pattern=\"other\" (--max-series 2)\n",
	       "with the warning");
	prom_valid(got, "folded count prom");
	free(got);
	free(err);
	tally_free(t);
}

/* Many buckets: the map grows, sums stay right, folding bounds the output. */
static void
test_many(void)
{
	struct tally_spec spec = { TALLY_KEY_PATTERN | TALLY_KEY_WINDOW, 1000, 0 };
	struct tally *t = tally_new(&spec);
	char pat[32], *got, *err, *p;
	long long sum = 0, lines = 0;
	int i;

	for (i = 0; i < 300000; i++) {
		snprintf(pat, sizeof(pat), "p%d", i % 1500);
		add(t, NULL, pat, NULL, NULL, true, T0 + (i % 50) * 1000, 1);
	}
	got = render_err(t, TALLY_FORMAT_NDJSON, NULL, &err);
	for (p = got; (p = strstr(p, "\"count\":")) != NULL; p += 8) {
		sum += atoll(p + 8);
		lines++;
	}
	is_int(sum, 300000, "300000 adds sum to 300000 after folding");
	ok(lines <= 50 * 1000, "at most 1000 series per window (%lld buckets)", lines);
	ok(strstr(err, "folded 501 label combinations") != NULL, "1500 series fold 501 into other");
	free(got);
	free(err);
	got = render_err(t, TALLY_FORMAT_PROM, NULL, &err);
	prom_valid(got, "big prom");
	free(got);
	free(err);
	tally_free(t);
}

/* ---------------------------------------------------------------- merge */

static int
merge_line(struct tally *t, const char *json, unsigned long line, unsigned long *skipped,
	   char **err)
{
	struct diag_loc loc = { "in.ndjson", line, 0 };
	json_t *rec = json_loads(json, JSON_ALLOW_NUL, NULL);
	int ret;

	if (rec == NULL) {
		tap_diag("bad test JSON: %s", json);
		return -999;
	}
	tap_capture_begin();
	ret = tally_add_record(t, rec, &loc, skipped);
	if (err != NULL)
		*err = strdup(tap_capture_end());
	else
		tap_capture_end();
	json_decref(rec);
	return ret;
}

/* Feeds every line of text (records) to t; returns the first failure. */
static int
merge_text(struct tally *t, const char *text, unsigned long *skipped)
{
	char *copy = strdup(text), *line, *save = NULL;
	unsigned long n = 0;
	int ret = 0;

	for (line = strtok_r(copy, "\n", &save); line && ret == 0;
	     line = strtok_r(NULL, "\n", &save))
		ret = merge_line(t, line, ++n, skipped, NULL);
	free(copy);
	return ret;
}

static void
merge_error(const char *json, const char *want, const char *what)
{
	struct tally_spec spec = { 0, 0, 0 };
	struct tally *t = tally_new(&spec);
	unsigned long skipped = 0;
	char *err = NULL;

	/* A first bucket sets window_ms to 60000 for the mismatch case. */
	merge_line(t, "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":60000,\"count\":1}",
		   1, &skipped, NULL);
	is_int(merge_line(t, json, 3, &skipped, &err), -CODE_EXIT_DATAERR, what);
	is_str(err, want, what);
	free(err);
	tally_free(t);
}

static void
test_merge(void)
{
	struct tally_spec spec = { 0, 0, 0 };
	struct tally *src = bucket_tally(0), *m = tally_new(&spec), *c = count_tally(0);
	char *once, *twice, *got;
	unsigned long skipped = 0;

	/* A bucket stream merged twice: every count and total doubles. */
	once = render(src, TALLY_FORMAT_NDJSON);
	is_int(merge_text(m, once, &skipped), 0, "merge accepts our own bucket stream");
	is_int(merge_text(m, once, &skipped), 0, "twice");
	is_int(merge_line(m, "{\"type\":\"match\",\"file\":\"a\",\"line\":1}", 20, &skipped, NULL), 0,
	       "a match record is fine");
	is_int(merge_line(m, "{\"type\":\"summary\"}", 21, &skipped, NULL), 0, "so is any other type");
	is_int((long long)skipped, 2, "other types are skipped and counted");
	twice = render(m, TALLY_FORMAT_NDJSON);
	is_str(twice,
	       "{\"type\":\"bucket\",\"window_ms\":60000,\"pattern\":\"error\",\"level\":\"\",\"count\":2}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":60000,\"pattern\":\"error\",\"level\":\"ERROR\",\"count\":6}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:00:00.000Z\",\"window_ms\":60000,\"pattern\":\"timeout\",\"level\":\"WARN\",\"count\":4}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:01:00.000Z\",\"window_ms\":60000,\"pattern\":\"error\",\"level\":\"ERROR\",\"count\":6}\n"
	       "{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:01:00.000Z\",\"window_ms\":60000,\"pattern\":\"timeout\",\"level\":\"\",\"count\":2}\n"
	       "{\"type\":\"total\",\"files\":2,\"lines\":100,\"matched\":18,\"bytes\":8192}\n",
	       "merge learns keys and window from the records and sums buckets and totals");
	got = render(m, TALLY_FORMAT_PROM);
	prom_valid(got, "merged bucket prom");
	free(got);
	free(once);
	free(twice);

	/* Counts merge and sort like a scan's. */
	tally_free(m);
	m = tally_new(&spec);
	once = render(c, TALLY_FORMAT_NDJSON);
	is_int(merge_text(m, once, NULL), 0, "merge accepts a count stream");
	got = render(m, TALLY_FORMAT_NDJSON);
	is_str(got, count_ndjson, "a count stream merged once comes back unchanged");
	free(got);
	free(once);

	/* Buckets with different key sets: the union, empty where missing. */
	tally_free(m);
	m = tally_new(&spec);
	merge_line(m, "{\"type\":\"bucket\",\"pattern\":\"error\",\"count\":2}", 1, NULL, NULL);
	merge_line(m, "{\"type\":\"bucket\",\"pattern\":\"error\",\"level\":\"ERROR\",\"count\":1}", 2, NULL, NULL);
	merge_line(m, "{\"type\":\"bucket\",\"pattern\":\"error\",\"level\":\"\",\"count\":4}", 3, NULL, NULL);
	got = render(m, TALLY_FORMAT_NDJSON);
	is_str(got,
	       "{\"type\":\"bucket\",\"pattern\":\"error\",\"level\":\"\",\"count\":6}\n"
	       "{\"type\":\"bucket\",\"pattern\":\"error\",\"level\":\"ERROR\",\"count\":1}\n",
	       "merge uses the union of keys, a missing key being the empty label");
	free(got);
	got = render(m, TALLY_FORMAT_PROM);
	prom_valid(got, "merged buckets in prom");
	free(got);

	tally_free(m);
	tally_free(c);
	tally_free(src);
}

static void
test_merge_errors(void)
{
	merge_error("{\"type\":\"bucket\",\"pattern\":\"x\",\"count\":\"7\"}",
		    "code-logscan: in.ndjson:3: bucket record: 'count' must be a non-negative integer\n",
		    "a string count is exit 65 with its location");
	merge_error("{\"type\":\"bucket\",\"pattern\":\"x\",\"count\":-1}",
		    "code-logscan: in.ndjson:3: bucket record: 'count' must be a non-negative integer\n",
		    "a negative count");
	merge_error("{\"type\":\"bucket\",\"pattern\":\"x\"}",
		    "code-logscan: in.ndjson:3: bucket record: 'count' must be a non-negative integer\n",
		    "a missing count");
	merge_error("{\"type\":\"bucket\",\"pattern\":3,\"count\":1}",
		    "code-logscan: in.ndjson:3: bucket record: 'pattern' must be a string\n",
		    "a number for a label");
	merge_error("{\"type\":\"bucket\",\"level\":\"a\\u0000b\",\"count\":1}",
		    "code-logscan: in.ndjson:3: bucket record: 'level' must be a string\n",
		    "a label with a NUL");
	merge_error("{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:01:00.000Z\",\"window_ms\":30000,\"count\":1}",
		    "code-logscan: in.ndjson:3: bucket record: 'window_ms' is 30000 but earlier buckets have 60000\n",
		    "window_ms must agree between buckets");
	merge_error("{\"type\":\"bucket\",\"window_start\":\"2026-11-23T10:01:00.000Z\",\"count\":1}",
		    "code-logscan: in.ndjson:3: bucket record: 'window_ms' must be a positive integer\n",
		    "window_start needs window_ms");
	merge_error("{\"type\":\"bucket\",\"window_ms\":0,\"count\":1}",
		    "code-logscan: in.ndjson:3: bucket record: 'window_ms' must be a positive integer\n",
		    "a zero window_ms");
	merge_error("{\"type\":\"bucket\",\"window_start\":\"2026-02-30T10:00:00.000Z\",\"window_ms\":60000,\"count\":1}",
		    "code-logscan: in.ndjson:3: bucket record: 'window_start' must be an RFC 3339 UTC time like 2026-11-23T10:00:00.000Z\n",
		    "February 30 is not a time");
	merge_error("{\"type\":\"bucket\",\"window_start\":\"2026-11-23 10:00:00\",\"window_ms\":60000,\"count\":1}",
		    "code-logscan: in.ndjson:3: bucket record: 'window_start' must be an RFC 3339 UTC time like 2026-11-23T10:00:00.000Z\n",
		    "another time format is refused");
	merge_error("{\"type\":\"bucket\",\"window_start\":7,\"window_ms\":60000,\"count\":1}",
		    "code-logscan: in.ndjson:3: bucket record: 'window_start' must be a string\n",
		    "a number for window_start");
	merge_error("{\"type\":\"count\",\"file\":\"a\",\"pattern\":\"p\"}",
		    "code-logscan: in.ndjson:3: count record: 'lines' must be a non-negative integer\n",
		    "a count record without lines");
	merge_error("{\"type\":\"count\",\"pattern\":\"p\",\"lines\":1}",
		    "code-logscan: in.ndjson:3: count record: 'file' must be a string\n",
		    "a count record without file");
	merge_error("{\"type\":\"count\",\"file\":\"a\",\"pattern\":\"p\",\"lines\":1.5}",
		    "code-logscan: in.ndjson:3: count record: 'lines' must be a non-negative integer\n",
		    "a fractional line count");
	merge_error("{\"type\":\"total\",\"files\":1,\"lines\":1,\"matched\":1}",
		    "code-logscan: in.ndjson:3: total record: 'bytes' must be a non-negative integer\n",
		    "a total record without bytes");
	merge_error("{\"type\":7}",
		    "code-logscan: in.ndjson:3: record: 'type' must be a string\n",
		    "a record without a string type");
}

/* A bad record changes nothing: the tally is as before it. */
static void
test_merge_atomic(void)
{
	struct tally_spec spec = { 0, 0, 0 };
	struct tally *t = tally_new(&spec);
	char *got, *err;

	merge_line(t, "{\"type\":\"bucket\",\"pattern\":\"a\",\"count\":1}", 1, NULL, NULL);
	is_int(merge_line(t, "{\"type\":\"bucket\",\"level\":\"E\",\"window_ms\":5,\"count\":-4}", 2, NULL, &err),
	       -CODE_EXIT_DATAERR, "a bad record fails");
	free(err);
	got = render(t, TALLY_FORMAT_NDJSON);
	is_str(got, "{\"type\":\"bucket\",\"pattern\":\"a\",\"count\":1}\n",
	       "and adds neither its keys nor its window");
	free(got);
	tally_free(t);
}

/* As code-logscan merge drives it: records from a file, locations from the reader. */
static void
test_merge_file(void)
{
	static const char stream[] =
		"{\"type\":\"count\",\"file\":\"a.log\",\"pattern\":\"error\",\"lines\":2}\n"
		"{\"type\":\"match\",\"file\":\"a.log\",\"line\":1,\"patterns\":[\"error\"]}\n"
		"\n"
		"{\"type\":\"count\",\"file\":\"a.log\",\"pattern\":\"error\",\"lines\":3}\n"
		"{\"type\":\"bucket\",\"pattern\":\"error\",\"count\":true}\n";
	struct tally_spec spec = { 0, 0, 0 };
	struct tally *t = tally_new(&spec);
	struct ndjson_reader *rd;
	unsigned long skipped = 0;
	char path[4200], want[8400], *got;
	const char *err;
	json_t *rec;
	int ret = 0;

	tap_path(path, sizeof(path), "host1.ndjson");
	tap_write_file(path, stream, sizeof(stream) - 1);
	if (ndjson_reader_open(path, NULL, &rd) < 0) {
		ok(0, "ndjson_reader_open");
		tally_free(t);
		return;
	}
	tap_capture_begin();
	while (ret == 0 && ndjson_read_record(rd, &rec) > 0) {
		struct diag_loc loc = { ndjson_reader_name(rd), ndjson_reader_line(rd), 0 };

		ret = tally_add_record(t, rec, &loc, &skipped);
		json_decref(rec);
	}
	err = tap_capture_end();
	ndjson_reader_close(rd);
	is_int(ret, -CODE_EXIT_DATAERR, "a bad record in a file stops the merge with 65");
	snprintf(want, sizeof(want),
		 "code-logscan: %s:5: bucket record: 'count' must be a non-negative integer\n", path);
	is_str(err, want, "the message names the file and the record's line");
	is_int((long long)skipped, 1, "the match record was skipped and counted");
	got = render(t, TALLY_FORMAT_TEXT);
	is_str(got, "a.log:error:5\n", "the records before it were summed");
	free(got);
	tally_free(t);
}

/* Records with every field of every type wrong never crash, and fail with 65. */
static void
test_merge_garbage(void)
{
	static const char *const types[] = { "count", "bucket", "total" };
	static const char *const fields[] = {
		"file", "pattern", "level", "severity", "window_start", "window_ms",
		"count", "lines", "files", "matched", "bytes",
	};
	static const char *const values[] = {
		"null", "true", "-1", "1.5", "\"\"", "[]", "{}", "9223372036854775807",
		"\"2026-13-01T00:00:00.000Z\"", "\"9999-12-31T23:59:59.999Z\"", "0",
	};
	size_t i, j, k, fails = 0, broken = 0, total = 0;
	char json[512];

	for (i = 0; i < 3; i++)
		for (j = 0; j < sizeof(fields) / sizeof(fields[0]); j++)
			for (k = 0; k < sizeof(values) / sizeof(values[0]); k++) {
				struct tally_spec spec = { 0, 0, 0 };
				struct tally *t = tally_new(&spec);
				char *out;
				int ret;

				snprintf(json, sizeof(json),
					 "{\"type\":\"%s\",\"file\":\"f\",\"pattern\":\"p\",\"lines\":1,"
					 "\"count\":1,\"files\":1,\"matched\":1,\"bytes\":1,\"%s\":%s}",
					 types[i], fields[j], values[k]);
				ret = merge_line(t, json, 1, NULL, NULL);
				total++;
				if (ret != 0 && ret != -CODE_EXIT_DATAERR)
					broken++;
				if (ret < 0)
					fails++;
				out = render(t, TALLY_FORMAT_PROM);
				if (out == NULL || prom_check(out, json, sizeof(json)) != NULL)
					broken++;
				free(out);
				tally_free(t);
			}
	is_int((long long)broken, 0,
	       "every mangled record is accepted or exit 65, and prom stays valid");
	ok(fails > 0 && fails < total, "some were refused (%zu of %zu)", fails, total);
}

static void
test_write_error(void)
{
	struct tally *t = count_tally(0);
	struct output *o;
	const char *err;
	int fd = open("/dev/full", O_WRONLY), ret;

	if (fd < 0) {
		ok(1, "no /dev/full here");
		ok(1, "no /dev/full here");
		tally_free(t);
		return;
	}
	output_open_fd(fd, &o);
	tap_capture_begin();
	ret = tally_write(t, TALLY_FORMAT_NDJSON, o);
	if (ret == 0)
		ret = output_close(o);
	else
		output_close(o);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_IOERR, "a full disk is exit 74");
	ok(strstr(err, "write error") != NULL, "and says so");
	close(fd);
	tally_free(t);
}

int
main(void)
{
	diag_setup("code-logscan");
	test_validator();
	test_parse_keys();
	test_count();
	test_empty();
	test_bucket();
	test_bucket_all_keys();
	test_bucket_prom_windows();
	test_fold();
	test_fold_edges();
	test_fold_counts();
	test_many();
	test_merge();
	test_merge_errors();
	test_merge_atomic();
	test_merge_file();
	test_merge_garbage();
	test_write_error();
	return tap_done();
}
