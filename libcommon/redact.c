/* redact.c: stub until written. */
#include "libcommon/redact.h"
