/* secret.h: which names hold secrets, so their values print as "***". */
#ifndef CODE_SECRET_H
#define CODE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define SECRET_MASK "***"

/*
 * True when name is listed in declared (n names) or matches one of the
 * SPEC's secret patterns: *_TOKEN, *_KEY, *PASSWORD*, *SECRET*
 * (case-insensitive).
 */
bool secret_name_matches(const char *name, const char *const *declared,
			 size_t n);

#endif
