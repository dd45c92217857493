/* state.c: what code-deploy last deployed, as code-plan reads it. */
#include "cmd/plan/state.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/input.h"
#include "libcommon/xalloc.h"

#include <stdlib.h>

#define STATE_MAX_BYTES (256u << 20)

int
state_load(const char *path, struct plan_state *st)
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
				  " is newer than this code-plan understands (%d): upgrade code-tools",
				  json_integer_value(version), STATE_VERSION);
	st->services = json_object_get(st->root, "services");
	if (st->services && !json_is_object(st->services))
		return diag_error(CODE_EXIT_DATAERR, &(struct diag_loc){ path, 0, 0 },
				  "invalid state file: 'services' must be an object");
	return 0;
}

void
state_lookup(const struct plan_state *st, const char *service,
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
state_release(struct plan_state *st)
{
	json_decref(st->root);
	st->root = NULL;
	st->services = NULL;
}
