/* main.c: code-cache: a content-addressed cache of values and of command runs, local and shared. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cache/batch.h"
#include "cmd/cache/cache.h"
#include "cmd/cache/entry.h"
#include "cmd/cache/runexec.h"
#include "cmd/cache/runkey.h"
#include "libcommon/cli.h"
#include "libcommon/diag.h"
#include "libcommon/dirs.h"
#include "libcommon/exitcodes.h"
#include "libcommon/input.h"
#include "libcommon/jsonw.h"
#include "libcommon/output.h"
#include "libcommon/suggest.h"
#include "libcommon/timefmt.h"
#include "libcommon/xalloc.h"

enum {
	OPT_DIR = CLI_LONG_ONLY,
	OPT_MAX_SIZE,
	OPT_TTL,
	OPT_REDIS,
	OPT_INPUT,
	OPT_OUTPUT,
	OPT_ENV,
	OPT_PREFETCH,
	OPT_SKIP_INVALID
};

static const struct cli_option cache_options[] = {
	{ OPT_DIR, "dir", CLI_REQUIRED_ARG, "DIR",
	  "the cache directory (default $CODE_CACHE_DIR or ~/.cache/code-tools)" },
	{ OPT_MAX_SIZE, "max-size", CLI_REQUIRED_ARG, "SIZE",
	  "evict least recently used entries past SIZE (default 5G)" },
	{ OPT_TTL, "ttl", CLI_REQUIRED_ARG, "DUR", "entries written expire after DUR" },
	{ OPT_REDIS, "redis", CLI_REQUIRED_ARG, "URL",
	  "shared tier redis://[:PASSWORD@]HOST[:PORT][/DB] (or $CODE_CACHE_REDIS)" },
	{ OPT_INPUT, "input", CLI_REQUIRED_ARG, "PATH",
	  "run: a file or directory the command reads (repeatable)" },
	{ OPT_OUTPUT, "output", CLI_REQUIRED_ARG, "PATH",
	  "run: a file the command writes, replayed on a hit (repeatable)" },
	{ OPT_ENV, "env", CLI_REQUIRED_ARG, "VAR",
	  "run: an environment variable the command depends on (repeatable)" },
	{ OPT_PREFETCH, "prefetch", CLI_REQUIRED_ARG, "N",
	  "batch: fetch the N likeliest next keys from Redis ahead of use" },
	{ OPT_SKIP_INVALID, "skip-invalid", CLI_NO_ARG, NULL,
	  "batch: answer malformed lines with an error instead of stopping" },
	CLI_COMMON_OPTIONS
};

static const char *const cache_usage[] = {
	"[--dir DIR] [--max-size SIZE] [--ttl DUR] [--redis URL] put KEY [FILE|-]",
	"[OPTIONS] get KEY | has KEY | del KEY | stats | gc | clear",
	"[OPTIONS] batch [--prefetch N] [--skip-invalid] <REQUESTS.ndjson",
	"[OPTIONS] run [--input PATH]... [--output PATH]... [--env VAR]... [--ttl DUR] -- CMD [ARGS...]",
	NULL
};

static const struct cli_spec cache_spec = {
	.name = "code-cache",
	.usage = cache_usage,
	.summary = "A content-addressed cache: values by key, and whole command runs (stdout,\n"
		   "stderr, exit status, output files) replayed on a hit; local, optionally\n"
		   "shared through Redis.",
	.options = cache_options,
	.n_options = sizeof(cache_options) / sizeof(cache_options[0]),
	.epilogue = "Exit status: 0 done or hit, 1 miss or absent, 64 usage, 65 malformed batch\n"
		    "line, 66 unusable directory or input, 74 I/O error; run: the command's status.",
	.stop_at_operand = true,
};

static const char *const subcommands[] = {
	"put", "get", "has", "del", "stats", "gc", "clear", "batch", "run", NULL
};

struct cache_args {
	const char *dir, *redis;
	uint64_t max_size;
	int64_t ttl_ms;
	struct cli_list inputs, outputs, env;
	unsigned long prefetch;
	bool skip_invalid;
	bool run_opts;   /* an option only run or batch takes was given */
};

