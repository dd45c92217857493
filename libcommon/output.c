/* output.c: being written (placeholder so the tree builds). */
#include "libcommon/output.h"
