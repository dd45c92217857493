/* test-ndjson.c: records come back with their line numbers, bad lines fail or are skipped as asked. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/ndjson.h"
#include "libcommon/strbuf.h"
#include "tests/lib/tap.h"

static const char *
type_of(const json_t *rec)
{
	return json_string_value(json_object_get(rec, "type"));
}

/*
 * Reads every record of a file, returning the last ndjson_read_record
 * result; the types and line numbers go into seen as "type@line ...".
 */
static int
read_types(const char *path, const struct ndjson_reader_options *opts,
	   struct strbuf *seen, unsigned long *skipped)
{
	struct ndjson_reader *r;
	json_t *rec;
	int ret;

	strbuf_reset(seen);
	if ((ret = ndjson_reader_open(path, opts, &r)) < 0)
		return ret;
	while ((ret = ndjson_read_record(r, &rec)) == 1) {
		strbuf_addf(seen, "%s%s@%lu", seen->len ? " " : "", type_of(rec),
			    ndjson_reader_line(r));
		json_decref(rec);
	}
	if (skipped)
		*skipped = ndjson_reader_skipped(r);
	ndjson_reader_close(r);
	return ret;
}

/*
 * Writes content to a file and reads it until the first failure; the
 * expected message is "code-ndjson: PATH" followed by want_tail.
 */
static void
expect_error(const char *name, const char *content, size_t max_line,
	     const char *want_tail, const char *what)
{
	struct ndjson_reader_options opts = { max_line, false };
	struct strbuf seen = STRBUF_INIT;
	char path[4200], want[8400];
	const char *err;
	int ret;

	tap_write_file(tap_path(path, sizeof(path), name), content, strlen(content));
	tap_capture_begin();
	ret = read_types(path, &opts, &seen, NULL);
	err = tap_capture_end();
	is_int(ret, -CODE_EXIT_DATAERR, what);
	snprintf(want, sizeof(want), "code-ndjson: %s%s", path, want_tail);
	is_str(err, want, what);
	strbuf_release(&seen);
}

static void
test_lines(void)
{
	static const char text[] =
		"{\"type\":\"a\",\"n\":1}\n"
		"\n"
		"   \t\n"
		"{\"type\":\"b\",\"n\":2}\r\n"
		"\r\n"
		"{\"type\":\"c\"}";
	struct strbuf seen = STRBUF_INIT;
	struct ndjson_reader *r;
	char path[4200];
	json_t *rec = NULL;

	tap_write_file(tap_path(path, sizeof(path), "lines.ndjson"), text, sizeof(text) - 1);
	is_int(read_types(path, NULL, &seen, NULL), 0, "a clean file reads to the end");
	is_str(seen.buf, "a@1 b@4 c@6",
	       "line numbers count blank and CRLF lines; the last line needs no newline");

	is_int(ndjson_reader_open(path, NULL, &r), 0, "ndjson_reader_open succeeds");
	is_str(ndjson_reader_name(r), path, "the reader is named after its file");
	is_int((long long)ndjson_reader_line(r), 0, "no line before the first read");
	ndjson_read_record(r, &rec);
	ok(json_integer_value(json_object_get(rec, "n")) == 1, "record fields are parsed");
	json_decref(rec);
	ndjson_read_record(r, &rec);
	json_decref(rec);
	ndjson_read_record(r, &rec);
	json_decref(rec);
	is_int(ndjson_read_record(r, &rec), 0, "0 at the end");
	ok(rec == NULL, "*out is NULL at the end");
	is_int(ndjson_read_record(r, &rec), 0, "and 0 again after the end");
	is_int((long long)ndjson_reader_skipped(r), 0, "nothing skipped");
	ndjson_reader_close(r);

	tap_write_file(path, "", 0);
	is_int(read_types(path, NULL, &seen, NULL), 0, "an empty file has no records");
	tap_write_file(path, "\n\n \r\n", 5);
	is_int(read_types(path, NULL, &seen, NULL), 0, "nor does a file of blank lines");
	is_str(seen.buf, "", "nothing was returned");
	strbuf_release(&seen);
}