/* Parses options from argv[*i] on until the first operand; both before and after the subcommand. */
static void
parse_opts(int argc, char **argv, int *first, struct cache_args *a, const char *sub)
{
	struct cli_parser p;
	int c;

	cli_parser_init(&p, &cache_spec, argc, argv);
	while ((c = cli_next(&p)) != -1) {
		switch (c) {
		case OPT_DIR: a->dir = p.arg; break;
		case OPT_MAX_SIZE:
			a->max_size = cli_arg_size(&cache_spec, "--max-size", p.arg);
			if (a->max_size < (1u << 20))
				cli_usage_error(&cache_spec, "--max-size must be at least 1M");
			break;
		case OPT_TTL:
			a->ttl_ms = (int64_t)cli_arg_duration_ms(&cache_spec, "--ttl", p.arg);
			break;
		case OPT_REDIS: a->redis = p.arg; break;
		case OPT_INPUT:
		case OPT_OUTPUT:
		case OPT_ENV:
			if (sub == NULL || strcmp(sub, "run") != 0)
				cli_usage_error(&cache_spec, "--%s is an option of run",
						c == OPT_INPUT ? "input" : c == OPT_OUTPUT ? "output" : "env");
			cli_list_add(c == OPT_INPUT ? &a->inputs : c == OPT_OUTPUT ? &a->outputs : &a->env,
				    p.arg);
			break;
		case OPT_PREFETCH:
		case OPT_SKIP_INVALID:
			if (sub == NULL || strcmp(sub, "batch") != 0)
				cli_usage_error(&cache_spec, "--%s is an option of batch",
						c == OPT_PREFETCH ? "prefetch" : "skip-invalid");
			if (c == OPT_PREFETCH)
				a->prefetch = cli_arg_ulong(&cache_spec, "--prefetch", p.arg, 0, 10000);
			else
				a->skip_invalid = true;
			break;
		default:
			cli_usage_error(&cache_spec, "unhandled option");
		}
	}
	if (p.level != 0)
		diag_set_level(p.level);
	*first = cli_operand_index(&p);
	cli_parser_release(&p);
}

static int
read_value(const char *path, struct strbuf *out)
{
	struct input *in;
	char *data;
	size_t len;
	int ret;

	if ((ret = input_open(path, &in)) < 0)
		return ret;
	ret = input_read_all(in, (size_t)1 << 34, &data, &len);
	input_close(in);
	if (ret < 0)
		return ret;
	strbuf_add(out, data, len);
	free(data);
	return 0;
}

static int
write_stdout(const void *data, size_t len)
{
	struct output *o;
	int ret;

	if ((ret = output_open_fd(STDOUT_FILENO, &o)) < 0)
		return ret;
	ret = output_write(o, data, len);
	if (output_close(o) < 0 && ret == 0)
		ret = -CODE_EXIT_IOERR;
	return ret;
}

static int
cmd_stats(struct cache *c)
{
	struct store_stats s;
	struct strbuf sb = STRBUF_INIT;
	const char *redis = cache_redis_state(c);
	double rate;
	int ret;

	if ((ret = store_stats(cache_store(c), &s)) < 0)
		return ret;
	rate = s.hits + s.misses > 0 ? (double)s.hits / (double)(s.hits + s.misses) : 0.0;
	strbuf_addf(&sb,
		    "{\"type\":\"stats\",\"entries\":%llu,\"bytes\":%llu,\"live_bytes\":%llu,"
		    "\"hits\":%llu,\"misses\":%llu,\"evictions\":%llu,\"expired\":%llu,"
		    "\"corrupt\":%llu,\"puts\":%llu,\"hit_rate\":%.4f,\"prefetch_hits\":%llu",
		    (unsigned long long)s.entries, (unsigned long long)s.bytes,
		    (unsigned long long)s.live_bytes, (unsigned long long)s.hits,
		    (unsigned long long)s.misses, (unsigned long long)s.evictions,
		    (unsigned long long)s.expired, (unsigned long long)s.corrupt,
		    (unsigned long long)s.puts, rate, (unsigned long long)s.prefetch_hits);
	if (redis != NULL)
		strbuf_addf(&sb, ",\"redis\":\"%s\"", redis);
	strbuf_addstr(&sb, "}\n");
	ret = write_stdout(sb.buf, sb.len);
	strbuf_release(&sb);
	return ret;
}

