/* emit.h: the plan as NDJSON records, text for people, or Graphviz dot. */
#ifndef PLAN_EMIT_H
#define PLAN_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/plan/manifest.h"
#include "libcommon/output.h"

enum plan_format {
	PLAN_FORMAT_NDJSON,
	PLAN_FORMAT_TEXT,
	PLAN_FORMAT_DOT
};

struct plan_summary {
	unsigned n_stages;
	size_t changed;
	char digest[HASH_HEX_SIZE];
};

/* Returns 0 or -CODE_EXIT_IOERR (the output failed). */
int emit_plan(struct output *o, const struct manifest *m, const size_t *order,
	      const struct plan_summary *sum, enum plan_format format,
	      bool colour);

#endif
