/* patterns.h: the patterns a scan looks for, from -e, pattern files and --set. */
#ifndef CODE_LOGSCAN_PATTERNS_H
#define CODE_LOGSCAN_PATTERNS_H

#include <stdbool.h>
#include <stddef.h>

#include "libcommon/regexset.h"

/*
 * A pattern file (YAML) names sets of patterns:
 *
 *   sets:
 *     http:
 *       - name: server_error
 *         regex: '" 5\d\d '
 *         severity: error
 *     db:
 *       - { name: deadlock, regex: 'deadlock detected', ignore_case: true }
 *   patterns:            # optional: a set named "default"
 *     - { name: oom, regex: 'Out of memory' }
 *
 * Pattern keys: name (required, unique among the patterns in use), regex
 * (required), severity (optional: debug, info, notice, warning, error,
 * critical), ignore_case (optional boolean). Unknown keys, wrong types,
 * empty names or regexes and duplicate names are errors at their
 * FILE:LINE:COL (exit 65, with a did-you-mean for near-miss keys).
 */

/* The command line's view: every list in the order given. */
struct patterns_request {
	const char *const *regexes;  /* -e, named by their own text */
	size_t nregexes;
	const char *const *files;    /* -f PATTERNS.yaml */
	size_t nfiles;
	const char *const *sets;     /* --set NAME: only these sets of the files */
	size_t nsets;
};

/* One pattern as regexset_compile wants it, plus its severity. */
struct logscan_pattern {
	struct regexset_pattern re;  /* name, regex, caseless, loc */
	const char *severity;        /* NULL when not given */
};

/* Owns every string it points to (names, regexes, file names in locs). */
struct pattern_list {
	struct logscan_pattern *items;
	size_t count;
	void *storage;               /* private */
};

/*
 * Fills *out with the patterns of the request: those of the pattern files
 * (file order, set order, pattern order; only the --set ones when any is
 * given), then the -e ones. No -e and no -f gives an empty list (the
 * caller then uses regexset_compile_default). Errors: a missing or
 * unreadable file -CODE_EXIT_NOINPUT; bad YAML or pattern entries
 * -CODE_EXIT_DATAERR with a location; a --set that no file defines
 * -CODE_EXIT_USAGE ("unknown set 'x' (did you mean 'y'?)"). Regexes are
 * not compiled here: regexset_compile reports them at re.loc.
 */
int patterns_load(const struct patterns_request *req, struct pattern_list *out);
/* The same for a pattern file already in memory (the fuzz target's entry). */
int patterns_load_buffer(const char *name, const char *data, size_t len,
			 const struct patterns_request *req, struct pattern_list *out);
void patterns_free(struct pattern_list *list);

#endif
