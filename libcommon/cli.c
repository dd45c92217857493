/* cli.c: one option table per tool drives getopt_long, --help and checks. */
#include "libcommon/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/suggest.h"
#include "libcommon/units.h"
#include "libcommon/xalloc.h"

void
cli_parser_init(struct cli_parser *p, const struct cli_spec *spec, int argc,
		char **argv)
{
	struct option *longopts = xcalloc(spec->n_options + 1, sizeof(*longopts));
	struct strbuf shortopts = STRBUF_INIT;
	size_t i;

	/* '+' stops at the first operand, so "CMD -x" stays CMD's. */
	strbuf_addstr(&shortopts, spec->stop_at_operand ? "+:" : ":");
	for (i = 0; i < spec->n_options; i++) {
		const struct cli_option *o = &spec->options[i];

		longopts[i].name = o->long_name;
		longopts[i].has_arg = o->arg == CLI_NO_ARG ? no_argument :
				      o->arg == CLI_REQUIRED_ARG ? required_argument :
				      optional_argument;
		longopts[i].flag = NULL;
		longopts[i].val = o->id;
		if (o->id < CLI_LONG_ONLY) {
			strbuf_addch(&shortopts, o->id);
			if (o->arg == CLI_REQUIRED_ARG)
				strbuf_addch(&shortopts, ':');
			else if (o->arg == CLI_OPTIONAL_ARG)
				strbuf_addstr(&shortopts, "::");
		}
	}
	p->spec = spec;
	p->argc = argc;
	p->argv = argv;
	p->level = DIAG_NORMAL;
	p->arg = NULL;
	p->longopts = longopts;
	p->shortopts = strbuf_detach(&shortopts, NULL);
	/* 0, not 1: glibc then also resets its permutation state. */
	optind = 0;
	opterr = 0;
}

void
cli_parser_release(struct cli_parser *p)
{
	free(p->longopts);
	free(p->shortopts);
	p->longopts = NULL;
	p->shortopts = NULL;
}

int
cli_operand_index(const struct cli_parser *p)
{
	(void)p;
	return optind;
}

static const struct cli_option *
cli_find(const struct cli_spec *spec, int id)
{
	size_t i;

	for (i = 0; i < spec->n_options; i++)
		if (spec->options[i].id == id)
			return &spec->options[i];
	return NULL;
}

static void
cli_bad_option(const struct cli_parser *p, int c)
{
	const struct cli_spec *spec = p->spec;
	const char *word = p->argv[optind - 1];
	const struct cli_option *o;

	if (c == ':') {
		o = cli_find(spec, optopt);
		if (o && strncmp(word, "--", 2) == 0)
			cli_usage_error(spec, "option '--%s' needs an argument %s",
					o->long_name, o->arg_name ? o->arg_name : "");
		cli_usage_error(spec, "option '-%c' needs an argument", optopt);
	}
	if (optopt && strncmp(word, "--", 2) != 0)
		cli_usage_error(spec, "unknown option '-%c'", optopt);
	if (strncmp(word, "--", 2) == 0) {
		const char **names = xcalloc(spec->n_options, sizeof(*names));
		char *name = xstrdup(word + 2), *eq = strchr(name, '=');
		const char *hint;
		size_t i;

		if (eq)
			*eq = '\0';
		for (i = 0; i < spec->n_options; i++)
			names[i] = spec->options[i].long_name;
		hint = suggest_closest(name, names, spec->n_options);
		if (hint) {
			fprintf(stderr, "%s: unknown option '--%s' (did you mean '--%s'?)\n",
				spec->name, name, hint);
			fprintf(stderr, "Try '%s --help' for more information.\n",
				spec->name);
			exit(CODE_EXIT_USAGE);
		}
		cli_usage_error(spec, "unknown option '%s'", word);
	}
	cli_usage_error(spec, "unknown option '%s'", word);
}

int
cli_next(struct cli_parser *p)
{
	int c;

	for (;;) {
		c = getopt_long(p->argc, p->argv, p->shortopts,
				(const struct option *)p->longopts, NULL);
		p->arg = optarg;
		switch (c) {
		case -1:
			return -1;
		case '?':
		case ':':
			cli_bad_option(p, c);
			break;
		case CLI_OPT_HELP:
			if (cli_find(p->spec, c) == NULL)
				return c;
			cli_usage_exit(p->spec, 0);
			break;
		case CLI_OPT_VERSION:
			if (cli_find(p->spec, c) == NULL)
				return c;
			cli_print_version(p->spec);
			exit(0);
			break;
		case CLI_OPT_QUIET:
			p->level = DIAG_QUIET;
			break;
		case CLI_OPT_VERBOSE:
			if (p->level < DIAG_NORMAL)
				p->level = DIAG_NORMAL;
			p->level++;
			break;
		default:
			return c;
		}
	}
}

