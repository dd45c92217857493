/* httpparse.h: an incremental HTTP/1.1 response parser, small enough to fuzz, for the load generator. */
#ifndef BENCH_HTTPPARSE_H
#define BENCH_HTTPPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parses one response after another from the bytes of a keep-alive
 * connection, without copying them: the caller feeds what read(2) gave
 * and learns when a response is complete. It keeps no body, only its
 * length. Supported: status line "HTTP/1.x NNN reason", headers up to
 * HTTPPARSE_MAX_HEADER bytes in all, Content-Length, Transfer-Encoding:
 * chunked (chunk extensions and trailers skipped), Connection: close /
 * keep-alive, HTTP/1.0 (close unless keep-alive), bodies delimited by
 * the connection's end (no length, not chunked), no body for 1xx, 204,
 * 304 and responses to HEAD. Anything else malformed is an error; it
 * never reads outside the bytes given (fuzzed).
 *
 * A 1xx interim response (100 Continue, 103 Early Hints) is parsed as a
 * response of its own, DONE with no body: the caller skips it (status
 * < 200), calls httpparse_init again and feeds the rest, which holds the
 * real response. 101 Switching Protocols is an error: what follows is
 * not HTTP. Lines may end in CRLF or a bare LF. A response with both
 * Content-Length and chunked is read as chunked, with keep_alive false
 * (RFC 9112 section 6.3), as is any HTTP/1.0 response with
 * Transfer-Encoding. The status line, chunk size lines and the lines of
 * the three fields that decide framing (Content-Length,
 * Transfer-Encoding, Connection) may not be longer than line[]; other
 * field lines only count toward HTTPPARSE_MAX_HEADER, which bounds the
 * trailers too. The result never depends on how the bytes were split
 * between calls.
 */
#define HTTPPARSE_MAX_HEADER (64u << 10)

enum httpparse_state {
	HTTPPARSE_STATUS,           /* inside the status line or headers */
	HTTPPARSE_BODY_LENGTH,
	HTTPPARSE_CHUNK_SIZE,
	HTTPPARSE_CHUNK_DATA,
	HTTPPARSE_CHUNK_DATA_END,   /* the CRLF after a chunk's data */
	HTTPPARSE_TRAILERS,
	HTTPPARSE_BODY_TO_CLOSE,
	HTTPPARSE_DONE,
	HTTPPARSE_ERROR
};

struct httpparse {
	enum httpparse_state state;
	bool head_request;          /* the request was HEAD: no body follows */
	int status;                 /* once the status line is read */
	bool keep_alive;            /* the connection may carry another request */
	uint64_t content_length;
	bool has_length;
	bool chunked;
	uint64_t remaining;         /* of the body or of the current chunk */
	uint64_t body_bytes;        /* body bytes seen (chunk framing excluded) */
	size_t header_bytes;        /* status line + headers (+ trailers) so far */
	/* Line assembly across reads (status line, headers, chunk sizes, trailers). */
	char line[1024];
	size_t line_len;
	bool line_overflow;         /* a header line longer than line[]: kept only as length */
	const char *error;          /* static text when state is HTTPPARSE_ERROR */
	unsigned flags;             /* private to httpparse.c */
};

/* Ready for a response (to a HEAD request when head is true). */
void httpparse_init(struct httpparse *p, bool head);

/*
 * Consumes bytes of data[0..len) and returns how many it used: it stops
 * right after the response's last byte (state DONE; the rest belongs to
 * the next response, for pipelining), or on an error (state ERROR with
 * p->error), or when it used everything (more is needed).
 */
size_t httpparse_feed(struct httpparse *p, const char *data, size_t len);

/*
 * The connection ended (read returned 0): completes a body that runs to
 * the close (returns true: the response is DONE); any other unfinished
 * response is an error ("connection closed mid-response"), false. A
 * parser that has been given no byte since httpparse_init fails with
 * "connection closed before a response" instead (a server closing an
 * idle keep-alive connection). A DONE response stays DONE (true).
 */
bool httpparse_eof(struct httpparse *p);

#endif
