/* ndjson.h: streaming NDJSON records in and out, with line numbers. */
#ifndef CODE_NDJSON_H
#define CODE_NDJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "libcommon/input.h"
#include "libcommon/output.h"

#define NDJSON_MAX_LINE_DEFAULT (16u << 20)

struct ndjson_reader_options {
	size_t max_line;    /* 0 = NDJSON_MAX_LINE_DEFAULT */
	bool skip_invalid;  /* count and skip bad lines instead of failing */
};

/* Opaque. */
struct ndjson_reader;

/* Opens path ("-"/NULL for stdin, .zst transparently); see input_open. */
int ndjson_reader_open(const char *path,
		       const struct ndjson_reader_options *opts,
		       struct ndjson_reader **out);
/* Takes ownership of in. */
int ndjson_reader_from_input(struct input *in,
			     const struct ndjson_reader_options *opts,
			     struct ndjson_reader **out);
/*
 * Reads the next record: returns 1 with a new reference in *out, 0 at the
 * end, or the negated exit code after a diagnostic "FILE:LINE[:COL]: ...":
 * -CODE_EXIT_DATAERR for invalid JSON, a non-object, a missing or
 * non-string "type", or a line over the limit (unless skip_invalid).
 * Blank lines are ignored. A last line without '\n' is accepted.
 */
int ndjson_read_record(struct ndjson_reader *r, json_t **out);
/* Line number of the record last returned (1-based). */
unsigned long ndjson_reader_line(const struct ndjson_reader *r);
unsigned long ndjson_reader_skipped(const struct ndjson_reader *r);
const char *ndjson_reader_name(const struct ndjson_reader *r);
/* Closes; when lines were skipped, warns "skipped N invalid lines". */
void ndjson_reader_close(struct ndjson_reader *r);

/* Writes rec compact on one line plus '\n'; 0 or -CODE_EXIT_IOERR. */
int ndjson_write_record(struct output *o, const json_t *rec);

#endif