static void
test_errors(void)
{
	expect_error("json.ndjson", "{\"type\":\"a\"}\n\n{\"type\":\"b\",}\n", 0,
		     ":3:13: invalid JSON: string or '}' expected near '}'\n",
		     "invalid JSON is located at LINE:COL");
	expect_error("cut.ndjson", "{\"type\":\"a\"", 0,
		     ":1:11: invalid JSON: '}' expected near end of file\n",
		     "a cut last line is invalid JSON");
	expect_error("array.ndjson", "{\"type\":\"a\"}\r\n[1,2]\n", 0,
		     ":2: record is not a JSON object\n", "an array is not a record");
	expect_error("number.ndjson", "42\n", 0,
		     ":1: record is not a JSON object\n", "a number is not a record");
	expect_error("notype.ndjson", "{\"n\":1}\n", 0,
		     ":1: record has no 'type'\n", "a record needs a type");
	expect_error("inttype.ndjson", "{\"type\":7}\n", 0,
		     ":1: record 'type' is not a string\n", "the type must be a string");
	expect_error("dup.ndjson", "{\"type\":\"a\",\"type\":\"b\"}\n", 0,
		     ":1:18: invalid JSON: duplicate object key near '\"type\"'\n",
		     "duplicate keys are rejected");
	expect_error("utf8.ndjson", "{\"type\":\"\xff\"}\n", 0,
		     ":1:9: invalid JSON: unable to decode byte 0xff near '\"'\n",
		     "invalid UTF-8 is rejected");
	expect_error("nul.ndjson", "{\"type\":\"a\\u0000b\"}\n", 0,
		     ":1:18: invalid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"'\n",
		     "NUL in strings is rejected");
	expect_error("ctrl.ndjson", "{\"type\":1\x1b[31m}\n", 0,
		     ":1:10: invalid JSON: '}' expected near '?'\n",
		     "control bytes from the input are not echoed");
	expect_error("long.ndjson", "{\"type\":\"abcde\"}\n{\"type\":\"abcdef\"}\n", 16,
		     ":2: line longer than 16 bytes\n", "a line over max_line fails");
	expect_error("longcr.ndjson", "{\"type\":\"abcde\"}\r\n{\"type\":\"abcdef\"}\r\n", 16,
		     ":2: line longer than 16 bytes\n", "the CR of CRLF does not count");
	expect_error("longlast.ndjson", "{\"type\":\"abcde\"}\n{\"type\":\"abcdef\"}", 16,
		     ":2: line longer than 16 bytes\n", "a last line without newline is limited too");
	expect_error("kib.ndjson", "{\"type\":\"abcde\"}\n                 \n", 16,
		     ":2: line longer than 16 bytes\n", "even a blank line is limited");
}

/* A line many times the buffer size is refused without holding it. */
static void
test_huge_line(void)
{
	struct ndjson_reader_options opts = { 1024, false };
	struct strbuf text = STRBUF_INIT, seen = STRBUF_INIT, want = STRBUF_INIT;
	struct ndjson_reader *r;
	unsigned long skipped = 0;
	char path[4200];
	const char *err;
	json_t *rec;
	size_t i;

	strbuf_addstr(&text, "{\"type\":\"first\"}\n{\"type\":\"long\",\"pad\":\"");
	for (i = 0; i < 3u << 20; i++)
		strbuf_addch(&text, 'x');
	strbuf_addstr(&text, "\"}\n{\"type\":\"after\"}\n");
	tap_write_file(tap_path(path, sizeof(path), "huge.ndjson"), text.buf, text.len);

	is_int(ndjson_reader_open(path, &opts, &r), 0, "open with a 1 KiB limit");
	is_int(ndjson_read_record(r, &rec), 1, "the short first line reads");
	json_decref(rec);
	tap_capture_begin();
	is_int(ndjson_read_record(r, &rec), -CODE_EXIT_DATAERR, "a 3 MiB line is -65");
	err = tap_capture_end();
	strbuf_addf(&want, "code-ndjson: %s:2: line longer than 1 KiB\n", path);
	is_str(err, want.buf, "naming its line and the limit");
	is_int((long long)ndjson_reader_line(r), 2, "the reader is at the long line");
	is_int(ndjson_read_record(r, &rec), 1, "reading on resumes after the long line");
	is_str(type_of(rec), "after", "with the next record");
	is_int((long long)ndjson_reader_line(r), 3, "on line 3");
	json_decref(rec);
	ndjson_reader_close(r);

	opts.skip_invalid = true;
	tap_capture_begin();
	is_int(read_types(path, &opts, &seen, &skipped), 0, "skip_invalid reads past it");
	err = tap_capture_end();
	is_str(seen.buf, "first@1 after@3", "the records around the long line survive");
	is_int((long long)skipped, 1, "one line is skipped");
	strbuf_reset(&want);
	strbuf_addf(&want, "code-ndjson: %s: warning: skipped 1 invalid line\n", path);
	is_str(err, want.buf, "closing warns about the skipped line");

	/* The long line last, without a newline. */
	strbuf_setlen(&text, text.len - strlen("\"}\n{\"type\":\"after\"}\n"));
	tap_write_file(path, text.buf, text.len);
	tap_capture_begin();
	is_int(read_types(path, &opts, &seen, &skipped), 0, "an unterminated long last line is skipped");
	tap_capture_end();
	is_str(seen.buf, "first@1", "leaving the records before it");

	/* Under the default 16 MiB limit the same line is fine. */
	strbuf_addstr(&text, "\"}\n");
	tap_write_file(path, text.buf, text.len);
	is_int(read_types(path, NULL, &seen, NULL), 0, "a 3 MiB line is within the default limit");
	is_str(seen.buf, "first@1 long@2", "and parses");
	strbuf_release(&text);
	strbuf_release(&seen);
	strbuf_release(&want);
}

