/* httpparse.c: an incremental HTTP/1.1 response parser (RFC 9112 framing) for the load generator's hot loop. */
#include "cmd/bench/httpparse.h"

#include <string.h>

/*
 * The common case is a small keep-alive response arriving whole in one
 * read: its lines are found with memchr and parsed in place, and only
 * the three fields that decide framing are looked at (by length first,
 * then one or two 8-byte compares). Bytes are copied into p->line only
 * for a line split across reads.
 */

/* Private bits of p->flags. */
#define F_HTTP10        0x01u   /* the status line said HTTP/1.0 */
#define F_CONN_CLOSE    0x02u   /* Connection: close */
#define F_CONN_KEEP     0x04u   /* Connection: keep-alive */
#define F_TE            0x08u   /* a Transfer-Encoding field was seen */
#define F_TE_CHUNKED    0x10u   /* chunked was among its codings */
#define F_TE_FINAL      0x20u   /* ... and is the last one so far */
#define F_CR            0x40u   /* CHUNK_DATA_END has had the CR */

#define LINE_CAP sizeof(((struct httpparse *)0)->line)

/* RFC 9110 tchar: the bytes of a token such as a field name. */
static const unsigned char tchar[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static const char name_content_length[] = "content-length";
static const char name_transfer_encoding[] = "transfer-encoding";
static const char name_connection[] = "connection";

static void
fail(struct httpparse *p, const char *why)
{
	p->state = HTTPPARSE_ERROR;
	p->error = why;
	p->keep_alive = false;
}

static inline uint64_t
load8(const char *s)
{
	uint64_t v;

	memcpy(&v, s, sizeof(v));
	return v;
}

/*
 * Whether the 8 bytes at s are those at lit, ignoring case. Setting bit
 * 0x20 lowercases letters and keeps '-'; it could also turn CR into '-'
 * but names were checked to be tokens, which hold no CR.
 */
static inline bool
name8(const char *s, const char *lit)
{
	return (load8(s) | 0x2020202020202020ull) == load8(lit);
}

/* Whether s[0..n) is the lowercase literal lit, ignoring case (any bytes in s). */
static inline bool
token_is(const char *s, size_t n, const char *lit, size_t litlen)
{
	size_t i;
	unsigned char c;

	if (n != litlen)
		return false;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (unsigned char)lit[i])
			return false;
	}
	return true;
}

static inline bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline const char *
skip_ows(const char *s, const char *end)
{
	while (s < end && is_ows(*s))
		s++;
	return s;
}

static inline const char *
skip_token(const char *s, const char *end)
{
	/* Four at a time: header names are short, the bound check is half the work. */
	while (end - s >= 4 && tchar[(unsigned char)s[0]] && tchar[(unsigned char)s[1]] &&
	       tchar[(unsigned char)s[2]] && tchar[(unsigned char)s[3]])
		s += 4;
	while (s < end && tchar[(unsigned char)*s])
		s++;
	return s;
}

static inline int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "HTTP/1.x NNN[ reason]": the reason phrase is optional and not looked at. */
static void
status_line(struct httpparse *p, const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "HTTP/", 5) != 0 || !is_digit(s[5]) || s[6] != '.' ||
	    !is_digit(s[7]) || s[8] != ' ' || s[9] < '1' || s[9] > '9' ||
	    !is_digit(s[10]) || !is_digit(s[11]) || (n > 12 && s[12] != ' ')) {
		fail(p, "invalid status line");
		return;
	}
	if (s[5] != '1') {
		fail(p, "unsupported HTTP version");
		return;
	}
	p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (s[7] == '0')
		p->flags |= F_HTTP10;
	if (p->status == 101)
		fail(p, "protocol switch (101) not supported");
}

/* A Content-Length value, or a list of equal ones ("42, 42", RFC 9110 section 8.6). */
static void
content_length(struct httpparse *p, const char *v, const char *end)
{
	uint64_t n;
	unsigned d;

	for (;;) {
		if (v == end || !is_digit(*v)) {
			fail(p, "invalid Content-Length");
			return;
		}
		n = 0;
		do {
			d = (unsigned)(*v++ - '0');
			if (n > (UINT64_MAX - d) / 10) {
				fail(p, "Content-Length too large");
				return;
			}
			n = n * 10 + d;
		} while (v < end && is_digit(*v));
		if (p->has_length && n != p->content_length) {
			fail(p, "conflicting Content-Length values");
			return;
		}
		p->content_length = n;
		p->has_length = true;
		v = skip_ows(v, end);
		if (v == end)
			return;
		if (*v != ',') {
			fail(p, "invalid Content-Length");
			return;
		}
		v = skip_ows(v + 1, end);
	}
}

