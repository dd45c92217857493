/* main.c: code-logscan: regex sets over logs, as match, count, bucket or Prometheus records. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/logscan/merge.h"
#include "cmd/logscan/patterns.h"
#include "cmd/logscan/run.h"
#include "cmd/logscan/scan.h"
#include "cmd/logscan/tally.h"
#include "libcommon/chunkread.h"
#include "libcommon/cli.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/regexset.h"
#include "libcommon/timefmt.h"
#include "libcommon/xalloc.h"

enum {
	OPT_REGEXP = 'e',
	OPT_FILE = 'f',
	OPT_IGNORE_CASE = 'i',
	OPT_COUNT = 'c',
	OPT_TEXT = 'a',
	OPT_THREADS = 'j',
	OPT_SET = CLI_LONG_ONLY,
	OPT_AGGREGATE,
	OPT_FORMAT,
	OPT_MAX_SERIES,
	OPT_FOLLOW,
	OPT_STATE,
	OPT_COLOR,
	OPT_IO,
	OPT_MAX_TEXT,
	OPT_SKIP_INVALID
};

static const struct cli_option logscan_options[] = {
	{ OPT_REGEXP, "regexp", CLI_REQUIRED_ARG, "REGEX",
	  "look for REGEX (PCRE2; repeatable); named by its own text" },
	{ OPT_FILE, "file", CLI_REQUIRED_ARG, "PATTERNS.yaml",
	  "look for the patterns of a pattern file (repeatable)" },
	{ OPT_SET, "set", CLI_REQUIRED_ARG, "NAME",
	  "use only set NAME of the pattern files (repeatable)" },
	{ OPT_IGNORE_CASE, "ignore-case", CLI_NO_ARG, NULL, "match every pattern caselessly" },
	{ OPT_COUNT, "count", CLI_NO_ARG, NULL,
	  "print count records per file and pattern, then a total" },
	{ OPT_AGGREGATE, "aggregate", CLI_REQUIRED_ARG, "KEYS",
	  "print bucket records by KEYS: file,pattern,level,severity,window:DUR" },
	{ OPT_FORMAT, "format", CLI_REQUIRED_ARG, "FORMAT",
	  "ndjson (default), text, or prom (with --count or --aggregate)" },
	{ OPT_MAX_SERIES, "max-series", CLI_REQUIRED_ARG, "N",
	  "fold label combinations past N into pattern=\"other\" (default 1000)" },
	{ OPT_FOLLOW, "follow", CLI_NO_ARG, NULL,
	  "keep reading as files grow, like tail -F (rotation, truncation)" },
	{ OPT_STATE, "state", CLI_REQUIRED_ARG, "FILE",
	  "resume each log where the last run with FILE left it" },
	{ OPT_TEXT, "text", CLI_NO_ARG, NULL,
	  "also scan binary files found in directories" },
	{ OPT_COLOR, "color", CLI_REQUIRED_ARG, "WHEN",
	  "colour --format text: auto (default), always, never" },
	{ OPT_THREADS, "threads", CLI_REQUIRED_ARG, "N",
	  "worker threads (default: the online CPUs)" },
	{ OPT_IO, "io", CLI_REQUIRED_ARG, "MODE",
	  "read files with auto (default), uring or read" },
	{ OPT_MAX_TEXT, "max-text", CLI_REQUIRED_ARG, "SIZE",
	  "cut a match record's text at SIZE bytes (default 64K)" },
	{ OPT_SKIP_INVALID, "skip-invalid", CLI_NO_ARG, NULL,
	  "merge: skip malformed lines instead of failing" },
	CLI_COMMON_OPTIONS
};

static const char *const logscan_usage[] = {
	"[-e REGEX]... [-f PATTERNS.yaml]... [--set NAME]... [-i] [--count | --aggregate KEYS] [--follow] [--state FILE] [--format ndjson|text|prom] [FILE|DIR]...",
	"merge [--format ndjson|text|prom] [--max-series N] [--skip-invalid] [FILE]...",
	NULL
};

static const struct cli_spec logscan_spec = {
	.name = "code-logscan",
	.usage = logscan_usage,
	.summary = "Scans logs for a set of regexes (default: error, exception, failed, timeout,\n"
		   "caseless) and prints match, count or bucket records; merge sums such records.",
	.options = logscan_options,
	.n_options = sizeof(logscan_options) / sizeof(logscan_options[0]),
	.epilogue = "Exit status: 0 a line matched, 1 none did, 64 usage, 65 bad regex or\n"
		    "pattern file, 66 missing input, 74 write error, 75 --state locked,\n"
		    "130 interrupted (--follow).",
};

struct logscan_args {
	struct cli_list regexes, files, sets;
	bool caseless, count, follow, scan_binary, skip_invalid;
	const char *aggregate, *state;
	int format;            /* -1: not given */
	int colour;            /* 0 auto, 1 always, 2 never */
	size_t max_series;
	unsigned long threads;
	int io;                /* 0 auto, 1 uring, 2 read */
	size_t max_text;
};