void
cli_print_version(const struct cli_spec *spec)
{
	printf("%s (code-tools) %s\n", spec->name, PACKAGE_VERSION);
	fflush(stdout);
}

void
cli_usage_exit(const struct cli_spec *spec, int status)
{
	FILE *f = status == 0 ? stdout : stderr;
	size_t i;

	for (i = 0; spec->usage && spec->usage[i]; i++)
		fprintf(f, "%s %s %s\n", i == 0 ? "Usage:" : "      ", spec->name,
			spec->usage[i]);
	if (spec->summary)
		fprintf(f, "\n%s\n", spec->summary);
	fprintf(f, "\nOptions:\n");
	for (i = 0; i < spec->n_options; i++) {
		const struct cli_option *o = &spec->options[i];
		struct strbuf left = STRBUF_INIT;

		if (o->help == NULL)
			continue;
		if (o->id < CLI_LONG_ONLY)
			strbuf_addf(&left, "  -%c, ", o->id);
		else
			strbuf_addstr(&left, "      ");
		strbuf_addf(&left, "--%s", o->long_name);
		if (o->arg == CLI_REQUIRED_ARG)
			strbuf_addf(&left, " %s", o->arg_name ? o->arg_name : "ARG");
		else if (o->arg == CLI_OPTIONAL_ARG)
			strbuf_addf(&left, "[=%s]", o->arg_name ? o->arg_name : "ARG");
		if (left.len < 30)
			fprintf(f, "%-30s%s\n", left.buf, o->help);
		else
			fprintf(f, "%s\n%30s%s\n", left.buf, "", o->help);
		strbuf_release(&left);
	}
	if (spec->epilogue)
		fprintf(f, "\n%s\n", spec->epilogue);
	fprintf(f, "\nSee %s(1) for details.\n", spec->name);
	fflush(f);
	exit(status);
}

void
cli_usage_error(const struct cli_spec *spec, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n",
		spec->name, sb.buf, spec->name);
	strbuf_release(&sb);
	exit(CODE_EXIT_USAGE);
}

unsigned long
cli_arg_ulong(const struct cli_spec *spec, const char *opt, const char *arg,
	      unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	if (arg == NULL || *arg == '\0' || *arg == '-' || *arg == '+')
		cli_usage_error(spec, "option '%s' needs a number, not '%s'", opt,
				arg ? arg : "");
	v = strtoul(arg, &end, 10);
	if (*end != '\0')
		cli_usage_error(spec, "option '%s' needs a number, not '%s'", opt, arg);
	if (v < min || v > max)
		cli_usage_error(spec, "option '%s' must be between %lu and %lu, not '%s'",
				opt, min, max, arg);
	return v;
}

unsigned long long
cli_arg_duration_ms(const struct cli_spec *spec, const char *opt,
		    const char *arg)
{
	uint64_t ms;

	if (units_parse_duration_ms(arg, &ms) < 0)
		cli_usage_error(spec, "option '%s' needs a duration such as 250ms, 5s, 2m or 1h, not '%s'",
				opt, arg);
	return ms;
}

unsigned long long
cli_arg_size(const struct cli_spec *spec, const char *opt, const char *arg)
{
	uint64_t bytes;

	if (units_parse_size(arg, &bytes) < 0)
		cli_usage_error(spec, "option '%s' needs a size such as 512K, 20M or 1G, not '%s'",
				opt, arg);
	return bytes;
}

int
cli_arg_choice(const struct cli_spec *spec, const char *opt, const char *arg,
	       const char *const *choices)
{
	struct strbuf list = STRBUF_INIT;
	size_t i;

	for (i = 0; choices[i]; i++)
		if (strcmp(arg, choices[i]) == 0)
			return (int)i;
	for (i = 0; choices[i]; i++)
		strbuf_addf(&list, "%s%s", i ? ", " : "", choices[i]);
	cli_usage_error(spec, "option '%s' must be one of %s, not '%s'", opt,
			list.buf, arg);
}

bool
cli_want_colour(int fd, int level)
{
	const char *nc = getenv("NO_COLOR");

	if (level < DIAG_NORMAL)
		return false;
	if (nc && *nc)
		return false;
	return isatty(fd) == 1;
}

void
cli_list_add(struct cli_list *l, const char *s)
{
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
	l->items[l->n++] = s;
}

void
cli_list_release(struct cli_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