/*
 * The codings of a Transfer-Encoding field, several fields making one
 * list: only whether chunked is there and last matters. Parameters
 * (";name=value") are skipped.
 */
static void
transfer_encoding(struct httpparse *p, const char *v, const char *end)
{
	const char *name;
	bool any = false;

	p->flags |= F_TE;
	while (v < end) {
		name = v;
		v = skip_token(v, end);
		if (v == name) {
			if (*v != ',') {
				fail(p, "invalid Transfer-Encoding");
				return;
			}
			v = skip_ows(v + 1, end);
			continue;
		}
		any = true;
		if (token_is(name, (size_t)(v - name), "chunked", 7)) {
			if (p->flags & F_TE_CHUNKED) {
				fail(p, "chunked applied more than once");
				return;
			}
			p->flags |= F_TE_CHUNKED | F_TE_FINAL;
		} else
			p->flags &= ~F_TE_FINAL;
		while (v < end && *v != ',')
			v++;
		if (v < end)
			v = skip_ows(v + 1, end);
	}
	if (!any)
		fail(p, "empty Transfer-Encoding");
}

/* The tokens of a Connection field ("keep-alive, Upgrade"): only close and keep-alive matter. */
static void
connection(struct httpparse *p, const char *v, const char *end)
{
	const char *tok, *tend;

	/* The usual value; exact despite the 0x20 trick as '-' is checked apart. */
	if (end - v == 10 && name8(v, "keep-alive") && name8(v + 2, "ep-alive") && v[4] == '-') {
		p->flags |= F_CONN_KEEP;
		return;
	}
	while (v < end) {
		tok = v;
		while (v < end && *v != ',')
			v++;
		tend = v;
		while (tend > tok && is_ows(tend[-1]))
			tend--;
		if (token_is(tok, (size_t)(tend - tok), "close", 5))
			p->flags |= F_CONN_CLOSE;
		else if (token_is(tok, (size_t)(tend - tok), "keep-alive", 10))
			p->flags |= F_CONN_KEEP;
		if (v < end)
			v = skip_ows(v + 1, end);
	}
}

/*
 * One field line of the header section (or of the trailers, which are
 * only checked): s[0..n) without its line end, non-empty. truncated: the
 * line was longer than p->line and only its first n bytes are known,
 * which is fine for a field we ignore.
 */
static inline void
field_line(struct httpparse *p, const char *s, size_t n, bool truncated, bool trailer)
{
	const char *end = s + n, *colon, *v;
	size_t len;

	if (is_ows(s[0])) {
		fail(p, "obsolete line folding");
		return;
	}
	colon = skip_token(s, end);
	if (colon == end) {
		fail(p, truncated ? "header name too long" : "header line without ':'");
		return;
	}
	if (*colon != ':' || colon == s) {
		fail(p, "invalid header name");
		return;
	}
	if (trailer)
		return;
	len = (size_t)(colon - s);
	switch (len) {
	case 10:
		if (!name8(s, name_connection) || !name8(s + 2, name_connection + 2))
			return;
		break;
	case 14:
		if (!name8(s, name_content_length) || !name8(s + 6, name_content_length + 6))
			return;
		break;
	case 17:
		if (!name8(s, name_transfer_encoding) ||
		    !name8(s + 8, name_transfer_encoding + 8) || (s[16] | 0x20) != 'g')
			return;
		break;
	default:
		return;
	}
	if (truncated) {
		fail(p, "header line too long");
		return;
	}
	v = skip_ows(colon + 1, end);
	while (end > v && is_ows(end[-1]))
		end--;
	if (len == 14)
		content_length(p, v, end);
	else if (len == 17)
		transfer_encoding(p, v, end);
	else
		connection(p, v, end);
}

