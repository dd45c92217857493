/* deploycode.c: placeholder while the deploy-code reader is written. */
#include "cmd/plan/deploycode.h"

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"

bool
deploycode_detect(const json_t *root)
{
	(void)root;
	return false;
}

int
deploycode_load(struct manifest *m)
{
	struct diag_loc loc = { m->path, 0, 0 };

	return diag_error(CODE_EXIT_DATAERR, &loc, "deploy-code manifests are not read yet");
}
