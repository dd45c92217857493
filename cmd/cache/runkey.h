/* runkey.h: the cache key of `code-cache run`: what the command is and everything it reads. */
#ifndef CODE_CACHE_RUNKEY_H
#define CODE_CACHE_RUNKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "libcommon/strbuf.h"

struct runkey_request {
	const char *const *argv;      /* the command and its arguments */
	size_t argc;
	const char *const *env;       /* --env NAME: names whose values count */
	size_t nenv;
	const char *const *inputs;    /* --input PATH: files, or directories (recursive) */
	size_t ninputs;
	const char *const *outputs;   /* --output PATH: part of the key, so replay writes only these */
	size_t noutputs;
	const void *stdin_data;       /* the command's stdin, when piped (has_stdin) */
	size_t stdin_len;
	bool has_stdin;
};

/*
 * Appends the canonical key text to key: one line per part, so two
 * different requests never give the same text and a person can read it
 * (`code-cache -v run` prints it):
 *   run v1
 *   argv <len>:<bytes>            (one line per argument, length-prefixed)
 *   env NAME <xxh3-128 of value> | env NAME unset   (names sorted, once each;
 *                                 a digest, so secrets never enter the cache)
 *   input <len>:<path> <xxh3-128 of contents> (directories expanded to their
 *                                              files in byte order; paths as
 *                                              given, joined with '/')
 *   output <len>:<path>           (sorted, duplicates once)
 *   stdin <xxh3-128> | stdin none
 * The working directory is not part of the key: the same command over the
 * same inputs hits from any checkout. Returns 0, or -CODE_EXIT_NOINPUT
 * after "cannot open 'x'" for a missing or unreadable input.
 */
int runkey_build(const struct runkey_request *req, struct strbuf *key);

#endif