/* The empty line after the headers: decides the framing (RFC 9112 section 6.3). */
static void
end_of_head(struct httpparse *p)
{
	bool keep = (p->flags & F_HTTP10) ? (p->flags & F_CONN_KEEP) != 0 : true;

	if (p->flags & F_CONN_CLOSE)
		keep = false;
	if (p->status < 200 || p->status == 204 || p->status == 304 || p->head_request) {
		p->state = HTTPPARSE_DONE;
	} else if (p->flags & F_TE) {
		/* Both framings, or chunked from HTTP/1.0: smuggling-prone, do not reuse. */
		if (p->has_length || (p->flags & F_HTTP10))
			keep = false;
		if (p->flags & F_TE_FINAL) {
			p->chunked = true;
			p->state = HTTPPARSE_CHUNK_SIZE;
		} else {
			keep = false;
			p->state = HTTPPARSE_BODY_TO_CLOSE;
		}
	} else if (p->has_length) {
		p->remaining = p->content_length;
		p->state = p->remaining > 0 ? HTTPPARSE_BODY_LENGTH : HTTPPARSE_DONE;
	} else {
		keep = false;
		p->state = HTTPPARSE_BODY_TO_CLOSE;
	}
	p->keep_alive = keep;
}

/* After a chunk size: *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ). */
static bool
chunk_ext_valid(const char *s, const char *end)
{
	for (;;) {
		s = skip_ows(s, end);
		if (s == end)
			return true;
		if (*s != ';')
			return false;
		s = skip_ows(s + 1, end);
		if (s == end || !tchar[(unsigned char)*s])
			return false;
		s = skip_ows(skip_token(s, end), end);
		if (s == end || *s != '=')
			continue;
		s = skip_ows(s + 1, end);
		if (s == end)
			return false;
		if (*s != '"') {
			if (!tchar[(unsigned char)*s])
				return false;
			s = skip_token(s, end);
			continue;
		}
		for (s++; s < end && *s != '"'; s++)
			if (*s == '\\' && ++s == end)
				return false;
		if (s == end)
			return false;
		s++;
	}
}

static void
chunk_size_line(struct httpparse *p, const char *s, size_t n)
{
	uint64_t size = 0;
	size_t i;
	int d;

	for (i = 0; i < n && (d = hex_value(s[i])) >= 0; i++) {
		if (size >> 60) {
			fail(p, "chunk size too large");
			return;
		}
		size = size << 4 | (unsigned)d;
	}
	if (i == 0) {
		fail(p, "invalid chunk size");
		return;
	}
	if (i < n && !chunk_ext_valid(s + i, s + n)) {
		fail(p, "invalid chunk extension");
		return;
	}
	if (size == 0) {
		p->state = HTTPPARSE_TRAILERS;
	} else {
		p->remaining = size;
		p->state = HTTPPARSE_CHUNK_DATA;
	}
}

/*
 * The most bytes (line end included) the current line may take, with
 * the error for more. The same bound is applied to a line still being
 * assembled, so results do not depend on how the bytes were split.
 */
static size_t
line_budget(const struct httpparse *p, const char **why)
{
	if (p->state == HTTPPARSE_CHUNK_SIZE) {
		*why = "chunk size line too long";
		return LINE_CAP + 1;
	}
	if (p->state == HTTPPARSE_STATUS && p->status == 0) {
		*why = "status line too long";
		return LINE_CAP + 1;
	}
	*why = "header section too large";
	return HTTPPARSE_MAX_HEADER - p->header_bytes;
}

/* A whole line s[0..n) (its LF excluded) of a line state; only the first LINE_CAP bytes are read. */
static inline void
line_done(struct httpparse *p, const char *s, size_t n)
{
	bool truncated = n > LINE_CAP;
	size_t kept = truncated ? LINE_CAP : n;

	if (!truncated && kept > 0 && s[kept - 1] == '\r')
		kept--;
	switch (p->state) {
	case HTTPPARSE_STATUS:
		p->header_bytes += n + 1;
		if (p->status == 0)
			status_line(p, s, kept);
		else if (kept == 0)
			end_of_head(p);
		else
			field_line(p, s, kept, truncated, false);
		break;
	case HTTPPARSE_CHUNK_SIZE:
		chunk_size_line(p, s, kept);
		break;
	case HTTPPARSE_TRAILERS:
		p->header_bytes += n + 1;
		if (kept == 0)
			p->state = HTTPPARSE_DONE;
		else
			field_line(p, s, kept, truncated, true);
		break;
	default:
		break;
	}
}

static inline bool
is_line_state(enum httpparse_state s)
{
	return s == HTTPPARSE_STATUS || s == HTTPPARSE_CHUNK_SIZE || s == HTTPPARSE_TRAILERS;
}

/* Keeps the first bytes of a line that goes on in the next read. */
static void
line_keep(struct httpparse *p, const char *s, size_t n)
{
	size_t room;

	if (p->line_len < LINE_CAP) {
		room = LINE_CAP - p->line_len;
		memcpy(p->line + p->line_len, s, n < room ? n : room);
	}
	p->line_len += n;
	p->line_overflow = p->line_len > LINE_CAP;
}

