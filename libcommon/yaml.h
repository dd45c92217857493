/* yaml.h: YAML (libyaml) into jansson values that remember line:column. */
#ifndef CODE_YAML_H
#define CODE_YAML_H

#include <stddef.h>
#include <jansson.h>

#include "libcommon/diag.h"

/*
 * Limits that keep hostile input from exhausting memory or the stack.
 * Exceeding one is -CODE_EXIT_DATAERR with the location where it happened.
 */
struct yaml_limits {
	size_t max_bytes;        /* document size; default 64 MiB */
	unsigned max_depth;      /* nesting of mappings/sequences; default 128 */
	size_t max_nodes;        /* nodes parsed; default 4,000,000 */
	size_t max_alias_nodes;  /* nodes reached through aliases; default 100,000 */
};

extern const struct yaml_limits YAML_LIMITS_DEFAULT;

/* Opaque: the root value plus the locations of its nodes. */
struct yaml_doc;

/*
 * Loads one YAML document. Scalars follow the YAML 1.2 core schema
 * (null, true/false, integers, floats; quoted scalars are strings).
 * Anchors and aliases work (an alias shares the anchored value), as does
 * the merge key "<<". Rejected with -CODE_EXIT_DATAERR and a located
 * message: syntax errors, duplicate keys, non-scalar keys, unknown tags,
 * more than one document, exceeded limits. An empty document gives a JSON
 * null root. Returns 0, -CODE_EXIT_NOINPUT (cannot open) or
 * -CODE_EXIT_DATAERR; a diagnostic has been printed on failure.
 * limits NULL means YAML_LIMITS_DEFAULT. path "-" reads stdin.
 */
int yaml_load_file(const char *path, const struct yaml_limits *limits,
		   struct yaml_doc **out);
/* Same for bytes in memory; name is used in messages. */
int yaml_load_buffer(const char *name, const char *data, size_t len,
		     const struct yaml_limits *limits, struct yaml_doc **out);

/* Borrowed; valid until yaml_doc_free. Callers must not modify it. */
json_t *yaml_doc_root(const struct yaml_doc *doc);
const char *yaml_doc_name(const struct yaml_doc *doc);
void yaml_doc_free(struct yaml_doc *doc);

/*
 * Locations (file name, 1-based line and column). When a node is not
 * known (NULL, or not from this document) each returns the file with
 * line 0, which diag prints as just the file name.
 */
/* Where a mapping or sequence starts. */
struct diag_loc yaml_loc_node(const struct yaml_doc *doc, const json_t *node);
/* Where key of mapping object is written. */
struct diag_loc yaml_loc_key(const struct yaml_doc *doc, const json_t *object,
			     const char *key);
/* Where the value of key in mapping object starts. */
struct diag_loc yaml_loc_value(const struct yaml_doc *doc,
			       const json_t *object, const char *key);
/* Where item index of sequence array starts. */
struct diag_loc yaml_loc_item(const struct yaml_doc *doc, const json_t *array,
			      size_t index);

/*
 * Fails with -CODE_EXIT_DATAERR on a key of obj not in known (NULL-ended),
 * printing "unknown key 'k' in WHERE (did you mean 'x'?)" at the key.
 */
/*
 * Errors located at a member's value, a member's key or a list item: print
 * "FILE:LINE:COL: message" and return -CODE_EXIT_DATAERR. The location is
 * looked up only here: finding it is the costly part, and valid documents
 * never need it.
 */
int yaml_error_at_value(const struct yaml_doc *doc, const json_t *obj, const char *key,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int yaml_error_at_key(const struct yaml_doc *doc, const json_t *obj, const char *key,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int yaml_error_at_item(const struct yaml_doc *doc, const json_t *array, size_t index,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

int yaml_check_keys(const struct yaml_doc *doc, const json_t *obj,
		    const char *const *known, const char *where);
/* "'key' must be WANT, not a list", located at key's value. */
int yaml_type_error(const struct yaml_doc *doc, const json_t *obj,
		    const char *key, const char *want);
/* Names the JSON type of v for messages ("a list", "a string", ...). */
const char *yaml_type_name(const json_t *v);

#endif
