/* graph.h: dependency checks, stages by longest path, and cycle reports. */
#ifndef PLAN_GRAPH_H
#define PLAN_GRAPH_H

#include <stddef.h>

#include "cmd/plan/manifest.h"

/*
 * Resolves every depends_on name to an index (unknown names are located
 * errors with a suggestion), sets each service's stage to its longest-path
 * level, and returns in *order (malloc'd, n_services long) the service
 * indices by stage then name. A cycle is -CODE_EXIT_DATAERR naming it in
 * full, "a -> b -> c -> a", located at the first edge.
 */
int graph_resolve(struct manifest *m, size_t **order, unsigned *n_stages);

#endif
