/* main.c: code-plan: a deployment manifest in, ordered steps out. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/plan/decide.h"
#include "cmd/plan/emit.h"
#include "cmd/plan/graph.h"
#include "cmd/plan/manifest.h"
#include "libcommon/deploystate.h"
#include "libcommon/cli.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/output.h"
#include "libcommon/suggest.h"
#include "libcommon/xalloc.h"

enum {
	OPT_STATE = 's',
	OPT_ONLY = 'o',
	OPT_FORCE = 'f',
	OPT_FORMAT = CLI_LONG_ONLY,
	OPT_DETAILED_EXITCODE,
	OPT_INPUT_FORMAT
};

static const struct cli_option plan_options[] = {
	{ OPT_STATE, "state", CLI_REQUIRED_ARG, "FILE",
	  "compare with the digests code-deploy recorded in FILE" },
	{ OPT_ONLY, "only", CLI_REQUIRED_ARG, "SERVICE",
	  "plan only SERVICE (repeatable); others are skipped" },
	{ OPT_FORCE, "force", CLI_REQUIRED_ARG, "SERVICE",
	  "deploy SERVICE even if unchanged (repeatable)" },
	{ OPT_FORMAT, "format", CLI_REQUIRED_ARG, "FORMAT",
	  "ndjson (default), text or dot" },
	{ OPT_DETAILED_EXITCODE, "detailed-exitcode", CLI_NO_ARG, NULL,
	  "exit 2 when the plan has changes, 0 when it has none" },
	{ OPT_INPUT_FORMAT, "input-format", CLI_REQUIRED_ARG, "FORMAT",
	  "manifest schema: auto (default), native or deploy-code" },
	CLI_COMMON_OPTIONS
};

static const char *const plan_usage[] = {
	"[--state FILE] [--only SERVICE]... [--force SERVICE]... [--format ndjson|text|dot] [--detailed-exitcode] MANIFEST.yaml",
	NULL
};

static const struct cli_spec plan_spec = {
	.name = "code-plan",
	.usage = plan_usage,
	.summary = "Reads a deployment manifest and prints the ordered steps to deploy it:\n"
		   "one 'plan' record, then one 'step' record per service in stage order.",
	.options = plan_options,
	.n_options = sizeof(plan_options) / sizeof(plan_options[0]),
	.epilogue = "Exit status: 0 done (with --detailed-exitcode: nothing to do), 2 changes\n"
		    "(--detailed-exitcode), 64 usage, 65 invalid manifest or state, 66 unreadable input.",
};

struct plan_args {
	const char *manifest;
	const char *state;
	struct plan_selection sel;
	enum plan_format format;
	enum manifest_format input_format;
	bool detailed_exitcode;
};

/* Names given to --only/--force must be services: a usage error if not. */
static int
check_service_names(const struct manifest *m, const char *opt,
		    const char **names, size_t n)
{
	const char **all = xcalloc(m->n_services + 1, sizeof(*all));
	size_t i, j;
	int ret = 0;

	for (i = 0; i < m->n_services; i++)
		all[i] = m->services[i].name;
	for (i = 0; i < n && ret == 0; i++) {
		const char *hint;

		for (j = 0; j < m->n_services; j++)
			if (strcmp(names[i], all[j]) == 0)
				break;
		if (j < m->n_services)
			continue;
		hint = suggest_closest(names[i], all, m->n_services);
		ret = diag_error(CODE_EXIT_USAGE, NULL, "%s: no service '%s' in '%s'%s%s%s",
				 opt, names[i], m->path, hint ? " (did you mean '" : "",
				 hint ? hint : "", hint ? "'?)" : "");
		fprintf(stderr, "Try '%s --help' for more information.\n",
			plan_spec.name);
	}
	free(all);
	return ret;
}

static int
run_plan(const struct plan_args *args)
{
	struct manifest m;
	struct deploy_state st = { NULL, NULL };
	struct plan_summary sum;
	struct output *out = NULL;
	size_t *order = NULL;
	int ret;

	if ((ret = manifest_load(args->manifest, args->input_format, &m)) < 0)
		goto out;
	if ((ret = check_service_names(&m, "--only", args->sel.only,
				       args->sel.n_only)) < 0 ||
	    (ret = check_service_names(&m, "--force", args->sel.force,
				       args->sel.n_force)) < 0)
		goto out;
	if ((ret = graph_resolve(&m, &order, &sum.n_stages)) < 0)
		goto out;
	if (args->state && (ret = deploystate_load(args->state, &st)) < 0)
		goto out;
	if ((ret = plan_decide(&m, order, &st, &args->sel, &sum.changed,
			       sum.digest)) < 0)
		goto out;
	if ((ret = output_open_fd(STDOUT_FILENO, &out)) < 0)
		goto out;
	ret = emit_plan(out, &m, order, &sum, args->format,
			args->format == PLAN_FORMAT_TEXT &&
			cli_want_colour(STDOUT_FILENO, diag_level()));
	if (output_close(out) < 0 && ret == 0)
		ret = -CODE_EXIT_IOERR;
	if (ret == 0 && args->detailed_exitcode && sum.changed > 0)
		ret = CODE_EXIT_CHANGES;
out:
	free(order);
	deploystate_release(&st);
	manifest_release(&m);
	return ret;
}

int
main(int argc, char **argv)
{
	static const char *const formats[] = { "ndjson", "text", "dot", NULL };
	static const char *const input_formats[] = {
		"auto", "native", "deploy-code", NULL
	};
	struct plan_args args;
	struct cli_parser p;
	int c, ret;

	diag_setup(argv[0]);
	memset(&args, 0, sizeof(args));
	args.sel.only = xcalloc((size_t)argc + 1, sizeof(char *));
	args.sel.force = xcalloc((size_t)argc + 1, sizeof(char *));
	cli_parser_init(&p, &plan_spec, argc, argv);
	while ((c = cli_next(&p)) != -1) {
		switch (c) {
		case OPT_STATE:
			args.state = p.arg;
			break;
		case OPT_ONLY:
			args.sel.only[args.sel.n_only++] = p.arg;
			break;
		case OPT_FORCE:
			args.sel.force[args.sel.n_force++] = p.arg;
			break;
		case OPT_FORMAT:
			args.format = (enum plan_format)cli_arg_choice(&plan_spec,
						"--format", p.arg, formats);
			break;
		case OPT_DETAILED_EXITCODE:
			args.detailed_exitcode = true;
			break;
		case OPT_INPUT_FORMAT:
			args.input_format = (enum manifest_format)cli_arg_choice(
				&plan_spec, "--input-format", p.arg, input_formats);
			break;
		default:
			cli_usage_error(&plan_spec, "unhandled option");
		}
	}
	diag_set_level(p.level);
	if (cli_operand_index(&p) != argc - 1)
		cli_usage_error(&plan_spec, cli_operand_index(&p) >= argc ?
				"missing MANIFEST.yaml" : "only one MANIFEST.yaml is read");
	args.manifest = argv[cli_operand_index(&p)];
	cli_parser_release(&p);
	ret = run_plan(&args);
	free(args.sel.only);
	free(args.sel.force);
	return code_exit_status(ret);
}
