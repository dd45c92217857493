/* hdrhist.c: stub until written. */
#include "libcommon/hdrhist.h"
