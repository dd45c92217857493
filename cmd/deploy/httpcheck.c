/* httpcheck.c: stub until written. */
#include "cmd/deploy/httpcheck.h"
