/* test-yaml.c: the YAML loader's types, locations, errors and limits. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/yaml.h"
#include "tests/lib/tap.h"

#define ERR_SIZE 8192

/* What one load printed on stderr. */
struct capture {
	int saved_fd;
	char path[4200];
	char text[ERR_SIZE];
};

static void
capture_begin(struct capture *c)
{
	int fd;

	snprintf(c->path, sizeof(c->path), "%s/stderr", tap_tmpdir());
	fflush(stderr);
	c->saved_fd = dup(STDERR_FILENO);
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (c->saved_fd < 0 || fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
		printf("Bail out! cannot redirect stderr\n");
		exit(1);
	}
	close(fd);
}

static void
capture_end(struct capture *c)
{
	FILE *f;
	size_t n = 0;

	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	f = fopen(c->path, "r");
	if (f) {
		n = fread(c->text, 1, sizeof(c->text) - 1, f);
		fclose(f);
	}
	c->text[n] = '\0';
}

/* Loads len bytes as "t.yaml" with stderr captured in err (may be NULL). */
static int
load_n(const char *text, size_t len, const struct yaml_limits *limits,
       struct yaml_doc **doc, char err[ERR_SIZE])
{
	struct capture c;
	int ret;

	capture_begin(&c);
	ret = yaml_load_buffer("t.yaml", text, len, limits, doc);
	capture_end(&c);
	if (err)
		memcpy(err, c.text, sizeof(c.text));
	if (ret < 0 && *doc != NULL)
		tap_diag("a failed load returned a document");
	return ret;
}

static int
load(const char *text, const struct yaml_limits *limits, struct yaml_doc **doc,
     char err[ERR_SIZE])
{
	return load_n(text, strlen(text), limits, doc, err);
}

/* Expects text to fail with exactly the message want (without newline). */
static void
check_error(const char *text, const struct yaml_limits *limits,
	    const char *want, const char *name)
{
	struct yaml_doc *doc = NULL;
	char err[ERR_SIZE], full[1024];
	int ret = load(text, limits, &doc, err);

	snprintf(full, sizeof(full), "code-plan: %s\n", want);
	if (!ok(ret == -CODE_EXIT_DATAERR && strcmp(err, full) == 0, "%s", name))
		tap_diag("got %d and '%s', want '%s'", ret, err, full);
	yaml_doc_free(doc);
}

static char *
dump(const json_t *v)
{
	return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
}

/* The value of "v: TEXT" must dump as want. */
static void
check_value(const char *text, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	struct yaml_doc *doc = NULL;
	char *got = NULL, *p;
	char err[ERR_SIZE];

	strbuf_addf(&sb, "v: %s\n", text);
	if (load(sb.buf, NULL, &doc, err) == 0)
		got = dump(json_object_get(yaml_doc_root(doc), "v"));
	else
		tap_diag("stderr: %s", err);
	/* The test's name is the text on one line. */
	for (p = sb.buf; *p; p++)
		if (*p == '\n')
			*p = '/';
	is_str(got, want, sb.buf);
	free(got);
	yaml_doc_free(doc);
	strbuf_release(&sb);
}

