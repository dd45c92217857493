/* scanstate.c: placeholder until the state file lands. */
#include "cmd/logscan/scanstate.h"
#include "libcommon/exitcodes.h"

int scanstate_load(const char *path, struct scanstate **out) { (void)path; (void)out; return -CODE_EXIT_SOFTWARE; }
void scanstate_free(struct scanstate *st) { (void)st; }
int scanstate_resume(struct scanstate *st, const char *path, int fd,
		     const struct stat *sb, struct scanstate_resume *out)
{ (void)st; (void)path; (void)fd; (void)sb; (void)out; return -CODE_EXIT_SOFTWARE; }
int scanstate_record(struct scanstate *st, const char *path, int fd,
		     const struct stat *sb, off_t offset, uint64_t line)
{ (void)st; (void)path; (void)fd; (void)sb; (void)offset; (void)line; return -CODE_EXIT_SOFTWARE; }
int scanstate_save(struct scanstate *st) { (void)st; return -CODE_EXIT_SOFTWARE; }
