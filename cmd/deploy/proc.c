/* proc.c: stub until written. */
#include "cmd/deploy/proc.h"
