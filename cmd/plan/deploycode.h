/* deploycode.h: reads CODE's deploy-code manifests (SPEC section 2). */
#ifndef PLAN_DEPLOYCODE_H
#define PLAN_DEPLOYCODE_H

#include <stdbool.h>
#include <jansson.h>

#include "cmd/plan/manifest.h"

/* True when services.* use deploy-code keys (command, args, dependencies). */
bool deploycode_detect(const json_t *root);
/* Fills m->services and m->parallel from m->doc; errors are located. */
int deploycode_load(struct manifest *m);

#endif
