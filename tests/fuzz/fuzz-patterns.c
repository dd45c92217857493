/* fuzz-patterns.c: libFuzzer target loading arbitrary bytes as a code-logscan pattern file, with and without --set and -e. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "cmd/logscan/patterns.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	diag_setup("fuzz-patterns");
	diag_set_level(DIAG_QUIET);
	return 0;
}

/* Every item the loader hands out must be usable after the document is gone. */
static void
check(const struct pattern_list *list)
{
	size_t i;

	assert(list->count == 0 || (list->items != NULL && list->storage != NULL));
	for (i = 0; i < list->count; i++) {
		const struct logscan_pattern *p = &list->items[i];

		assert(p->re.name != NULL && p->re.name[0] != '\0');
		assert(p->re.regex != NULL && p->re.regex[0] != '\0');
		assert(p->re.loc.file != NULL);
		assert(strcmp(p->re.loc.file, "fuzz.yaml") == 0 ||
		       strncmp(p->re.loc.file, "-e #", 4) == 0);
		assert(p->severity == NULL || strlen(p->severity) > 0);
	}
}

static void
run(const uint8_t *data, size_t size, const struct patterns_request *req)
{
	struct pattern_list list;
	int ret;

	ret = patterns_load_buffer("fuzz.yaml", (const char *)data, size, req,
				   &list);
	assert(ret == 0 || ret == -CODE_EXIT_DATAERR || ret == -CODE_EXIT_USAGE);
	if (ret < 0)
		assert(list.items == NULL && list.count == 0 && list.storage == NULL);
	else
		check(&list);
	patterns_free(&list);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const regexes[] = { "error", "timeout", "error" };
	static const char *const sets[] = { "default", "http" };
	struct patterns_request req = { 0 };

	run(data, size, &req);
	req.regexes = regexes;
	req.nregexes = 3;
	req.sets = sets;
	req.nsets = 2;
	run(data, size, &req);
	return 0;
}
