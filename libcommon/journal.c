/* journal.c: stub until written. */
#include "libcommon/journal.h"