/* Hands whole lines to line_done while in a line state; returns the bytes of data used. */
static size_t
feed_lines(struct httpparse *p, const char *data, size_t len)
{
	const char *s = data, *end = data + len, *nl, *why, *line;
	size_t n;

	if (p->line_len > 0) {
		nl = memchr(s, '\n', len);
		n = (size_t)((nl != NULL ? nl : end) - s);
		line_keep(p, s, n);
		if (p->line_len >= line_budget(p, &why)) {
			fail(p, why);
			return len;
		}
		if (nl == NULL)
			return len;
		s = nl + 1;
		n = p->line_len;
		p->line_len = 0;
		p->line_overflow = false;
		line_done(p, p->line, n);
		if (!is_line_state(p->state))
			return (size_t)(s - data);
	}
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = (size_t)((nl != NULL ? nl : end) - s);
		/* The common case, a whole field line in place, without the general checks. */
		if (nl != NULL && p->state == HTTPPARSE_STATUS && p->status != 0 && n <= LINE_CAP &&
		    n < HTTPPARSE_MAX_HEADER - p->header_bytes) {
			p->header_bytes += n + 1;
			line = s;
			s = nl + 1;
			if (n > 0 && line[n - 1] == '\r')
				n--;
			if (n > 0)
				field_line(p, line, n, false, false);
			else
				end_of_head(p);
			if (!is_line_state(p->state))
				break;
			continue;
		}
		if (n >= line_budget(p, &why)) {
			fail(p, why);
			return (size_t)(end - data);
		}
		if (nl == NULL) {
			line_keep(p, s, n);
			return len;
		}
		line_done(p, s, n);
		s = nl + 1;
		if (!is_line_state(p->state))
			break;
	}
	return (size_t)(s - data);
}

void
httpparse_init(struct httpparse *p, bool head)
{
	/* Not memset: line[] is only read where written, and this runs per response. */
	p->state = HTTPPARSE_STATUS;
	p->head_request = head;
	p->status = 0;
	p->keep_alive = false;
	p->content_length = 0;
	p->has_length = false;
	p->chunked = false;
	p->remaining = 0;
	p->body_bytes = 0;
	p->header_bytes = 0;
	p->line_len = 0;
	p->line_overflow = false;
	p->error = NULL;
	p->flags = 0;
}

size_t
httpparse_feed(struct httpparse *p, const char *data, size_t len)
{
	size_t off = 0, n;

	while (off < len) {
		switch (p->state) {
		case HTTPPARSE_STATUS:
		case HTTPPARSE_CHUNK_SIZE:
		case HTTPPARSE_TRAILERS:
			off += feed_lines(p, data + off, len - off);
			break;
		case HTTPPARSE_BODY_LENGTH:
		case HTTPPARSE_CHUNK_DATA:
			n = len - off;
			if (n > p->remaining)
				n = (size_t)p->remaining;
			p->remaining -= n;
			p->body_bytes += n;
			off += n;
			if (p->remaining == 0) {
				p->flags &= ~F_CR;
				p->state = p->state == HTTPPARSE_BODY_LENGTH ? HTTPPARSE_DONE :
					   HTTPPARSE_CHUNK_DATA_END;
			}
			break;
		case HTTPPARSE_CHUNK_DATA_END:
			if (data[off] == '\n') {
				p->state = HTTPPARSE_CHUNK_SIZE;
			} else if (data[off] == '\r' && !(p->flags & F_CR)) {
				p->flags |= F_CR;
			} else {
				fail(p, "chunk data not followed by CRLF");
				return off;
			}
			off++;
			break;
		case HTTPPARSE_BODY_TO_CLOSE:
			p->body_bytes += len - off;
			off = len;
			break;
		case HTTPPARSE_DONE:
		case HTTPPARSE_ERROR:
			return off;
		}
	}
	return off;
}

bool
httpparse_eof(struct httpparse *p)
{
	switch (p->state) {
	case HTTPPARSE_DONE:
		return true;
	case HTTPPARSE_BODY_TO_CLOSE:
		p->state = HTTPPARSE_DONE;
		p->keep_alive = false;
		return true;
	case HTTPPARSE_ERROR:
		return false;
	case HTTPPARSE_STATUS:
		if (p->header_bytes == 0 && p->line_len == 0) {
			fail(p, "connection closed before a response");
			return false;
		}
		break;
	default:
		break;
	}
	fail(p, "connection closed mid-response");
	return false;
}
