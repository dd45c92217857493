/* batch.c: code-cache batch: NDJSON requests answered in order, writes committed before answers. */
#include "cmd/cache/batch.h"

#include <string.h>
#include <unistd.h>

#include "libcommon/chunkread.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/input.h"
#include "libcommon/jsonw.h"
#include "libcommon/output.h"
#include "libcommon/units.h"

struct batch {
	struct cache *c;
	const struct batch_options *opts;
	struct output *out;
	struct strbuf ans;
	struct strbuf value;
	unsigned long line;
	unsigned long invalid;
};

static void
answer_head(struct batch *b, const char *op, const char *key, size_t key_len)
{
	strbuf_addstr(&b->ans, "{\"type\":\"result\",\"op\":\"");
	strbuf_addstr(&b->ans, op);
	strbuf_addstr(&b->ans, "\",\"key\":");
	jsonw_append_string(&b->ans, key, key_len);
}

/* A bad line: an error answer with --skip-invalid, else the end of the batch. */
static int
bad_line(struct batch *b, const char *why)
{
	struct diag_loc loc = { "<stdin>", b->line, 0 };

	if (!b->opts->skip_invalid)
		return diag_error(CODE_EXIT_DATAERR, &loc, "%s", why);
	b->invalid++;
	strbuf_addstr(&b->ans, "{\"type\":\"result\",\"error\":");
	jsonw_append_string(&b->ans, why, strlen(why));
	strbuf_addstr(&b->ans, "}\n");
	return 0;
}

/* A request's fields, pointing into the line (fast path) or the parsed JSON. */
struct request {
	const char *op, *key, *value, *ttl;
	size_t op_len, key_len, value_len, ttl_len;
};

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/*
 * A plain string: no escapes and ASCII only, so it can be used in place.
 * Anything else sends the whole line to jansson.
 */
static const char *
plain_string(const char *p, const char *end, const char **s, size_t *len)
{
	const char *q;

	if (p >= end || *p != '"')
		return NULL;
	for (q = ++p; q < end && *q != '"'; q++)
		if (*q == '\\' || (unsigned char)*q >= 0x80 || (unsigned char)*q < 0x20)
			return NULL;
	if (q >= end)
		return NULL;
	*s = p;
	*len = (size_t)(q - p);
	return q + 1;
}

/*
 * The common request, {"op":"put","key":"k","value":"v"}, read without
 * building a JSON tree (jansson alone caps batch below its goal); false
 * for anything it does not recognise, which jansson then reads.
 */
static bool
fast_parse(const char *line, size_t len, struct request *rq)
{
	const char *p = line, *end = line + len;

	memset(rq, 0, sizeof(*rq));
	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		return false;
	for (;;) {
		const char *name, *val;
		size_t name_len, val_len;

		p = skip_ws(p, end);
		if ((p = plain_string(p, end, &name, &name_len)) == NULL)
			return false;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return false;
		p = skip_ws(p, end);
		if ((p = plain_string(p, end, &val, &val_len)) == NULL)
			return false;
		{
			const char **slot = NULL;
			size_t *slot_len = NULL;

			if (name_len == 2 && memcmp(name, "op", 2) == 0) {
				slot = &rq->op;
				slot_len = &rq->op_len;
			} else if (name_len == 3 && memcmp(name, "key", 3) == 0) {
				slot = &rq->key;
				slot_len = &rq->key_len;
			} else if (name_len == 5 && memcmp(name, "value", 5) == 0) {
				slot = &rq->value;
				slot_len = &rq->value_len;
			} else if (name_len == 3 && memcmp(name, "ttl", 3) == 0) {
				slot = &rq->ttl;
				slot_len = &rq->ttl_len;
			}
			/* Unknown or repeated names: jansson decides (duplicates are an error there). */
			if (slot == NULL || *slot != NULL)
				return false;
			*slot = val;
			*slot_len = val_len;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p >= end || *p++ != '}')
			return false;
		return skip_ws(p, end) == end && rq->op != NULL;
	}
}

static int
handle_request(struct batch *b, const struct request *rq);

static int
handle_line(struct batch *b, const char *line, size_t len)
{
	struct request rq;
	json_t *req, *j;
	json_error_t err;
	int ret;

	if (len == 0 || (len == 1 && line[0] == '\r'))
		return 0;
	if (fast_parse(line, len, &rq))
		return handle_request(b, &rq);
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (req == NULL)
		return bad_line(b, err.text);
	if (!json_is_object(req)) {
		json_decref(req);
		return bad_line(b, "a request is a JSON object");
	}
	memset(&rq, 0, sizeof(rq));
#define STRFIELD(n, f) \
	if ((j = json_object_get(req, n)) != NULL) { \
		if (!json_is_string(j)) { \
			json_decref(req); \
			return bad_line(b, "\"" n "\" must be a string"); \
		} \
		rq.f = json_string_value(j); \
		rq.f##_len = json_string_length(j); \
	}
	STRFIELD("op", op)
	STRFIELD("key", key)
	STRFIELD("value", value)
	STRFIELD("ttl", ttl)
#undef STRFIELD
	ret = handle_request(b, &rq);
	json_decref(req);
	return ret;
}

