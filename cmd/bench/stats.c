/* stats.c: stub until written. */
#include "cmd/bench/stats.h"