/* The whole document must equal the JSON want. */
static void
check_doc(const char *text, const char *want_json, const char *name)
{
	struct yaml_doc *doc = NULL;
	json_t *want = json_loads(want_json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	char err[ERR_SIZE];
	int pass = 0;

	if (load(text, NULL, &doc, err) == 0)
		pass = json_equal(yaml_doc_root(doc), want);
	else
		tap_diag("stderr: %s", err);
	if (!ok(pass && want, "%s", name) && doc) {
		char *got = dump(yaml_doc_root(doc));

		tap_diag("got %s", got);
		free(got);
	}
	json_decref(want);
	yaml_doc_free(doc);
}

static int
loc_is(struct diag_loc loc, unsigned long line, unsigned long col,
       const char *name)
{
	int pass = loc.file && strcmp(loc.file, "t.yaml") == 0 &&
		   loc.line == line && loc.col == col;

	ok(pass, "%s", name);
	if (!pass)
		tap_diag("got %s:%lu:%lu, want t.yaml:%lu:%lu",
			 loc.file ? loc.file : "(null)", loc.line, loc.col, line, col);
	return pass;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_scalars(void)
{
	static const char *const cases[][2] = {
		/* null */
		{ "~", "null" }, { "null", "null" }, { "Null", "null" },
		{ "NULL", "null" }, { "", "null" }, { "nULL", "\"nULL\"" },
		/* bool: YAML 1.2, so no yes/no/on/off */
		{ "true", "true" }, { "True", "true" }, { "TRUE", "true" },
		{ "false", "false" }, { "False", "false" }, { "FALSE", "false" },
		{ "tRUE", "\"tRUE\"" }, { "yes", "\"yes\"" }, { "off", "\"off\"" },
		/* integers */
		{ "42", "42" }, { "-17", "-17" }, { "+5", "5" }, { "007", "7" },
		{ "0o17", "15" }, { "0x1F", "31" }, { "0xff", "255" },
		{ "9223372036854775807", "9223372036854775807" },
		{ "-9223372036854775808", "-9223372036854775808" },
		{ "0x7fffffffffffffff", "9223372036854775807" },
		{ "0x", "\"0x\"" }, { "0o8", "\"0o8\"" }, { "-0x10", "\"-0x10\"" },
		{ "0X10", "\"0X10\"" }, { "1_000", "\"1_000\"" }, { "+", "\"+\"" },
		/* floats */
		{ "1.5", "1.5" }, { "-0.25", "-0.25" }, { ".5", "0.5" },
		{ "1.", "1.0" }, { "1e3", "1000.0" }, { "2.5E-1", "0.25" },
		{ "+1.5e+2", "150.0" }, { "1e-400", "0.0" },
		{ "1.2.3", "\"1.2.3\"" }, { ".", "\".\"" }, { "1e", "\"1e\"" },
		{ ".e5", "\".e5\"" }, { "inf", "\"inf\"" },
		/* quoted and block scalars are strings */
		{ "'42'", "\"42\"" }, { "\"true\"", "\"true\"" },
		{ "'null'", "\"null\"" }, { "''", "\"\"" },
		{ "\"a\\tb\"", "\"a\\tb\"" }, { "|\n  line\n", "\"line\\n\"" },
		{ ">-\n  folded\n  text\n", "\"folded text\"" },
		/* plain strings */
		{ "hello world", "\"hello world\"" }, { "5m", "\"5m\"" },
		{ "http://x:8080/h", "\"http://x:8080/h\"" },
		/* explicit tags */
		{ "!!str 42", "\"42\"" }, { "!!str", "\"\"" },
		{ "!!int \"42\"", "42" }, { "!!int 0x10", "16" },
		{ "!!float 1", "1.0" }, { "!!float '2.5'", "2.5" },
		{ "!!bool 'true'", "true" }, { "!!null ''", "null" },
		{ "!!null", "null" }, { "! 42", "\"42\"" },
		{ "!<tag:yaml.org,2002:str> 7", "\"7\"" },
		{ "!!map {a: 1}", "{\"a\":1}" }, { "!!seq [1]", "[1]" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_value(cases[i][0], cases[i][1]);
}

static void
test_scalar_errors(void)
{
	check_error("v: 9223372036854775808\n", NULL,
		    "t.yaml:1:4: integer '9223372036854775808' is out of range",
		    "an integer above the range is located");
	check_error("v: -9223372036854775809\n", NULL,
		    "t.yaml:1:4: integer '-9223372036854775809' is out of range",
		    "an integer below the range is located");
	check_error("v: [1, 0x10000000000000000]\n", NULL,
		    "t.yaml:1:8: integer '0x10000000000000000' is out of range",
		    "a hex integer out of range is located");
	check_error("v: .inf\n", NULL,
		    "t.yaml:1:4: non-finite number '.inf' is not supported",
		    ".inf has no JSON form");
	check_error("v: -.Inf\n", NULL,
		    "t.yaml:1:4: non-finite number '-.Inf' is not supported",
		    "-.Inf has no JSON form");
	check_error("v: .NaN\n", NULL,
		    "t.yaml:1:4: non-finite number '.NaN' is not supported",
		    ".NaN has no JSON form");
	check_error("v: 1e999\n", NULL,
		    "t.yaml:1:4: number '1e999' is out of range",
		    "a float overflowing to infinity is an error");
	check_error("v: !!int abc\n", NULL,
		    "t.yaml:1:4: 'abc' is not a valid int",
		    "!!int on a non-integer");
	check_error("v: !!bool yes\n", NULL,
		    "t.yaml:1:4: 'yes' is not a valid bool",
		    "!!bool on a non-boolean");
	check_error("v: !!float 0x10\n", NULL,
		    "t.yaml:1:4: '0x10' is not a valid float",
		    "!!float on a hex integer");
	check_error("v: !!null x\n", NULL,
		    "t.yaml:1:4: 'x' is not a valid null",
		    "!!null on text");
	check_error("a: 1\nv: !foo bar\n", NULL,
		    "t.yaml:2:4: unsupported tag '!foo'",
		    "an unknown tag is located");
	check_error("v: !!binary aGk=\n", NULL,
		    "t.yaml:1:4: unsupported tag '!!binary'",
		    "a core tag we do not support is named as written");
	check_error("v: !foo {a: 1}\n", NULL,
		    "t.yaml:1:4: unsupported tag '!foo'",
		    "an unknown tag on a mapping");
	check_error("v: !!map x\n", NULL,
		    "t.yaml:1:4: unsupported tag '!!map'",
		    "!!map on a scalar");
	check_error("v: !!seq {a: 1}\n", NULL,
		    "t.yaml:1:4: unsupported tag '!!seq'",
		    "!!seq on a mapping");
	check_error("!foo k: v\n", NULL,
		    "t.yaml:1:1: unsupported tag '!foo'",
		    "an unknown tag on a key");
}

static void
test_unknown_tag_exit_code(void)
{
	struct yaml_doc *doc = NULL;
	int ret = load("a: !custom x\n", NULL, &doc, NULL);

	is_int(code_exit_status(ret), CODE_EXIT_DATAERR, "an unknown tag is exit 65");
	ok(doc == NULL, "no document after an error");
}

static void
test_structure(void)
{
	check_doc("version: 1\n"
		  "defaults: {timeout: 5m, retries: 2, strategy: rolling, parallel: 5}\n"
		  "services:\n"
		  "  db:\n"
		  "    deploy: [\"./deploy-db.sh\", \"--host\", \"{target}\"]\n"
		  "    targets: [db1, db2]\n"
		  "    health: {http: \"http://{target}:8080/health\", expect: 200}\n"
		  "  api:\n"
		  "    depends_on:\n"
		  "      - db\n"
		  "    env: {REGION: eu-1}\n"
		  "    enabled: true\n"
		  "    nothing:\n",
		  "{\"version\":1,"
		  "\"defaults\":{\"timeout\":\"5m\",\"retries\":2,\"strategy\":\"rolling\",\"parallel\":5},"
		  "\"services\":{\"db\":{\"deploy\":[\"./deploy-db.sh\",\"--host\",\"{target}\"],"
		  "\"targets\":[\"db1\",\"db2\"],"
		  "\"health\":{\"http\":\"http://{target}:8080/health\",\"expect\":200}},"
		  "\"api\":{\"depends_on\":[\"db\"],\"env\":{\"REGION\":\"eu-1\"},"
		  "\"enabled\":true,\"nothing\":null}}}",
		  "a manifest of nested mappings and sequences");
	check_doc("- [1, [2, [3]]]\n- {a: [], b: {}}\n- - x\n  - y\n",
		  "[[1,[2,[3]]],{\"a\":[],\"b\":{}},[\"x\",\"y\"]]",
		  "nested sequences, empty containers, block in block");
	check_doc("1: a\ntrue: b\nnull: c\n~: d\n0x10: e\n'q': f\n",
		  "{\"1\":\"a\",\"true\":\"b\",\"null\":\"c\",\"~\":\"d\",\"0x10\":\"e\",\"q\":\"f\"}",
		  "keys are strings as written");
	check_doc("plain scalar\n", "\"plain scalar\"", "a scalar document");
	check_doc("v: \"x\\0y\"\n", "{\"v\":\"x\\u0000y\"}", "a NUL escape in a value is kept");
	check_doc("? complex\n: value\n", "{\"complex\":\"value\"}",
		  "an explicit scalar key");
}

static void
test_key_order(void)
{
	struct yaml_doc *doc = NULL;
	const char *key, *keys = "";
	struct strbuf sb = STRBUF_INIT;
	json_t *v;

	if (load("zeta: 1\nalpha: 2\nmid: 3\n", NULL, &doc, NULL) == 0) {
		json_object_foreach(yaml_doc_root(doc), key, v)
			strbuf_addf(&sb, "%s,", key);
		keys = strbuf_str(&sb);
	}
	is_str(keys, "zeta,alpha,mid,", "keys keep their order");
	strbuf_release(&sb);
	yaml_doc_free(doc);
}

static void
test_locations(void)
{
	static const char text[] =
		"version: 1\n"
		"services:\n"
		"  db:\n"
		"    deploy: [\"./d.sh\", \"--host\"]\n"
		"    targets:\n"
		"      - db1\n"
		"      - db2\n"
		"  api: {depends_on: [db], x: true, y: true}\n"
		"flag: true\n";
	struct yaml_doc *doc = NULL;
	json_t *root, *services, *db, *deploy, *targets, *api;
	struct diag_loc loc;

	if (!ok(load(text, NULL, &doc, NULL) == 0, "the location document loads"))
		return;
	root = yaml_doc_root(doc);
	services = json_object_get(root, "services");
	db = json_object_get(services, "db");
	deploy = json_object_get(db, "deploy");
	targets = json_object_get(db, "targets");
	api = json_object_get(services, "api");

	is_str(yaml_doc_name(doc), "t.yaml", "the document keeps its name");
	loc_is(yaml_loc_node(doc, root), 1, 1, "root mapping starts at 1:1");
	loc_is(yaml_loc_key(doc, root, "version"), 1, 1, "key 'version'");
	loc_is(yaml_loc_value(doc, root, "version"), 1, 10, "value of 'version'");
	loc_is(yaml_loc_key(doc, root, "services"), 2, 1, "key 'services'");
	loc_is(yaml_loc_value(doc, root, "services"), 3, 3, "a block mapping value starts at its first key");
	loc_is(yaml_loc_node(doc, services), 3, 3, "node 'services'");
	loc_is(yaml_loc_key(doc, services, "db"), 3, 3, "key 'db'");
	loc_is(yaml_loc_key(doc, db, "deploy"), 4, 5, "key 'deploy'");
	loc_is(yaml_loc_value(doc, db, "deploy"), 4, 13, "a flow sequence starts at '['");
	loc_is(yaml_loc_node(doc, deploy), 4, 13, "node 'deploy'");
	loc_is(yaml_loc_item(doc, deploy, 0), 4, 14, "flow item 0");
	loc_is(yaml_loc_item(doc, deploy, 1), 4, 24, "flow item 1");
	loc_is(yaml_loc_value(doc, db, "targets"), 6, 7, "a block sequence starts at '-'");
	loc_is(yaml_loc_item(doc, targets, 0), 6, 9, "block item 0");
	loc_is(yaml_loc_item(doc, targets, 1), 7, 9, "block item 1");
	loc_is(yaml_loc_key(doc, services, "api"), 8, 3, "key 'api'");
	loc_is(yaml_loc_node(doc, api), 8, 8, "a flow mapping starts at '{'");
	loc_is(yaml_loc_key(doc, api, "depends_on"), 8, 9, "flow key");
	loc_is(yaml_loc_value(doc, api, "depends_on"), 8, 21, "flow value");
	loc_is(yaml_loc_value(doc, api, "x"), 8, 30, "a shared 'true' is located by its key");
	loc_is(yaml_loc_value(doc, api, "y"), 8, 39, "another 'true' in the same mapping");
	loc_is(yaml_loc_value(doc, root, "flag"), 9, 7, "a third 'true' elsewhere");

	loc = yaml_loc_key(doc, api, "nope");
	ok(loc.file && strcmp(loc.file, "t.yaml") == 0 && loc.line == 0,
	   "an absent key gives the file with line 0");
	loc = yaml_loc_item(doc, targets, 2);
	ok(loc.file && loc.line == 0, "an absent index gives line 0");
	loc = yaml_loc_node(doc, NULL);
	ok(loc.file && loc.line == 0, "a NULL node gives line 0");
	loc = yaml_loc_value(doc, deploy, "x");
	ok(loc.file && loc.line == 0, "a sequence asked for a key gives line 0");
	yaml_doc_free(doc);
}

static void
test_duplicates(void)
{
	struct yaml_doc *doc = NULL;
	char err[ERR_SIZE];
	int ret;

	ret = load("version: 1\nservices:\n  a: {deploy: [x]}\n  a: {deploy: [y]}\n",
		   NULL, &doc, err);
	is_int(code_exit_status(ret), CODE_EXIT_DATAERR, "a duplicate key is exit 65");
	is_str(err, "code-plan: t.yaml:4:3: duplicate key 'a' (first at line 3)\n",
	       "a duplicate key is reported at the second key");
	check_error("{a: 1, b: 2, a: 3}\n", NULL,
		    "t.yaml:1:14: duplicate key 'a' (first at line 1)",
		    "a duplicate key in a flow mapping");
	check_error("? [a, b]\n: c\n", NULL,
		    "t.yaml:1:3: mapping keys must be scalars",
		    "a sequence as a key is an error");
	check_error("? {a: b}\n: c\n", NULL,
		    "t.yaml:1:3: mapping keys must be scalars",
		    "a mapping as a key is an error");
	check_error("m: &m {a: 1}\n*m : x\n", NULL,
		    "t.yaml:2:1: mapping keys must be scalars",
		    "an alias of a mapping as a key is an error");
	check_error("\"a\\0b\": 1\n", NULL,
		    "t.yaml:1:1: mapping keys must not contain NUL bytes",
		    "a NUL in a key is an error");
	check_error("\"\\e[31m\": 1\n\"\\e[31m\": 2\n", NULL,
		    "t.yaml:2:1: duplicate key '\\x1b[31m' (first at line 1)",
		    "control characters in messages are escaped");
}

static void
test_aliases(void)
{
	struct yaml_doc *doc = NULL;
	json_t *root;

	if (ok(load("base: &b {x: 1, y: [2]}\nuse: *b\nn: &n 5\nm: *n\n"
		    "k: &k name\n*k : v\n", NULL, &doc, NULL) == 0,
	       "aliases load")) {
		root = yaml_doc_root(doc);
		ok(json_object_get(root, "use") == json_object_get(root, "base"),
		   "an alias shares the anchored value");
		ok(json_integer_value(json_object_get(root, "m")) == 5,
		   "an alias of a scalar keeps its type");
		is_str(json_string_value(json_object_get(root, "name")), "v",
		       "an alias of a scalar works as a key");
		loc_is(yaml_loc_value(doc, root, "use"), 2, 6, "an alias value is located at the alias");
		loc_is(yaml_loc_key(doc, json_object_get(root, "use"), "y"), 1, 17,
		       "keys inside an aliased mapping are where the anchor wrote them");
	}
	yaml_doc_free(doc);
	check_doc("a: &x 1\nb: &x 2\nc: *x\n", "{\"a\":1,\"b\":2,\"c\":2}",
		  "a redefined anchor refers to the latest definition");
	check_doc("&k a: *k\n", "{\"a\":\"a\"}", "an anchored key can be a value");
	check_error("a: 1\nb: *nope\n", NULL, "t.yaml:2:4: unknown alias '*nope'",
		    "an unknown alias is located");
	check_error("a: &x [1, *x]\n", NULL, "t.yaml:1:11: unknown alias '*x'",
		    "a node cannot contain itself");
}

static void
test_merge(void)
{
	static const char text[] =
		"base: &base {timeout: 5m, retries: 2}\n"
		"before:\n"
		"  retries: 5\n"
		"  <<: *base\n"
		"  strategy: canary\n"
		"after:\n"
		"  <<: *base\n"
		"  retries: 7\n"
		"list:\n"
		"  <<: [{a: first, b: 1}, {a: second, c: 2}]\n"
		"  b: own\n"
		"quoted: {\"<<\": 1}\n";
	struct yaml_doc *doc = NULL;
	json_t *root, *want;

	if (!ok(load(text, NULL, &doc, NULL) == 0, "merge keys load"))
		return;
	root = yaml_doc_root(doc);
	want = json_loads("{\"base\":{\"timeout\":\"5m\",\"retries\":2},"
			  "\"before\":{\"retries\":5,\"strategy\":\"canary\",\"timeout\":\"5m\"},"
			  "\"after\":{\"retries\":7,\"timeout\":\"5m\"},"
			  "\"list\":{\"b\":\"own\",\"a\":\"first\",\"c\":2},"
			  "\"quoted\":{\"<<\":1}}", 0, NULL);
	ok(json_equal(root, want),
	   "explicit keys win before or after '<<', earlier merged mappings win");
	json_decref(want);
	loc_is(yaml_loc_key(doc, json_object_get(root, "after"), "timeout"), 1, 14,
	       "a merged key is located where it was written");
	loc_is(yaml_loc_value(doc, json_object_get(root, "after"), "timeout"), 1, 23,
	       "a merged value is located where it was written");
	loc_is(yaml_loc_key(doc, json_object_get(root, "after"), "retries"), 8, 3,
	       "an overriding key keeps its own location");
	yaml_doc_free(doc);

	check_error("a:\n  <<: 5\n", NULL,
		    "t.yaml:2:7: '<<' merges mappings, not scalars",
		    "'<<' with a scalar is an error");
	check_error("a:\n  <<: [{x: 1}, 2]\n", NULL,
		    "t.yaml:2:7: '<<' merges mappings, not scalars",
		    "'<<' with a list holding a scalar is an error");
	check_error("a:\n  <<: {x: 1}\n  <<: {y: 1}\n", NULL,
		    "t.yaml:3:3: duplicate key '<<' (first at line 2)",
		    "'<<' twice is a duplicate key");
}

static void
test_documents(void)
{
	struct yaml_doc *doc = NULL;
	static const char *const empties[] = {
		"", "# only a comment\n", "---\n", "---\n...\n", "\n\n   \n"
	};
	size_t i;

	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		int ret = load(empties[i], NULL, &doc, NULL);

		ok(ret == 0 && json_is_null(yaml_doc_root(doc)),
		   "empty document %zu gives a null root", i);
		yaml_doc_free(doc);
		doc = NULL;
	}
	check_error("a: 1\n---\nb: 2\n", NULL,
		    "t.yaml:2:1: only one YAML document is allowed",
		    "a second document is an error at its start");
	check_error("---\na\n...\n---\n", NULL,
		    "t.yaml:4:1: only one YAML document is allowed",
		    "an empty second document is still a second document");
}

static void
test_syntax_errors(void)
{
	check_error("a: b: c\n", NULL,
		    "t.yaml:1:5: mapping values are not allowed in this context",
		    "a libyaml scanner error is located");
	check_error("a: [1, 2\nb: 3\n", NULL,
		    "t.yaml:2:2: did not find expected ',' or ']' (while parsing a flow sequence)",
		    "a libyaml parser error has its context");
	check_error("a:\n  - x\n  y: 1\n", NULL,
		    "t.yaml:3:3: did not find expected '-' indicator (while parsing a block collection)",
		    "bad indentation is located");
	check_error("a: \"unterminated\n", NULL,
		    "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar)",
		    "an unterminated string is located");
}

static void
test_garbage(void)
{
	static const char invalid_utf8[] = "a: 1\nb: \x80\x81\x82\n";
	static const char control[] = "a: x\x01y\n";
	static const char nul[] = "a: 1\0b: 2\n";
	struct yaml_doc *doc = NULL;
	unsigned long seed = 12345;
	char buf[512];
	int i, bad = 0;

	check_error(invalid_utf8, NULL,
		    "t.yaml:2:4: invalid leading UTF-8 octet (byte 0x80)",
		    "invalid UTF-8 is located");
	check_error(control, NULL,
		    "t.yaml:1:5: control characters are not allowed (byte 0x01)",
		    "a control character is located");
	is_int(load_n(nul, sizeof(nul) - 1, NULL, &doc, NULL), -CODE_EXIT_DATAERR,
	       "a NUL byte in the input is an error");
	yaml_doc_free(doc);
	doc = NULL;

	/* Random bytes must give 0 or 65, never a crash (the fuzzer does
	 * this at scale; this is the quick check in every test run). */
	for (i = 0; i < 200; i++) {
		size_t j, n = (size_t)(i * 7 % (int)sizeof(buf));
		int ret;

		for (j = 0; j < n; j++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			buf[j] = (char)(seed >> 56);
			/* Every other round, mostly YAML punctuation. */
			if (i % 2 && (seed >> 20) % 4)
				buf[j] = "[]{}:,-?&*!|>'\"#% \n\tab1"[(seed >> 24) % 24];
		}
		ret = load_n(buf, n, NULL, &doc, NULL);
		if (ret != 0 && ret != -CODE_EXIT_DATAERR)
			bad++;
		yaml_doc_free(doc);
		doc = NULL;
	}
	is_int(bad, 0, "200 random inputs give 0 or 65");
}

static void
test_limits(void)
{
	struct yaml_limits lim = YAML_LIMITS_DEFAULT;
	struct yaml_doc *doc = NULL;
	struct strbuf sb = STRBUF_INIT;
	char err[ERR_SIZE];
	double start;
	int i, ret;

	/* The classic billion laughs: 10^9 strings through aliases. */
	strbuf_addstr(&sb, "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
	for (i = 1; i < 9; i++) {
		char p = (char)('a' + i - 1), c = (char)('a' + i);

		strbuf_addf(&sb, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n",
			    c, c, p, p, p, p, p, p, p, p, p, p);
	}
	start = now_seconds();
	ret = load(sb.buf, NULL, &doc, err);
	is_int(ret, -CODE_EXIT_DATAERR, "billion laughs is rejected");
	is_str(err, "code-plan: t.yaml:5:29: too many nodes through aliases (limit 100000)\n",
	       "billion laughs is stopped at the alias over the limit");
	/* A hang detector, not a timing: unbounded expansion would take hours. */
	ok(now_seconds() - start < 30.0, "billion laughs is rejected, not expanded");
	strbuf_release(&sb);

	lim.max_alias_nodes = 5;
	check_error("a: &a [1, 2, 3]\nb: *a\nc: *a\n", &lim,
		    "t.yaml:3:4: too many nodes through aliases (limit 5)",
		    "the alias limit counts the nodes of the anchored value");
	check_error("a: &a [1, 2, 3]\nb: {<<: [*a]}\n", &lim,
		    "t.yaml:2:9: '<<' merges mappings, not lists",
		    "within the alias limit other errors still show");

	lim = YAML_LIMITS_DEFAULT;
	lim.max_depth = 3;
	ret = load("[[[1]]]\n", &lim, &doc, NULL);
	is_int(ret, 0, "nesting at the depth limit loads");
	yaml_doc_free(doc);
	doc = NULL;
	check_error("a:\n  b: [[1]]\n", &lim,
		    "t.yaml:2:7: nesting deeper than 3 levels",
		    "nesting past the depth limit is located");
	for (i = 0; i < 200; i++)
		strbuf_addch(&sb, '[');
	for (i = 0; i < 200; i++)
		strbuf_addch(&sb, ']');
	check_error(sb.buf, NULL, "t.yaml:1:129: nesting deeper than 128 levels",
		    "the default depth limit is 128");
	strbuf_release(&sb);

	lim = YAML_LIMITS_DEFAULT;
	lim.max_nodes = 5;
	ret = load("[1, 2, 3, 4]\n", &lim, &doc, NULL);
	is_int(ret, 0, "a document at the node limit loads");
	yaml_doc_free(doc);
	doc = NULL;
	check_error("[1, 2, 3, 4, 5]\n", &lim, "t.yaml:1:14: more than 5 nodes",
		    "one node more is located");

	lim = YAML_LIMITS_DEFAULT;
	lim.max_bytes = 10;
	ret = load("a: 1234567", &lim, &doc, NULL);
	is_int(ret, 0, "a document of exactly max_bytes loads");
	yaml_doc_free(doc);
	doc = NULL;
	check_error("a: 12345678", &lim, "t.yaml: 't.yaml' is larger than 10 bytes",
		    "a document over max_bytes names the limit");
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

static void
test_files(void)
{
	struct yaml_limits lim = YAML_LIMITS_DEFAULT;
	struct yaml_doc *doc = NULL;
	struct capture c;
	char path[4300], dir[4300], want[8800];
	char *big;
	int ret;

	snprintf(path, sizeof(path), "%s/m.yaml", tap_tmpdir());
	write_file(path, "a: [1, 2]\n", 10);
	ret = yaml_load_file(path, NULL, &doc);
	ok(ret == 0 && json_array_size(json_object_get(yaml_doc_root(doc), "a")) == 2,
	   "yaml_load_file reads a file");
	is_str(yaml_doc_name(doc), path, "a file's document is named by its path");
	yaml_doc_free(doc);
	doc = NULL;

	snprintf(path, sizeof(path), "%s/missing.yaml", tap_tmpdir());
	capture_begin(&c);
	ret = yaml_load_file(path, NULL, &doc);
	capture_end(&c);
	is_int(ret, -CODE_EXIT_NOINPUT, "a missing file is -66");
	snprintf(want, sizeof(want), "code-plan: cannot open '%s': %s\n", path,
		 strerror(ENOENT));
	is_str(c.text, want, "a missing file is named with the reason");
	ok(doc == NULL, "no document for a missing file");

	snprintf(dir, sizeof(dir), "%s/dir", tap_tmpdir());
	mkdir(dir, 0700);
	capture_begin(&c);
	ret = yaml_load_file(dir, NULL, &doc);
	capture_end(&c);
	is_int(ret, -CODE_EXIT_NOINPUT, "a directory is -66");
	snprintf(want, sizeof(want), "code-plan: cannot open '%s': %s\n", dir,
		 strerror(EISDIR));
	is_str(c.text, want, "a directory gets a clean message");

	/* A regular file over the limit is refused by its size. */
	snprintf(path, sizeof(path), "%s/big.yaml", tap_tmpdir());
	big = malloc((1u << 20) + 1);
	memset(big, '#', (1u << 20) + 1);
	write_file(path, big, (1u << 20) + 1);
	lim.max_bytes = 1u << 20;
	capture_begin(&c);
	ret = yaml_load_file(path, &lim, &doc);
	capture_end(&c);
	is_int(ret, -CODE_EXIT_DATAERR, "a file over max_bytes is 65");
	snprintf(want, sizeof(want), "code-plan: %s: '%s' is larger than 1 MiB\n", path, path);
	is_str(c.text, want, "the size message names the limit in MiB");
	free(big);

	/* "-" is stdin, named <stdin>. */
	snprintf(path, sizeof(path), "%s/m.yaml", tap_tmpdir());
	{
		int saved = dup(STDIN_FILENO), fd = open(path, O_RDONLY);

		dup2(fd, STDIN_FILENO);
		close(fd);
		ret = yaml_load_file("-", NULL, &doc);
		dup2(saved, STDIN_FILENO);
		close(saved);
	}
	ok(ret == 0 && json_is_object(yaml_doc_root(doc)), "'-' reads stdin");
	is_str(yaml_doc_name(doc), "<stdin>", "stdin is named <stdin>");
	yaml_doc_free(doc);
}

/* An endless pipe must stop at the limit, not be read to the end. */
static void
test_pipe_limit(void)
{
	struct yaml_limits lim = YAML_LIMITS_DEFAULT;
	struct yaml_doc *doc = NULL;
	struct capture c;
	int fds[2], saved, ret, status;
	pid_t pid;

	if (pipe(fds) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		char chunk[4096];

		close(fds[0]);
		memset(chunk, '#', sizeof(chunk));
		signal(SIGPIPE, SIG_DFL);
		for (;;)
			if (write(fds[1], chunk, sizeof(chunk)) < 0)
				_exit(0);
	}
	close(fds[1]);
	saved = dup(STDIN_FILENO);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	lim.max_bytes = 100000;
	capture_begin(&c);
	ret = yaml_load_file("-", &lim, &doc);
	capture_end(&c);
	dup2(saved, STDIN_FILENO);  /* closes the read end: the writer stops */
	close(saved);
	waitpid(pid, &status, 0);
	is_int(ret, -CODE_EXIT_DATAERR, "an endless pipe stops at max_bytes");
	is_str(c.text, "code-plan: <stdin>: '<stdin>' is larger than 100000 bytes\n",
	       "the pipe's size message");
}

/* 10,000 services, about 2 MB: the size code-plan must handle. */
static void
test_performance(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct yaml_doc *doc = NULL;
	const char *valgrind = getenv("CODE_VALGRIND");
	double start, load_time, lookup_time;
	json_t *services;
	int i, ret, bad = 0;

	strbuf_addstr(&sb, "version: 1\ndefaults: &d {timeout: 5m, retries: 2}\nservices:\n");
	for (i = 0; i < 10000; i++)
		strbuf_addf(&sb,
			    "  svc%05d:\n"
			    "    <<: *d\n"
			    "    deploy: [\"./deploy.sh\", \"--host\", \"{target}\", \"--id\", \"%d\"]\n"
			    "    rollback: [\"./rollback.sh\", \"{target}\"]\n"
			    "    health: {http: \"http://{target}:8080/health\", expect: 200, timeout: 5s}\n"
			    "    targets: [host%d-a, host%d-b, host%d-c]\n"
			    "    depends_on: [svc%05d]\n"
			    "    env: {REGION: eu-1, INDEX: %d, DEBUG: false}\n",
			    i, i, i, i, i, i > 0 ? i - 1 : 0, i);
	start = now_seconds();
	ret = load_n(sb.buf, sb.len, NULL, &doc, NULL);
	load_time = now_seconds() - start;
	is_int(ret, 0, "a 10,000-service manifest loads");
	tap_diag("%zu bytes loaded in %.1f ms", sb.len, load_time * 1000);
	services = json_object_get(yaml_doc_root(doc), "services");
	start = now_seconds();
	for (i = 0; i < 10000; i++) {
		char name[32];
		json_t *svc, *targets;
		struct diag_loc loc;

		snprintf(name, sizeof(name), "svc%05d", i);
		svc = json_object_get(services, name);
		targets = json_object_get(svc, "targets");
		loc = yaml_loc_key(doc, services, name);
		if (loc.line != (unsigned long)(4 + i * 8))
			bad++;
		loc = yaml_loc_item(doc, targets, 2);
		if (loc.line != (unsigned long)(9 + i * 8))
			bad++;
		loc = yaml_loc_value(doc, json_object_get(svc, "env"), "DEBUG");
		if (loc.line != (unsigned long)(11 + i * 8))
			bad++;
		loc = yaml_loc_value(doc, svc, "timeout");
		if (loc.line != 2)
			bad++;
	}
	lookup_time = now_seconds() - start;
	is_int(bad, 0, "every service's locations are right");
	tap_diag("40,000 lookups in %.1f ms", lookup_time * 1000);
	/* A detector of quadratic behaviour, not a benchmark (see
	 * BENCHMARKS.md): sanitizers and a busy machine slow a load a few
	 * times, valgrind fifty times; 10,000 squared would be hours. */
	ok(load_time < (valgrind && *valgrind ? 600.0 : 60.0),
	   "the manifest loads in seconds, not minutes");
	yaml_doc_free(doc);
	strbuf_release(&sb);
}

/* Many keys in one mapping must not make the location table quadratic. */
static void
test_many_keys(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct yaml_doc *doc = NULL;
	double start;
	int i, ret;

	for (i = 0; i < 100000; i++)
		strbuf_addf(&sb, "k%d: %d\n", i, i);
	start = now_seconds();
	ret = load_n(sb.buf, sb.len, NULL, &doc, NULL);
	ok(ret == 0 && json_object_size(yaml_doc_root(doc)) == 100000,
	   "100,000 keys in one mapping load");
	loc_is(yaml_loc_value(doc, yaml_doc_root(doc), "k99999"), 100000, 9,
	       "the last key's value is located");
	tap_diag("100,000 keys in %.1f ms", (now_seconds() - start) * 1000);
	yaml_doc_free(doc);
	strbuf_release(&sb);
}

/* The checks callers share: unknown keys and wrong types, located. */
static void
test_checks(void)
{
	static const char *const known[] = { "name", "regex", "severity", NULL };
	struct yaml_doc *doc = NULL;
	struct capture c;
	const json_t *root;
	int ret;

	ok(load("a: {}\nb: [1]\nc: x\nd: 1\ne: 1.5\nf: true\ng:\n", NULL,
		&doc, NULL) == 0, "a mapping of every type loads");
	root = yaml_doc_root(doc);
	ok(strcmp(yaml_type_name(json_object_get(root, "a")), "a mapping") == 0 &&
	   strcmp(yaml_type_name(json_object_get(root, "b")), "a list") == 0 &&
	   strcmp(yaml_type_name(json_object_get(root, "c")), "a string") == 0 &&
	   strcmp(yaml_type_name(json_object_get(root, "d")), "an integer") == 0 &&
	   strcmp(yaml_type_name(json_object_get(root, "e")), "a number") == 0 &&
	   strcmp(yaml_type_name(json_object_get(root, "f")), "a boolean") == 0 &&
	   strcmp(yaml_type_name(json_object_get(root, "g")), "null") == 0,
	   "yaml_type_name names each type");
	capture_begin(&c);
	ret = yaml_type_error(doc, root, "d", "a string");
	capture_end(&c);
	ok(ret == -CODE_EXIT_DATAERR &&
	   strcmp(c.text, "code-plan: t.yaml:4:4: 'd' must be a string, not an integer\n") == 0,
	   "yaml_type_error is located at the value");
	yaml_doc_free(doc);

	ok(load("name: a\nregx: b\n", NULL, &doc, NULL) == 0, "loads");
	capture_begin(&c);
	ret = yaml_check_keys(doc, yaml_doc_root(doc), known, "a pattern");
	capture_end(&c);
	ok(ret == -CODE_EXIT_DATAERR &&
	   strcmp(c.text, "code-plan: t.yaml:2:1: unknown key 'regx' in a pattern (did you mean 'regex'?)\n") == 0,
	   "yaml_check_keys suggests a close key, at the key");
	ok(yaml_check_keys(doc, yaml_doc_root(doc), (const char *const[]){ "name", "regx", NULL },
			   "a pattern") == 0, "and passes known keys");
	yaml_doc_free(doc);
}

int
main(void)
{
	diag_setup("code-plan");
	test_scalars();
	test_scalar_errors();
	test_unknown_tag_exit_code();
	test_structure();
	test_key_order();
	test_locations();
	test_duplicates();
	test_aliases();
	test_merge();
	test_documents();
	test_syntax_errors();
	test_garbage();
	test_limits();
	test_files();
	test_pipe_limit();
	test_performance();
	test_many_keys();
	test_checks();
	return tap_done();
}
