/* tally.c: placeholder until the tally lands. */
#include "cmd/logscan/tally.h"
#include "libcommon/exitcodes.h"

int tally_parse_keys(const char *arg, struct tally_spec *out) { (void)arg; (void)out; return -CODE_EXIT_SOFTWARE; }
struct tally *tally_new(const struct tally_spec *spec) { (void)spec; return NULL; }
void tally_free(struct tally *t) { (void)t; }
void tally_add_count(struct tally *t, const char *file, const char *pattern, uint64_t n)
{ (void)t; (void)file; (void)pattern; (void)n; }
void tally_add_bucket(struct tally *t, const struct tally_labels *labels, uint64_t n)
{ (void)t; (void)labels; (void)n; }
void tally_add_totals(struct tally *t, const struct tally_totals *totals) { (void)t; (void)totals; }
int tally_add_record(struct tally *t, const json_t *record, const struct diag_loc *loc,
		     unsigned long *skipped)
{ (void)t; (void)record; (void)loc; (void)skipped; return -CODE_EXIT_SOFTWARE; }
int tally_write(struct tally *t, enum tally_format format, struct output *o)
{ (void)t; (void)format; (void)o; return -CODE_EXIT_SOFTWARE; }
