/* ndjson.c: streaming NDJSON records in and out, with line numbers. */
#include "libcommon/ndjson.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

/*
 * Lines are split with memchr over a buffer this big, so one read(2) and
 * one memchr call cover thousands of records. It grows only for a line
 * longer than itself, and never past the line limit.
 */
#define NDJSON_BUF_SIZE (256u << 10)

/* reader_next_line found a line over the limit (not an exit code). */
#define READER_LINE_TOO_LONG 2

struct ndjson_reader {
	struct input *in;
	size_t max_line;
	/* The most bytes a valid line takes before its '\n' (max_line + "\r"). */
	size_t max_raw;
	bool skip_invalid;
	char *buf;
	size_t size;
	size_t start, end;   /* bytes not yet split into lines: buf[start, end) */
	size_t scanned;      /* bytes after start already known to hold no '\n' */
	bool eof;
	bool discarding;     /* the rest of an oversized line is still to drop */
	unsigned long line;  /* lines consumed, so the number of the current one */
	unsigned long skipped;
};

/*
 * Appends to buf[start, end), first moving the unsplit tail to the front
 * and growing the buffer when the tail fills it. Returns the bytes read,
 * 0 at the end of input, or a negated exit code.
 */
static ssize_t
reader_fill(struct ndjson_reader *r)
{
	ssize_t got;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->size) {
		size_t size = r->size <= SIZE_MAX / 2 ? r->size * 2 : SIZE_MAX;

		/* One byte past the longest valid line is enough to tell. */
		if (size > r->max_raw && r->max_raw < SIZE_MAX)
			size = r->max_raw + 1;
		r->buf = xrealloc(r->buf, size);
		r->size = size;
	}
	got = input_read(r->in, r->buf + r->end, r->size - r->end);
	if (got < 0)
		return got;
	if (got == 0)
		r->eof = true;
	r->end += (size_t)got;
	return got;
}

/*
 * Drops what is left of an oversized line, up to and including its '\n',
 * reading in buffer-sized pieces so the line is never held whole.
 */
static int
reader_discard(struct ndjson_reader *r)
{
	while (r->discarding) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		ssize_t got;

		if (nl) {
			r->start = (size_t)(nl + 1 - r->buf);
			r->discarding = false;
			break;
		}
		r->start = r->end = 0;
		if (r->eof) {
			r->discarding = false;
			break;
		}
		got = reader_fill(r);
		if (got < 0)
			return (int)got;
	}
	r->scanned = 0;
	return 0;
}

/*
 * Finds the next line, without its '\n'. Returns 1 with *line and *len
 * pointing into the buffer (valid until the next call), 0 at the end,
 * READER_LINE_TOO_LONG when the line cannot fit, or a negated exit code.
 */
static int
reader_next_line(struct ndjson_reader *r, char **line, size_t *len)
{
	for (;;) {
		char *from = r->buf + r->start + r->scanned;
		char *nl = memchr(from, '\n', r->end - r->start - r->scanned);
		ssize_t got;

		if (nl) {
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			r->start += *len + 1;
			r->scanned = 0;
			r->line++;
			return 1;
		}
		r->scanned = r->end - r->start;
		if (r->eof) {
			if (r->start == r->end)
				return 0;
			*line = r->buf + r->start;
			*len = r->end - r->start;
			r->start = r->end;
			r->scanned = 0;
			r->line++;
			return 1;
		}
		if (r->end - r->start > r->max_raw) {
			r->line++;
			r->start = r->end = r->scanned = 0;
			r->discarding = true;
			return READER_LINE_TOO_LONG;
		}
		got = reader_fill(r);
		if (got < 0)
			return (int)got;
	}
}

/*
 * A bad line: an error, or with skip_invalid a count (and a note under
 * -v). Returns 0 when reading goes on, else the negated exit code.
 */
