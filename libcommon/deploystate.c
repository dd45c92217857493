/* deploystate.c: the deployment state file: what code-deploy last deployed, which code-plan reads. */
#include "libcommon/deploystate.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "libcommon/atomic.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/input.h"
#include "libcommon/xalloc.h"

#include <stdlib.h>

#define STATE_MAX_BYTES (256u << 20)

int
deploystate_load(const char *path, struct deploy_state *st)
{
	struct input *in = NULL;
	json_error_t err;
	struct stat sb;
	const json_t *version;
	char *data = NULL;
	size_t len;
	int ret;

	st->root = NULL;
	st->services = NULL;
	if (stat(path, &sb) < 0 && errno == ENOENT)
		return 0;
	if ((ret = input_open(path, &in)) < 0)
		return ret;
	ret = input_read_all(in, STATE_MAX_BYTES, &data, &len);
	input_close(in);
	if (ret < 0)
		return ret == -CODE_EXIT_IOERR ? -CODE_EXIT_NOINPUT : ret;
	st->root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	free(data);
	if (st->root == NULL) {
		struct diag_loc loc = { path, (unsigned long)err.line,
					(unsigned long)err.column };

		return diag_error(CODE_EXIT_DATAERR, &loc, "invalid state file: %s",
				  err.text);
	}
	if (!json_is_object(st->root))
		return diag_error(CODE_EXIT_DATAERR, &(struct diag_loc){ path, 0, 0 },
				  "invalid state file: not a JSON object");
	version = json_object_get(st->root, "version");
	if (version && (!json_is_integer(version) || json_integer_value(version) < 1))
		return diag_error(CODE_EXIT_DATAERR, &(struct diag_loc){ path, 0, 0 },
				  "invalid state file: 'version' must be a positive integer");
	if (version && json_integer_value(version) > STATE_VERSION)
		return diag_error(CODE_EXIT_DATAERR, &(struct diag_loc){ path, 0, 0 },
				  "state file version %" JSON_INTEGER_FORMAT
				  " is newer than this %s understands (%d): upgrade code-tools",
				  json_integer_value(version), diag_progname(), STATE_VERSION);
	st->services = json_object_get(st->root, "services");
	if (st->services && !json_is_object(st->services))
		return diag_error(CODE_EXIT_DATAERR, &(struct diag_loc){ path, 0, 0 },
				  "invalid state file: 'services' must be an object");
	return 0;
}

void
deploystate_lookup(const struct deploy_state *st, const char *service,
	     const char **digest, const char **config_digest,
	     const char **inputs_digest)
{
	const json_t *entry = st->services ? json_object_get(st->services, service)
					   : NULL;

	*digest = NULL;
	*config_digest = NULL;
	*inputs_digest = NULL;
	if (json_is_string(entry)) {
		*digest = json_string_value(entry);
	} else if (json_is_object(entry)) {
		*digest = json_string_value(json_object_get(entry, "digest"));
		*config_digest = json_string_value(json_object_get(entry, "config_digest"));
		*inputs_digest = json_string_value(json_object_get(entry, "inputs_digest"));
	}
}

void
deploystate_record(struct deploy_state *st, const char *service, const char *digest,
		   const char *config_digest, const char *inputs_digest,
		   const char *ts, const char *run)
{
	json_t *services, *entry = json_object();

	if (st->root == NULL)
		st->root = json_pack("{s:i}", "version", STATE_VERSION);
	services = json_object_get(st->root, "services");
	if (services == NULL) {
		services = json_object();
		json_object_set_new(st->root, "services", services);
	}
	st->services = services;
	if (digest)
		json_object_set_new(entry, "digest", json_string(digest));
	if (config_digest)
		json_object_set_new(entry, "config_digest", json_string(config_digest));
	if (inputs_digest)
		json_object_set_new(entry, "inputs_digest", json_string(inputs_digest));
	json_object_set_new(entry, "deployed_at", json_string(ts));
	json_object_set_new(entry, "run", json_string(run));
	json_object_set_new(services, service, entry);
}

int
deploystate_save(const struct deploy_state *st, const char *path)
{
	json_t *empty = NULL;
	int ret;

	if (st->root == NULL)
		empty = json_pack("{s:i,s:{}}", "version", STATE_VERSION, "services");
	ret = atomic_write_json(path, st->root ? st->root : empty, 0600, "the state file");
	json_decref(empty);
	return ret;
}

void
deploystate_release(struct deploy_state *st)
{
	json_decref(st->root);
	st->root = NULL;
	st->services = NULL;
}