static int
cmd_gc(struct cache *c)
{
	struct store_gc_result g = { 0 };
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if ((ret = store_gc(cache_store(c), timefmt_now_ms(), &g)) < 0)
		return ret;
	strbuf_addf(&sb,
		    "{\"type\":\"gc\",\"expired\":%llu,\"corrupt\":%llu,\"evicted\":%llu,"
		    "\"reclaimed_bytes\":%llu,\"tmp_files\":%llu,\"rebuilt_indexes\":%u}\n",
		    (unsigned long long)g.removed_expired, (unsigned long long)g.removed_corrupt,
		    (unsigned long long)g.evicted, (unsigned long long)g.reclaimed_bytes,
		    (unsigned long long)g.tmp_files_removed, g.rebuilt_indexes);
	ret = write_stdout(sb.buf, sb.len);
	strbuf_release(&sb);
	return ret;
}

/* Reads piped stdin (not a terminal, not /dev/null-like closed) to make it part of the key. */
static bool
stdin_is_piped(void)
{
	struct stat st;

	if (isatty(STDIN_FILENO) || fstat(STDIN_FILENO, &st) != 0)
		return false;
	return S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode);
}

static int
cmd_run(struct cache *c, const struct cache_args *a, char **argv, int argc)
{
	struct runkey_request rq = { 0 };
	struct strbuf key = STRBUF_INIT, value = STRBUF_INIT, stdin_buf = STRBUF_INIT;
	struct runexec_result res;
	int ret;

	if (argc == 0)
		cli_usage_error(&cache_spec, "run needs a command: run [OPTIONS] -- CMD [ARGS...]");
	rq.argv = (const char *const *)argv;
	rq.argc = (size_t)argc;
	rq.env = a->env.items;
	rq.nenv = a->env.n;
	rq.inputs = a->inputs.items;
	rq.ninputs = a->inputs.n;
	rq.outputs = a->outputs.items;
	rq.noutputs = a->outputs.n;
	if (stdin_is_piped()) {
		if ((ret = read_value("-", &stdin_buf)) < 0)
			goto out;
		rq.has_stdin = true;
		rq.stdin_data = stdin_buf.buf;
		rq.stdin_len = stdin_buf.len;
	}
	if ((ret = runkey_build(&rq, &key)) < 0)
		goto out;
	diag_info(DIAG_DEBUG, NULL, "run key:\n%s", key.buf);
	if (cache_get(c, key.buf, key.len, &value) == STORE_HIT) {
		struct run_record rec;
		const char *why = NULL;

		if (run_record_decode(value.buf, value.len, &rec, &why) == 0) {
			diag_info(DIAG_VERBOSE, NULL, "hit: replaying '%s'", argv[0]);
			ret = runexec_replay(&rec, a->outputs.items, a->outputs.n);
			free(rec.files);
			if (ret == 0)
				ret = rec.exit_status;
			goto out;
		}
		diag_info(DIAG_VERBOSE, NULL, "cached run unusable (%s); running it", why);
	}
	diag_info(DIAG_VERBOSE, NULL, "miss: running '%s'", argv[0]);
	/* The cache is not locked here: a long build holds nothing. */
	ret = runexec_spawn(argv, stdin_buf.buf, stdin_buf.len, rq.has_stdin, &res);
	if (ret < 0)
		goto out;
	if (res.exit_status == 0 && !res.signaled) {
		struct run_record rec = { 0 };
		struct strbuf storage = STRBUF_INIT, enc = STRBUF_INIT;
		struct run_file *files = NULL;

		if (runexec_collect(a->outputs.items, a->outputs.n, &files, &storage) == 0) {
			rec.exit_status = 0;
			rec.out = res.out.buf ? res.out.buf : "";
			rec.out_len = res.out.len;
			rec.err = res.err.buf ? res.err.buf : "";
			rec.err_len = res.err.len;
			rec.files = files;
			rec.nfiles = a->outputs.n;
			run_record_encode(&rec, &enc);
			cache_put(c, key.buf, key.len, enc.buf, enc.len, a->ttl_ms);
		}
		free(files);
		strbuf_release(&storage);
		strbuf_release(&enc);
	}
	ret = res.exit_status;
	runexec_result_release(&res);
out:
	strbuf_release(&key);
	strbuf_release(&value);
	strbuf_release(&stdin_buf);
	return ret;
}

