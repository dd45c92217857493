/* patterns.c: placeholder until the loader lands. */
#include "cmd/logscan/patterns.h"
#include "libcommon/exitcodes.h"

int patterns_load(const struct patterns_request *req, struct pattern_list *out)
{ (void)req; (void)out; return -CODE_EXIT_SOFTWARE; }
int patterns_load_buffer(const char *name, const char *data, size_t len,
			 const struct patterns_request *req, struct pattern_list *out)
{ (void)name; (void)data; (void)len; (void)req; (void)out; return -CODE_EXIT_SOFTWARE; }
void patterns_free(struct pattern_list *list) { (void)list; }
