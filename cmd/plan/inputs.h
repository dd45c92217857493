/* inputs.h: the content digest of a service's input files. */
#ifndef PLAN_INPUTS_H
#define PLAN_INPUTS_H

#include <jansson.h>

#include "libcommon/hash.h"
#include "libcommon/yaml.h"

/*
 * Expands the glob patterns (a list of strings: '*', '?', '[..]' within a
 * path component, '**' across directories; a pattern naming a directory
 * takes every file under it) relative to base_dir and digests the sorted
 * paths with their contents. Symbolic links count as their target text and
 * are not followed. A pattern matching nothing is a warning. Returns 0, or
 * -CODE_EXIT_NOINPUT when a file cannot be read.
 */
int inputs_digest(const struct yaml_doc *doc, const char *base_dir,
		  const json_t *patterns, char out[HASH_HEX_SIZE]);

#endif