static const char *const format_names[] = { "ndjson", "text", "prom", NULL };
static const char *const colour_names[] = { "auto", "always", "never", NULL };
static const char *const io_names[] = { "auto", "uring", "read", NULL };

static void
parse_args(int argc, char **argv, struct logscan_args *a, int *first_operand)
{
	struct cli_parser p;
	int c;

	cli_parser_init(&p, &logscan_spec, argc, argv);
	while ((c = cli_next(&p)) != -1) {
		switch (c) {
		case OPT_REGEXP: cli_list_add(&a->regexes, p.arg); break;
		case OPT_FILE: cli_list_add(&a->files, p.arg); break;
		case OPT_SET: cli_list_add(&a->sets, p.arg); break;
		case OPT_IGNORE_CASE: a->caseless = true; break;
		case OPT_COUNT: a->count = true; break;
		case OPT_AGGREGATE: a->aggregate = p.arg; break;
		case OPT_FORMAT:
			a->format = cli_arg_choice(&logscan_spec, "--format", p.arg, format_names);
			break;
		case OPT_MAX_SERIES:
			a->max_series = cli_arg_ulong(&logscan_spec, "--max-series", p.arg, 1,
						      100000000);
			break;
		case OPT_FOLLOW: a->follow = true; break;
		case OPT_STATE: a->state = p.arg; break;
		case OPT_TEXT: a->scan_binary = true; break;
		case OPT_COLOR:
			a->colour = cli_arg_choice(&logscan_spec, "--color", p.arg, colour_names);
			break;
		case OPT_THREADS:
			a->threads = cli_arg_ulong(&logscan_spec, "--threads", p.arg, 1, 256);
			break;
		case OPT_IO: a->io = cli_arg_choice(&logscan_spec, "--io", p.arg, io_names); break;
		case OPT_MAX_TEXT:
			a->max_text = (size_t)cli_arg_size(&logscan_spec, "--max-text", p.arg);
			if (a->max_text == 0)
				cli_usage_error(&logscan_spec, "--max-text must be at least 1 byte");
			break;
		case OPT_SKIP_INVALID: a->skip_invalid = true; break;
		default:
			cli_usage_error(&logscan_spec, "unhandled option");
		}
	}
	diag_set_level(p.level);
	*first_operand = cli_operand_index(&p);
	cli_parser_release(&p);
}

static int
run_merge(int argc, char **argv)
{
	struct logscan_args a = { .format = -1 };
	struct tally_spec spec = { 0 };
	int first, ret;

	parse_args(argc, argv, &a, &first);
	if (a.regexes.n || a.files.n || a.sets.n || a.caseless || a.count || a.aggregate ||
	    a.follow || a.state || a.scan_binary)
		cli_usage_error(&logscan_spec,
				"merge takes only --format, --max-series, --skip-invalid, -q and -v");
	spec.max_series = a.max_series;
	ret = merge_run((const char *const *)argv + first, (size_t)(argc - first), &spec,
			a.format == 1 ? TALLY_FORMAT_TEXT :
			a.format == 2 ? TALLY_FORMAT_PROM : TALLY_FORMAT_NDJSON,
			a.skip_invalid);
	cli_list_release(&a.regexes);
	cli_list_release(&a.files);
	cli_list_release(&a.sets);
	return ret;
}

/* The patterns and their compiled set; the default set when none was given. */
static int
build_patterns(const struct logscan_args *a, struct pattern_list *pl, struct regexset **set,
	       const char ***severities)
{
	struct patterns_request req = {
		a->regexes.items, a->regexes.n, a->files.items, a->files.n, a->sets.items,
		a->sets.n,
	};
	struct regexset_options ro = { 0 };
	struct regexset_pattern *pats;
	size_t i;
	int ret;

	ro.caseless = a->caseless;
	memset(pl, 0, sizeof(*pl));
	*severities = NULL;
	if (a->regexes.n == 0 && a->files.n == 0) {
		if (a->sets.n > 0)
			cli_usage_error(&logscan_spec, "--set needs a pattern file (-f)");
		return regexset_compile_default(&ro, set);
	}
	if ((ret = patterns_load(&req, pl)) < 0)
		return ret;
	pats = xcalloc(pl->count ? pl->count : 1, sizeof(*pats));
	*severities = xcalloc(pl->count ? pl->count : 1, sizeof(**severities));
	for (i = 0; i < pl->count; i++) {
		pats[i] = pl->items[i].re;
		(*severities)[i] = pl->items[i].severity;
	}
	ret = regexset_compile(pats, pl->count, &ro, set);
	free(pats);
	return ret;
}

