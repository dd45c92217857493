/* cmdrun.c: stub until written. */
#include "cmd/bench/cmdrun.h"
