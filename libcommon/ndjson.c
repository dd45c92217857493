/* ndjson.c: being written (placeholder so the tree builds). */
#include "libcommon/ndjson.h"