static int
handle_request(struct batch *b, const struct request *rq)
{
	int ret = 0, r;

	if (rq->op == NULL || rq->key == NULL || rq->key_len == 0)
		return bad_line(b, "a request needs \"op\" and a non-empty string \"key\"");
	if (rq->op_len == 3 && memcmp(rq->op, "get", 3) == 0) {
		r = cache_get(b->c, rq->key, rq->key_len, &b->value);
		answer_head(b, "get", rq->key, rq->key_len);
		if (r == STORE_HIT) {
			strbuf_addstr(&b->ans, ",\"hit\":true,\"value\":");
			jsonw_append_string_lossy(&b->ans, b->value.buf ? b->value.buf : "",
						  b->value.len);
			strbuf_addstr(&b->ans, "}\n");
		} else {
			strbuf_addstr(&b->ans, ",\"hit\":false}\n");
		}
	} else if (rq->op_len == 3 && memcmp(rq->op, "put", 3) == 0) {
		int64_t ttl = b->opts->ttl_ms;

		if (rq->value == NULL)
			return bad_line(b, "put needs a string \"value\"");
		if (rq->ttl != NULL) {
			char buf[64];
			uint64_t ms;

			if (rq->ttl_len >= sizeof(buf))
				return bad_line(b, "\"ttl\" must be a duration such as \"10m\"");
			memcpy(buf, rq->ttl, rq->ttl_len);
			buf[rq->ttl_len] = '\0';
			if (units_parse_duration_ms(buf, &ms) != 0 || ms == 0)
				return bad_line(b, "\"ttl\" must be a duration such as \"10m\"");
			ttl = (int64_t)ms;
		}
		ret = cache_put(b->c, rq->key, rq->key_len, rq->value, rq->value_len, ttl);
		answer_head(b, "put", rq->key, rq->key_len);
		strbuf_addstr(&b->ans, ret == 0 ? ",\"ok\":true}\n" : ",\"ok\":false}\n");
		ret = ret < 0 ? ret : 0;
	} else if (rq->op_len == 3 && memcmp(rq->op, "del", 3) == 0) {
		r = cache_del(b->c, rq->key, rq->key_len);
		if (r < 0)
			return r;
		answer_head(b, "del", rq->key, rq->key_len);
		strbuf_addstr(&b->ans, r == 0 ? ",\"deleted\":true}\n" : ",\"deleted\":false}\n");
	} else {
		return bad_line(b, "\"op\" must be get, put or del");
	}
	return ret;
}

/* Commits what the answers report, then writes the answers. */
static int
flush_answers(struct batch *b)
{
	int ret = cache_commit(b->c);

	if (ret < 0)
		return ret;
	if (b->ans.len > 0) {
		ret = output_write(b->out, b->ans.buf, b->ans.len);
		strbuf_reset(&b->ans);
		if (ret == 0)
			ret = output_flush(b->out);
	}
	return ret;
}

int
batch_run(struct cache *c, const struct batch_options *opts)
{
	struct chunkread_options cro = { 0 };
	struct batch b = { 0 };
	struct chunkread *cr = NULL;
	struct input *in = NULL;
	const char *data;
	size_t len;
	off_t off;
	int ret, rc;

	b.c = c;
	b.opts = opts;
	strbuf_init(&b.ans, 1 << 16);
	strbuf_init(&b.value, 0);
	if (opts->prefetch > 0)
		diag_warn(NULL, "--prefetch is not implemented yet; ignored");
	if ((ret = output_open_fd(STDOUT_FILENO, &b.out)) < 0)
		goto out;
	if ((ret = input_open("-", &in)) < 0 || (ret = chunkread_open_input(in, &cro, &cr)) < 0)
		goto out;
	cache_set_batch(c, true);
	while ((rc = chunkread_next(cr, &data, &len, &off)) > 0) {
		size_t pos = 0;

		while (pos < len && ret == 0) {
			const char *nl = memchr(data + pos, '\n', len - pos);
			size_t end = nl ? (size_t)(nl - data) : len;

			b.line++;
			ret = handle_line(&b, data + pos, end - pos);
			pos = end + 1;
			if (ret == 0 && b.ans.len >= (1u << 20))
				ret = flush_answers(&b);
		}
		if (ret == 0)
			ret = flush_answers(&b);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc < 0)
		ret = rc;
	if (ret == 0)
		ret = flush_answers(&b);
	else if (ret == -CODE_EXIT_DATAERR)
		flush_answers(&b);   /* what came before the bad line is answered */
	cache_set_batch(c, false);
	if (b.invalid > 0)
		diag_warn(NULL, "answered %lu malformed lines with an error", b.invalid);
out:
	chunkread_close(cr);
	input_close(in);
	if (b.out != NULL && output_close(b.out) < 0 && ret == 0)
		ret = -CODE_EXIT_IOERR;
	strbuf_release(&b.ans);
	strbuf_release(&b.value);
	return ret;
}
