/* merge.h: code-logscan merge: count, bucket and total streams from many hosts, summed. */
#ifndef CODE_LOGSCAN_MERGE_H
#define CODE_LOGSCAN_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd/logscan/tally.h"

/* Reads every path (none: stdin), sums into a tally of spec, writes it in format. */
int merge_run(const char *const *paths, size_t npaths, const struct tally_spec *spec,
	      enum tally_format format, bool skip_invalid);

#endif
