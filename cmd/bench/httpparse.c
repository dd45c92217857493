/* httpparse.c: stub until written. */
#include "cmd/bench/httpparse.h"