static void
test_skip(void)
{
	static const char text[] =
		"{\"type\":\"a\"}\n"
		"{bad\n"
		"{\"type\":\"b\"}\n"
		"[]\n"
		"\n"
		"{\"no\":\"type\"}\n"
		"{\"type\":\"c\"}\n";
	struct ndjson_reader_options opts = { 0, true };
	struct strbuf seen = STRBUF_INIT, want = STRBUF_INIT;
	unsigned long skipped = 0;
	char path[4200];
	const char *err;

	tap_write_file(tap_path(path, sizeof(path), "skip.ndjson"), text, sizeof(text) - 1);
	tap_capture_begin();
	is_int(read_types(path, &opts, &seen, &skipped), 0, "skip_invalid reads to the end");
	err = tap_capture_end();
	is_str(seen.buf, "a@1 b@3 c@7", "good records keep their line numbers");
	is_int((long long)skipped, 3, "bad lines are counted");
	strbuf_addf(&want, "code-ndjson: %s: warning: skipped 3 invalid lines\n", path);
	is_str(err, want.buf, "and reported once at close");

	diag_set_level(DIAG_VERBOSE);
	tap_capture_begin();
	read_types(path, &opts, &seen, &skipped);
	err = tap_capture_end();
	diag_set_level(DIAG_NORMAL);
	strbuf_reset(&want);
	strbuf_addf(&want, "code-ndjson: %s:2:4: skipped: invalid JSON: string or '}' expected near 'bad'\n",
		    path);
	if (!ok(strncmp(err, want.buf, want.len) == 0, "-v shows each skipped line"))
		tap_diag("got '%s'", err);

	diag_set_level(DIAG_QUIET);
	tap_capture_begin();
	read_types(path, &opts, &seen, &skipped);
	err = tap_capture_end();
	diag_set_level(DIAG_NORMAL);
	is_str(err, "", "--quiet hides the warning");
	strbuf_release(&seen);
	strbuf_release(&want);
}

