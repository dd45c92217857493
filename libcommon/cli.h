/* cli.h: one option table per tool drives getopt_long, --help and checks. */
#ifndef CODE_CLI_H
#define CODE_CLI_H

#include <stdbool.h>
#include <stddef.h>

enum cli_arg {
	CLI_NO_ARG,
	CLI_REQUIRED_ARG,
	CLI_OPTIONAL_ARG
};

/*
 * id is the short option character, or a value >= CLI_LONG_ONLY for a
 * long-only option. help == NULL hides an option from --help.
 */
struct cli_option {
	int id;
	const char *long_name;
	enum cli_arg arg;
	const char *arg_name;
	const char *help;
};

#define CLI_LONG_ONLY 256

/* The options every tool has; put CLI_COMMON_OPTIONS last in each table. */
enum {
	CLI_OPT_HELP = 'h',
	CLI_OPT_VERSION = 'V',
	CLI_OPT_QUIET = 'q',
	CLI_OPT_VERBOSE = 'v'
};
#define CLI_COMMON_OPTIONS \
	{ 'q', "quiet", CLI_NO_ARG, NULL, "print errors only; no progress or colour" }, \
	{ 'v', "verbose", CLI_NO_ARG, NULL, "say more on stderr (repeat for more)" }, \
	{ 'h', "help", CLI_NO_ARG, NULL, "print this help and exit" }, \
	{ 'V', "version", CLI_NO_ARG, NULL, "print the version and exit" }

struct cli_spec {
	const char *name;           /* "code-plan" */
	const char *const *usage;   /* synopsis lines, without the name; NULL-ended */
	const char *summary;        /* one line: what the tool does */
	const struct cli_option *options;
	size_t n_options;
	const char *epilogue;       /* printed after the options, or NULL */
	/*
	 * false (the default): options may follow operands, as GNU tools
	 * allow ("code-plan deploy.yaml --state s.json"). true: options end
	 * at the first operand, for tools that run "CMD ARGS..." whose
	 * options are the command's own.
	 */
	bool stop_at_operand;
};

/*
 * The parse state: call cli_next() until it returns -1. It handles -h and
 * -V itself (printing and exiting 0), counts -q/-v into level, and on a bad
 * option prints the error with a suggestion and exits 64.
 */
struct cli_parser {
	const struct cli_spec *spec;
	int argc;
	char **argv;
	int level;       /* DIAG_QUIET, DIAG_NORMAL or more for each -v */
	const char *arg; /* the current option's argument */
	void *longopts;  /* owned: the getopt_long table */
	char *shortopts; /* owned */
};

void cli_parser_init(struct cli_parser *p, const struct cli_spec *spec,
		     int argc, char **argv);
/* Returns the option id, or -1 when options end (see optind for operands). */
int cli_next(struct cli_parser *p);
void cli_parser_release(struct cli_parser *p);
/* Index of the first operand once cli_next() returned -1. */
int cli_operand_index(const struct cli_parser *p);

/* Prints the usage: to stdout and exit 0 for status 0, else to stderr. */
void cli_usage_exit(const struct cli_spec *spec, int status)
	__attribute__((noreturn));
/* Prints "code-NAME: message" and a hint to try --help, then exits 64. */
void cli_usage_error(const struct cli_spec *spec, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
void cli_print_version(const struct cli_spec *spec);

/* Typed option arguments; each exits 64 with a message on bad input. */
unsigned long cli_arg_ulong(const struct cli_spec *spec, const char *opt,
			    const char *arg, unsigned long min, unsigned long max);
unsigned long long cli_arg_duration_ms(const struct cli_spec *spec,
				       const char *opt, const char *arg);
unsigned long long cli_arg_size(const struct cli_spec *spec, const char *opt,
				const char *arg);
/* arg must be one of the NULL-ended choices; returns its index. */
int cli_arg_choice(const struct cli_spec *spec, const char *opt,
		   const char *arg, const char *const *choices);

/* The values of a repeatable option, in the order given (the strings are argv's). */
struct cli_list {
	const char **items;
	size_t n;
};
void cli_list_add(struct cli_list *l, const char *s);
void cli_list_release(struct cli_list *l);

/* True when colour and progress are wanted on fd (a tty, no NO_COLOR, not -q). */
bool cli_want_colour(int fd, int level);

#endif
