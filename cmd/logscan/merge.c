/* merge.c: code-logscan merge: count, bucket and total streams from many hosts, summed. */
#include "cmd/logscan/merge.h"

#include <unistd.h>

#include "libcommon/exitcodes.h"
#include "libcommon/ndjson.h"
#include "libcommon/output.h"

static int
merge_one(const char *path, const struct ndjson_reader_options *ro, struct tally *t,
	  unsigned long *skipped)
{
	struct ndjson_reader *rd;
	json_t *rec;
	int ret;

	if ((ret = ndjson_reader_open(path, ro, &rd)) < 0)
		return ret;
	while ((ret = ndjson_read_record(rd, &rec)) > 0) {
		struct diag_loc loc = { ndjson_reader_name(rd), ndjson_reader_line(rd), 0 };

		ret = tally_add_record(t, rec, &loc, skipped);
		json_decref(rec);
		if (ret < 0)
			break;
	}
	ndjson_reader_close(rd);
	return ret < 0 ? ret : 0;
}

int
merge_run(const char *const *paths, size_t npaths, const struct tally_spec *spec,
	  enum tally_format format, bool skip_invalid)
{
	struct ndjson_reader_options ro = { 0 };
	struct tally *t = tally_new(spec);
	struct output *out;
	unsigned long skipped = 0;
	size_t i;
	int ret = 0, missing = 0;

	ro.skip_invalid = skip_invalid;
	if (npaths == 0)
		ret = merge_one("-", &ro, t, &skipped);
	for (i = 0; i < npaths && ret >= 0; i++) {
		ret = merge_one(paths[i], &ro, t, &skipped);
		/* A host that did not report is no reason to drop the others. */
		if (ret == -CODE_EXIT_NOINPUT) {
			missing = ret;
			ret = 0;
		}
	}
	if (skipped > 0)
		diag_info(DIAG_VERBOSE, NULL, "skipped %lu records of other types", skipped);
	if (ret >= 0 && (ret = output_open_fd(STDOUT_FILENO, &out)) == 0) {
		ret = tally_write(t, format, out);
		if (output_close(out) < 0 && ret == 0)
			ret = -CODE_EXIT_IOERR;
	}
	tally_free(t);
	if (ret == 0)
		ret = missing;
	return ret;
}