static void
test_sources(void)
{
	static const char text[] = "{\"type\":\"z\"}\n{\"type\":\"y\"}\n";
	struct strbuf seen = STRBUF_INIT;
	struct ndjson_reader *r = (struct ndjson_reader *)1;
	char path[4200], zpath[4200];
	unsigned char z[256];
	size_t zlen = ZSTD_compress(z, sizeof(z), text, sizeof(text) - 1, 3);
	int saved = dup(0), fd;
	const char *err;

	tap_write_file(tap_path(zpath, sizeof(zpath), "recs.ndjson.zst"), z, zlen);
	is_int(read_types(zpath, NULL, &seen, NULL), 0, "a .zst file reads");
	is_str(seen.buf, "z@1 y@2", "decompressed on the fly");

	tap_write_file(zpath, z, zlen - 3);
	tap_capture_begin();
	is_int(read_types(zpath, NULL, &seen, NULL), -CODE_EXIT_DATAERR,
	       "truncated zstd under NDJSON is -65");
	err = tap_capture_end();
	ok(strstr(err, "recs.ndjson.zst: truncated zstd data\n") != NULL,
	   "with the input's message");

	fd = open(tap_path(path, sizeof(path), "missing.ndjson"), O_RDONLY);
	tap_capture_begin();
	is_int(ndjson_reader_open(path, NULL, &r), -CODE_EXIT_NOINPUT, "a missing file is -66");
	tap_capture_end();
	ok(r == NULL, "and no reader");

	tap_write_file(tap_path(path, sizeof(path), "stdin.ndjson"), z, zlen);
	fd = open(path, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	is_int(ndjson_reader_open("-", NULL, &r), 0, "\"-\" reads stdin");
	is_str(ndjson_reader_name(r), "<stdin>", "named <stdin>");
	ndjson_reader_close(r);
	dup2(saved, 0);
	close(saved);
	strbuf_release(&seen);
}

static void
test_write(void)
{
	char path[4200], buf[512];
	struct output *o;
	json_error_t jerr;
	json_t *rec = json_loads("{\"type\":\"t\",\"z\":1,\"a\":[1,{\"k\":null}],"
				 "\"s\":\"\\u00e9\\\"\\n\\u2603\",\"f\":true}", 0, &jerr);
	const char *err;
	ssize_t n;
	int fd, i, ret = 0;

	fd = open(tap_path(path, sizeof(path), "w.ndjson"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	output_open_fd(fd, &o);
	is_int(ndjson_write_record(o, rec), 0, "ndjson_write_record succeeds");
	is_int(output_close(o), 0, "and flushes");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "{\"type\":\"t\",\"z\":1,\"a\":[1,{\"k\":null}],\"s\":\"\xc3\xa9\\\"\\n\xe2\x98\x83\",\"f\":true}\n",
	       "compact, one line, keys in insertion order, UTF-8 kept");
	close(fd);

	fd = open("/dev/full", O_WRONLY);
	if (fd < 0) {
		ok(1, "# SKIP no /dev/full");
		ok(1, "# SKIP no /dev/full");
	} else {
		output_open_fd(fd, &o);
		tap_capture_begin();
		for (i = 0; i < 10000 && ret == 0; i++)
			ret = ndjson_write_record(o, rec);
		output_close(o);
		err = tap_capture_end();
		is_int(ret, -CODE_EXIT_IOERR, "writing records to a full disk is -74");
		is_str(err, "code-ndjson: write error: No space left on device\n",
		       "said once");
		close(fd);
	}
	json_decref(rec);
}

/* Records written by ndjson_write_record read back the same, plain and zstd. */
static void
test_round_trip(void)
{
	enum { COUNT = 100000 };
	char path[4200], zpath[4200];
	struct ndjson_reader *r;
	struct output *o;
	json_t *rec;
	int fd, i, ret = 0, bad = 0;

	fd = open(tap_path(path, sizeof(path), "trip.ndjson"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	output_open_fd(fd, &o);
	for (i = 0; i < COUNT; i++) {
		rec = json_pack("{s:s, s:i, s:s, s:[i,i]}", "type", i % 3 ? "step" : "plan",
				"i", i, "pad", &"padding-of-varying-length"[i % 20], "v", i, -i);
		ret |= ndjson_write_record(o, rec);
		json_decref(rec);
	}
	ret |= output_close(o);
	close(fd);
	is_int(ret, 0, "100k records written");

	ndjson_reader_open(path, NULL, &r);
	for (i = 0; (ret = ndjson_read_record(r, &rec)) == 1; i++) {
		if (json_integer_value(json_object_get(rec, "i")) != i ||
		    ndjson_reader_line(r) != (unsigned long)i + 1 ||
		    strcmp(type_of(rec), i % 3 ? "step" : "plan") != 0 ||
		    json_integer_value(json_array_get(json_object_get(rec, "v"), 1)) != -i)
			bad++;
		json_decref(rec);
	}
	ndjson_reader_close(r);
	is_int(ret, 0, "and read back to the end");
	is_int(i, COUNT, "all of them");
	is_int(bad, 0, "each equal to what was written, on its own line");

	/* The same stream compressed, read through the zstd path. */
	{
		FILE *f = fopen(path, "rb");
		size_t len, zlen;
		char *data;
		void *z;

		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		rewind(f);
		data = malloc(len);
		if (fread(data, 1, len, f) != len)
			printf("Bail out! short read\n");
		fclose(f);
		z = malloc(ZSTD_compressBound(len));
		zlen = ZSTD_compress(z, ZSTD_compressBound(len), data, len, 1);
		tap_write_file(tap_path(zpath, sizeof(zpath), "trip.ndjson.zst"), z, zlen);
		free(z);
		free(data);
	}
	ndjson_reader_open(zpath, NULL, &r);
	bad = 0;
	for (i = 0; (ret = ndjson_read_record(r, &rec)) == 1; i++) {
		if (json_integer_value(json_object_get(rec, "i")) != i ||
		    ndjson_reader_line(r) != (unsigned long)i + 1)
			bad++;
		json_decref(rec);
	}
	ndjson_reader_close(r);
	ok(ret == 0 && i == COUNT && bad == 0, "the compressed copy reads back the same");
}

int
main(void)
{
	diag_setup("code-ndjson");
	test_lines();
	test_errors();
	test_huge_line();
	test_skip();
	test_sources();
	test_write();
	test_round_trip();
	return tap_done();
}