int
main(int argc, char **argv)
{
	struct logscan_args a = { .format = -1 };
	struct logscan_run_options ro = { 0 };
	struct pattern_list pl;
	struct regexset *set = NULL;
	struct scan_config cfg;
	const char **severities = NULL;
	enum scan_mode mode = SCAN_MODE_MATCH;
	char why[160];
	long cpus;
	int first, ret;

	diag_setup(argv[0]);
	if (argc > 1 && strcmp(argv[1], "merge") == 0)
		return code_exit_status(run_merge(argc - 1, argv + 1));
	parse_args(argc, argv, &a, &first);
	if (a.count && a.aggregate)
		cli_usage_error(&logscan_spec, "--count and --aggregate are exclusive");
	if (a.format == 2 && !a.count && !a.aggregate)
		cli_usage_error(&logscan_spec, "--format prom needs --count or --aggregate");
	if (a.skip_invalid)
		cli_usage_error(&logscan_spec, "--skip-invalid is an option of merge");
	if (a.aggregate != NULL) {
		if ((ret = tally_parse_keys(a.aggregate, &ro.tally)) < 0) {
			memset(&pl, 0, sizeof(pl));
			goto out_set;
		}
		mode = SCAN_MODE_AGGREGATE;
	} else if (a.count) {
		mode = SCAN_MODE_COUNT;
	}
	ro.tally.max_series = a.max_series;
	ret = build_patterns(&a, &pl, &set, &severities);
	if (ret < 0)
		goto out_set;
	if ((ret = scan_config_init(&cfg, set, severities, mode)) < 0)
		goto out_set;
	cfg.agg_pattern = (ro.tally.keys & TALLY_KEY_PATTERN) != 0;
	cfg.agg_level = (ro.tally.keys & TALLY_KEY_LEVEL) != 0;
	cfg.agg_severity = (ro.tally.keys & TALLY_KEY_SEVERITY) != 0;
	cfg.agg_window = (ro.tally.keys & TALLY_KEY_WINDOW) != 0;
	cfg.window_ms = ro.tally.window_ms;
	if (a.max_text > 0)
		cfg.max_text = a.max_text;
	cfg.logctx.now_ms = timefmt_now_ms();
	ro.paths = (const char *const *)argv + first;
	ro.npaths = (size_t)(argc - first);
	ro.cfg = &cfg;
	ro.format = a.format == 1 ? LOGSCAN_FORMAT_TEXT :
		    a.format == 2 ? LOGSCAN_FORMAT_PROM : LOGSCAN_FORMAT_NDJSON;
	ro.scan_binary = a.scan_binary;
	ro.colour = a.colour == 1 || (a.colour == 0 && cli_want_colour(STDOUT_FILENO, diag_level()));
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ro.threads = a.threads ? (unsigned)a.threads : cpus > 0 ? (unsigned)cpus : 1;
	ro.state_path = a.state;
	ro.follow = a.follow;
	ro.follow_interval_ms = 250;
	if (getenv("CODE_LOGSCAN_POLL_MS") != NULL)
		ro.follow_interval_ms = strtoull(getenv("CODE_LOGSCAN_POLL_MS"), NULL, 10);
	/*
	 * pread into a reused 256 KiB buffer beat io_uring read-ahead on both
	 * warm and cold page caches here (the buffer stays in L2 between the
	 * copy and the scan), so io_uring is what --io uring asks for, not
	 * the default.
	 */
	ro.io = CHUNKREAD_IO_READ;
	if (a.io == 1) {
		if (chunkread_uring_works(why, sizeof(why))) {
			ro.io = CHUNKREAD_IO_URING;
			diag_info(DIAG_VERBOSE, NULL, "reading files with io_uring");
		} else {
			diag_warn(NULL, "io_uring is not available here (%s); reading with pread", why);
		}
	} else {
		diag_info(DIAG_VERBOSE, NULL, "reading files with pread (--io %s)",
			  a.io == 2 ? "read" : "auto");
	}
	diag_info(DIAG_VERBOSE, NULL, "%zu patterns, prefilter %s, regex %s, %u threads",
		  cfg.npatterns, cfg.prefilter ? litscan_path(cfg.prefilter) : "none",
		  regexset_jit(set) ? "JIT" : "interpreter", ro.threads);
	ret = logscan_run(&ro);
	scan_config_release(&cfg);
out_set:
	regexset_free(set);
	patterns_free(&pl);
	free(severities);
	cli_list_release(&a.regexes);
	cli_list_release(&a.files);
	cli_list_release(&a.sets);
	return code_exit_status(ret);
}
