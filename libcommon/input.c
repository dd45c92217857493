/* input.c: being written (placeholder so the tree builds). */
#include "libcommon/input.h"
