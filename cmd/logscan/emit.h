/* emit.h: match records, as NDJSON or grep-like text. */
#ifndef CODE_LOGSCAN_EMIT_H
#define CODE_LOGSCAN_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/logscan/scan.h"
#include "libcommon/output.h"
#include "libcommon/strbuf.h"

struct emit_ctx {
	struct output *out;
	bool text;                   /* --format text, else ndjson */
	bool colour;
	bool show_file;              /* text: prefix FILE: (several inputs) */
	const struct scan_config *cfg;
	struct regexset_matcher *matcher;  /* the emitting thread's own */
	struct strbuf sb;
};

void emit_init(struct emit_ctx *e, struct output *out, const struct scan_config *cfg,
	       bool text, bool colour, bool show_file);
void emit_release(struct emit_ctx *e);

/*
 * Writes one matching line: text is the kept text of the hit, pats its
 * pattern indices (ascending). line is the line number in the file.
 */
int emit_match(struct emit_ctx *e, const char *file, uint64_t line, const struct scan_hit *h,
	       const char *text, const size_t *pats);

#endif
