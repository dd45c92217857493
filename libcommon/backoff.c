/* backoff.c: stub until written. */
#include "libcommon/backoff.h"
