/* manifest.h: a deployment manifest, validated and resolved for planning. */
#ifndef PLAN_MANIFEST_H
#define PLAN_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "libcommon/hash.h"
#include "libcommon/yaml.h"

enum manifest_format {
	MANIFEST_AUTO,
	MANIFEST_NATIVE,
	MANIFEST_DEPLOY_CODE
};

struct plan_service {
	const char *name;          /* borrowed from the document */
	const json_t *node;        /* borrowed: the service's mapping */
	json_t *config;            /* owned: resolved step fields, record order */
	char *config_json;         /* owned: config dumped compact, once */
	const json_t *deps_node;   /* borrowed: the dependency list, for locations */
	const char **depends_on;   /* owned array of borrowed names */
	size_t n_depends_on;
	size_t *dep_index;         /* owned; filled by graph_resolve */
	const json_t *inputs;      /* borrowed: input patterns, or NULL */
	bool disabled;             /* deploy-code "enabled: false" */

	/* Filled while planning. */
	unsigned stage;
	const char *action;
	const char *reason;
	char config_digest[HASH_HEX_SIZE];
	char inputs_digest[HASH_HEX_SIZE];
	char digest[HASH_HEX_SIZE];
};

struct manifest {
	const char *path;          /* as given on the command line */
	char *base_dir;            /* owned: where input patterns are rooted */
	struct yaml_doc *doc;      /* owned */
	enum manifest_format format;
	unsigned parallel;
	struct plan_service *services; /* owned, sorted by name */
	size_t n_services;
};

/*
 * Loads and validates path ("-" for stdin). Every error is printed with
 * its FILE:LINE:COL; returns 0, -CODE_EXIT_NOINPUT or -CODE_EXIT_DATAERR.
 */
int manifest_load(const char *path, enum manifest_format format,
		  struct manifest *out);
void manifest_release(struct manifest *m);

/*
 * Parses one service: name is a key of services; defaults is the
 * schema's own defaults struct.
 */
typedef int (*manifest_service_parser)(const struct yaml_doc *doc,
				       const json_t *services, const char *name,
				       const void *defaults,
				       struct plan_service *out);

/*
 * Reads root's "services" mapping (null means none) into m->services with
 * parse; what names the manifest kind in the message when it is missing.
 */
int manifest_parse_services(struct manifest *m, const json_t *root,
			    manifest_service_parser parse, const void *defaults,
			    const char *what);

/* Field readers shared by the native and deploy-code schemas. */

/* A duration: "250ms", "5m", or a number of seconds. */
int manifest_duration_ms(const struct yaml_doc *doc, const json_t *obj,
			 const char *key, uint64_t *out);
/* A command: a non-empty list of strings (argv) or a string (sh -c). */
int manifest_command(const struct yaml_doc *doc, const json_t *obj,
		     const char *key, json_t **out);
/* A list of non-empty strings, no duplicates. */
int manifest_string_list(const struct yaml_doc *doc, const json_t *obj,
			 const char *key, json_t **out);
int manifest_integer(const struct yaml_doc *doc, const json_t *obj,
		     const char *key, json_int_t min, json_int_t max,
		     json_int_t *out);
/* Checks a service name: letters, digits, '_', '.', '-', at most 128. */
int manifest_check_name(const struct yaml_doc *doc, const json_t *services,
			const char *name);
/* Appends service name's resolved env to config, redacting secrets. */
int manifest_env(const struct yaml_doc *doc, const json_t *obj,
		 const char *key, const json_t *secrets, json_t *config);
/*
 * Reads a health check's timings into out as timeout_ms, interval_ms,
 * retries and (when given) start_period_ms. keys names them in h, in that
 * order, since the schemas spell them differently; an absent key takes
 * the default (5s, interval_ms, 10 retries). null_is_absent: deploy-code
 * reads an empty key as unset; the native schema calls it a type error.
 */
int manifest_health_timing(const struct yaml_doc *doc, const json_t *h,
			   const char *const keys[4], uint64_t interval_ms,
			   bool null_is_absent, json_t *out);
/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*, len bytes. */
bool manifest_env_name_valid(const char *name, size_t len);

#endif
