/* batch.h: code-cache batch: NDJSON requests on stdin, answers in order on stdout. */
#ifndef CODE_CACHE_BATCH_H
#define CODE_CACHE_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/cache/cache.h"

struct batch_options {
	int64_t ttl_ms;          /* --ttl: for puts without their own "ttl" */
	bool skip_invalid;
	unsigned long prefetch;
};

/*
 * Requests {"op":"get"|"put"|"del","key":K[,"value":V][,"ttl":"10m"]}
 * are answered in order with {"type":"result","op":…,"key":K,…}. Writes
 * are committed before the answers that report them are written, each
 * time the input has no more complete lines ready, so a reader never
 * sees "ok" for a put a crash could lose. Returns 0, or -CODE_EXIT_DATAERR
 * for a malformed line ("<stdin>:LINE: …") unless skip_invalid.
 */
int batch_run(struct cache *c, const struct batch_options *opts);

#endif
