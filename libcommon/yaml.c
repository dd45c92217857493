/* yaml.c: being written (placeholder so the tree builds). */
#include "libcommon/yaml.h"