static int
reader_invalid(struct ndjson_reader *r, unsigned long col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
reader_invalid(struct ndjson_reader *r, unsigned long col, const char *fmt, ...)
{
	struct diag_loc loc = { input_name(r->in), r->line, col };
	struct strbuf msg = STRBUF_INIT;
	va_list ap;
	size_t i;
	int ret = 0;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	/* jansson quotes the bad token: keep its control bytes off the terminal. */
	for (i = 0; i < msg.len; i++)
		if ((unsigned char)msg.buf[i] < 0x20 || msg.buf[i] == 0x7f)
			msg.buf[i] = '?';
	if (r->skip_invalid) {
		r->skipped++;
		diag_info(DIAG_VERBOSE, &loc, "skipped: %s", msg.buf);
	} else {
		ret = diag_error(CODE_EXIT_DATAERR, &loc, "%s", msg.buf);
	}
	strbuf_release(&msg);
	return ret;
}

static int
reader_line_too_long(struct ndjson_reader *r)
{
	char limit[64];

	units_format_size(r->max_line, limit, sizeof(limit));
	return reader_invalid(r, 0, "line longer than %s", limit);
}

/* JSON whitespace only; the common case returns at the first byte. */
static bool
reader_is_blank(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/*
 * Parses one line into a record. Returns 1 with *out set, 0 when the line
 * was skipped as invalid, or a negated exit code.
 */
static int
reader_parse(struct ndjson_reader *r, const char *line, size_t len, json_t **out)
{
	json_error_t err;
	const json_t *type;
	json_t *rec;
	int ret;

	/* Any value parses, so "42" gets the clearer "not a JSON object". */
	rec = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (rec == NULL)
		return reader_invalid(r, err.column > 0 ? (unsigned long)err.column : 0,
				      "invalid JSON: %s", err.text);
	if (!json_is_object(rec)) {
		ret = reader_invalid(r, 0, "record is not a JSON object");
		goto fail;
	}
	type = json_object_get(rec, "type");
	if (type == NULL) {
		ret = reader_invalid(r, 0, "record has no 'type'");
		goto fail;
	}
	if (!json_is_string(type)) {
		ret = reader_invalid(r, 0, "record 'type' is not a string");
		goto fail;
	}
	*out = rec;
	return 1;
fail:
	json_decref(rec);
	return ret;
}

int
ndjson_read_record(struct ndjson_reader *r, json_t **out)
{
	*out = NULL;
	for (;;) {
		char *line = NULL;
		size_t len = 0;
		int ret;

		if (r->discarding && (ret = reader_discard(r)) < 0)
			return ret;
		ret = reader_next_line(r, &line, &len);
		if (ret <= 0)
			return ret;
		if (ret == READER_LINE_TOO_LONG) {
			if ((ret = reader_line_too_long(r)) < 0)
				return ret;
			continue;
		}
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len > r->max_line) {
			if ((ret = reader_line_too_long(r)) < 0)
				return ret;
			continue;
		}
		if (reader_is_blank(line, len))
			continue;
		ret = reader_parse(r, line, len, out);
		if (ret != 0)
			return ret;
	}
}

int
ndjson_reader_from_input(struct input *in, const struct ndjson_reader_options *opts,
			 struct ndjson_reader **out)
{
	struct ndjson_reader *r = xcalloc(1, sizeof(*r));

	r->in = in;
	r->max_line = opts && opts->max_line ? opts->max_line : NDJSON_MAX_LINE_DEFAULT;
	r->max_raw = r->max_line < SIZE_MAX ? r->max_line + 1 : SIZE_MAX;
	r->skip_invalid = opts && opts->skip_invalid;
	r->size = NDJSON_BUF_SIZE;
	r->buf = xmalloc(r->size);
	*out = r;
	return 0;
}

int
ndjson_reader_open(const char *path, const struct ndjson_reader_options *opts,
		   struct ndjson_reader **out)
{
	struct input *in;
	int ret;

	*out = NULL;
	if ((ret = input_open(path, &in)) < 0)
		return ret;
	return ndjson_reader_from_input(in, opts, out);
}

unsigned long
ndjson_reader_line(const struct ndjson_reader *r)
{
	return r->line;
}

unsigned long
ndjson_reader_skipped(const struct ndjson_reader *r)
{
	return r->skipped;
}

const char *
ndjson_reader_name(const struct ndjson_reader *r)
{
	return input_name(r->in);
}

void
ndjson_reader_close(struct ndjson_reader *r)
{
	if (r == NULL)
		return;
	if (r->skipped > 0) {
		struct diag_loc loc = diag_file(input_name(r->in));

		diag_warn(&loc, "skipped %lu invalid line%s", r->skipped,
			  r->skipped == 1 ? "" : "s");
	}
	input_close(r->in);
	free(r->buf);
	free(r);
}

/* Lets json_dump_callback tell a failed write from a record it cannot encode. */
struct ndjson_dump {
	struct output *out;
	int ret;
};

static int
ndjson_dump_chunk(const char *buffer, size_t size, void *data)
{
	struct ndjson_dump *d = data;

	d->ret = output_write(d->out, buffer, size);
	return d->ret < 0 ? -1 : 0;
}

int
ndjson_write_record(struct output *o, const json_t *rec)
{
	struct ndjson_dump d = { o, 0 };

	/* Straight into the output buffer: no string is built per record. */
	if (json_dump_callback(rec, ndjson_dump_chunk, &d, JSON_COMPACT) < 0) {
		if (d.ret < 0)
			return d.ret;
		/* Only a bug gets here, e.g. a string made with json_stringn_nocheck. */
		return diag_error(CODE_EXIT_SOFTWARE, NULL, "cannot encode a record as JSON");
	}
	return output_write(o, "\n", 1);
}
