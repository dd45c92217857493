/* plan.c: stub until written. */
#include "cmd/deploy/plan.h"
