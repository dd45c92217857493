/* test-cli.c: the option table parses, helps, and refuses bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcommon/cli.h"
#include "libcommon/diag.h"
#include "tests/lib/tap.h"

enum { OPT_STATE = 's', OPT_FORMAT = CLI_LONG_ONLY };

static const struct cli_option options[] = {
	{ OPT_STATE, "state", CLI_REQUIRED_ARG, "FILE", "the state file" },
	{ OPT_FORMAT, "format", CLI_REQUIRED_ARG, "FORMAT", "ndjson or text" },
	CLI_COMMON_OPTIONS
};
static const char *const usage[] = { "[--state FILE] MANIFEST", NULL };
static const struct cli_spec spec = {
	"code-test", usage, "Tests the option table.", options,
	sizeof(options) / sizeof(options[0]), NULL, false
};
static const struct cli_spec run_spec = {
	"code-test", usage, "Tests the option table.", options,
	sizeof(options) / sizeof(options[0]), NULL, true
};

/* Runs a parse in a child; returns its exit status and captures stdout/err. */
static int
run_child(char **argv, int argc, char *out, size_t outsz)
{
	char path[4200];
	pid_t pid;
	int status = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/child.out", tap_tmpdir());
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct cli_parser p;

		if (freopen(path, "w", stdout) == NULL || dup2(fileno(stdout), 2) < 0)
			_exit(99);
		cli_parser_init(&p, &spec, argc, argv);
		while (cli_next(&p) != -1)
			;
		cli_parser_release(&p);
		exit(0);
	}
	waitpid(pid, &status, 0);
	f = fopen(path, "r");
	n = f ? fread(out, 1, outsz - 1, f) : 0;
	out[n] = '\0';
	if (f)
		fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
main(void)
{
	char *argv1[] = { "code-test", "-v", "--state", "s.json", "--format=text",
			  "-vq", "m.yaml", "--not-an-option", NULL };
	char *help[] = { "code-test", "--help", NULL };
	char *version[] = { "code-test", "-V", NULL };
	char *typo[] = { "code-test", "--sate", "x", NULL };
	char *unknown[] = { "code-test", "--zzzzzz", NULL };
	char *missing[] = { "code-test", "--state", NULL };
	char *bad_short[] = { "code-test", "-x", NULL };
	char out[8192];
	struct cli_parser p;
	const char *state = NULL, *format = NULL;
	int c;

	diag_setup("code-test");
	cli_parser_init(&p, &run_spec, 8, argv1);
	while ((c = cli_next(&p)) != -1) {
		if (c == OPT_STATE)
			state = p.arg;
		else if (c == OPT_FORMAT)
			format = p.arg;
	}
	is_str(state, "s.json", "a short-named option with a separate argument");
	is_str(format, "text", "a long option with =argument");
	is_int(p.level, -1, "-q after -v wins");
	is_int(cli_operand_index(&p), 6, "with stop_at_operand, parsing stops at the first operand");
	cli_parser_release(&p);
	{
		char *argv2[] = { "code-test", "m.yaml", "--state", "late.json", NULL };

		state = NULL;
		cli_parser_init(&p, &spec, 4, argv2);
		while ((c = cli_next(&p)) != -1)
			if (c == OPT_STATE)
				state = p.arg;
		is_str(state, "late.json", "options may follow the operand");
		is_int(cli_operand_index(&p), 3, "the operand is moved after the options");
		is_str(argv2[cli_operand_index(&p)], "m.yaml", "and is still there");
		cli_parser_release(&p);
	}

	is_int(run_child(help, 2, out, sizeof(out)), 0, "--help exits 0");
	ok(strstr(out, "Usage: code-test [--state FILE] MANIFEST") != NULL, "--help prints the usage");
	ok(strstr(out, "--format FORMAT") && strstr(out, "ndjson or text"), "--help lists options with help");
	is_int(run_child(version, 2, out, sizeof(out)), 0, "-V exits 0");
	ok(strncmp(out, "code-test (code-tools) ", 23) == 0, "-V prints 'NAME (code-tools) X.Y.Z'");
	is_int(run_child(typo, 3, out, sizeof(out)), 64, "an unknown option exits 64");
	ok(strstr(out, "did you mean '--state'?") != NULL, "a typo gets a suggestion");
	is_int(run_child(unknown, 2, out, sizeof(out)), 64, "a strange option exits 64");
	ok(strstr(out, "unknown option '--zzzzzz'") && strstr(out, "Try 'code-test --help'"),
	   "the message names it and points at --help");
	is_int(run_child(missing, 2, out, sizeof(out)), 64, "a missing argument exits 64");
	ok(strstr(out, "needs an argument") != NULL, "the message says an argument is needed");
	is_int(run_child(bad_short, 2, out, sizeof(out)), 64, "an unknown short option exits 64");
	ok(strstr(out, "unknown option '-x'") != NULL, "the message names the short option");
	is_int((long long)cli_arg_duration_ms(&spec, "--timeout", "1m30s"), 90000, "duration arguments parse");
	is_int((long long)cli_arg_size(&spec, "--max-size", "20M"), 20 << 20, "size arguments parse");
	{
		static const char *const choices[] = { "ndjson", "text", NULL };

		is_int(cli_arg_choice(&spec, "--format", "text", choices), 1, "choices return their index");
	}
	is_int((long long)cli_arg_ulong(&spec, "-n", "42", 1, 100), 42, "numbers parse within bounds");
	setenv("NO_COLOR", "1", 1);
	ok(!cli_want_colour(1, 0), "NO_COLOR turns colour off");
	return tap_done();
}