int
main(int argc, char **argv)
{
	struct cache_args a = { 0 };
	struct cache_options co = { 0 };
	struct cache *c = NULL;
	const char *sub;
	char *dir = NULL;
	int first, ret = 0, cret, nargs;
	char **args;

	diag_setup(argv[0]);
	parse_opts(argc, argv, &first, &a, NULL);
	if (first >= argc)
		cli_usage_error(&cache_spec, "a subcommand is needed: put, get, has, del, stats, gc, clear, batch or run");
	sub = argv[first];
	if (cli_arg_choice(&cache_spec, "subcommand", sub, subcommands) < 0)
		return CODE_EXIT_USAGE;
	/* The subcommand's own options; run's end at "--" or the command. */
	{
		int sub_first;

		parse_opts(argc - first, argv + first, &sub_first, &a, sub);
		args = argv + first + sub_first;
		nargs = argc - first - sub_first;
	}
	if (a.redis == NULL && getenv("CODE_CACHE_REDIS") != NULL && *getenv("CODE_CACHE_REDIS"))
		a.redis = getenv("CODE_CACHE_REDIS");
	if (a.dir == NULL) {
		if ((ret = dirs_cache(&dir)) < 0)
			return code_exit_status(ret);
		a.dir = dir;
	}
	if ((strcmp(sub, "put") == 0 && (nargs < 1 || nargs > 2)) ||
	    ((strcmp(sub, "get") == 0 || strcmp(sub, "has") == 0 || strcmp(sub, "del") == 0) &&
	     nargs != 1) ||
	    ((strcmp(sub, "stats") == 0 || strcmp(sub, "gc") == 0 || strcmp(sub, "clear") == 0 ||
	      strcmp(sub, "batch") == 0) && nargs != 0))
		cli_usage_error(&cache_spec, "wrong number of arguments for %s", sub);
	co.dir = a.dir;
	co.max_size = a.max_size;
	co.redis_url = a.redis;
	if ((ret = cache_open(&co, &c)) < 0)
		goto out;
	if (strcmp(sub, "put") == 0) {
		struct strbuf v = STRBUF_INIT;

		ret = read_value(nargs == 2 ? args[1] : "-", &v);
		if (ret == 0)
			ret = cache_put(c, args[0], strlen(args[0]), v.buf ? v.buf : "", v.len, a.ttl_ms);
		strbuf_release(&v);
	} else if (strcmp(sub, "get") == 0) {
		struct strbuf v = STRBUF_INIT;

		ret = cache_get(c, args[0], strlen(args[0]), &v);
		if (ret == STORE_HIT)
			ret = write_stdout(v.buf ? v.buf : "", v.len);
		strbuf_release(&v);
	} else if (strcmp(sub, "has") == 0) {
		ret = cache_has(c, args[0], strlen(args[0]));
	} else if (strcmp(sub, "del") == 0) {
		ret = cache_del(c, args[0], strlen(args[0]));
	} else if (strcmp(sub, "stats") == 0) {
		ret = cmd_stats(c);
	} else if (strcmp(sub, "gc") == 0) {
		ret = cmd_gc(c);
	} else if (strcmp(sub, "clear") == 0) {
		ret = store_clear(cache_store(c));
	} else if (strcmp(sub, "batch") == 0) {
		struct batch_options bo = { a.ttl_ms, a.skip_invalid, a.prefetch };

		ret = batch_run(c, &bo);
	} else {
		ret = cmd_run(c, &a, args, nargs);
	}
	cret = cache_close(c);
	if (cret < 0 && ret >= 0)
		ret = cret;
out:
	free(dir);
	cli_list_release(&a.inputs);
	cli_list_release(&a.outputs);
	cli_list_release(&a.env);
	return code_exit_status(ret);
}
