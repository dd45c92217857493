/* test-diag.c: diagnostics print "code-NAME: FILE:LINE:COL: message". */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "tests/lib/tap.h"

static char captured[8192];

/* Runs fn with stderr sent to a file, then reads the file back. */
static void
capture(void (*fn)(void))
{
	char path[4200];
	int saved = dup(2);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/err", tap_tmpdir());
	f = fopen(path, "w");
	dup2(fileno(f), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(f);
	f = fopen(path, "r");
	n = fread(captured, 1, sizeof(captured) - 1, f);
	captured[n] = '\0';
	fclose(f);
}

static int last_ret;

static void
located_error(void)
{
	struct diag_loc loc = { "deploy.yaml", 7, 5 };

	last_ret = diag_error(CODE_EXIT_DATAERR, &loc, "unknown dependency '%s'", "omega");
}

static void
line_only(void)
{
	struct diag_loc loc = { "plan.ndjson", 3, 0 };

	diag_error(CODE_EXIT_DATAERR, &loc, "bad record");
}

static void
no_location(void)
{
	diag_error(CODE_EXIT_IOERR, NULL, "write error");
	diag_error_errno(CODE_EXIT_NOINPUT, 2, NULL, "cannot open '%s'", "x");
}

static void
warnings(void)
{
	struct diag_loc loc = diag_file("a.log");

	diag_warn(&loc, "odd");
	diag_info(DIAG_VERBOSE, NULL, "detail");
}

int
main(void)
{
	diag_setup("/usr/bin/code-plan");
	is_str(diag_progname(), "code-plan", "the program name drops its directory");
	capture(located_error);
	is_str(captured, "code-plan: deploy.yaml:7:5: unknown dependency 'omega'\n",
	       "a located error has FILE:LINE:COL");
	is_int(last_ret, -CODE_EXIT_DATAERR, "diag_error returns the negated exit code");
	capture(line_only);
	is_str(captured, "code-plan: plan.ndjson:3: bad record\n", "column 0 is left out");
	capture(no_location);
	is_str(captured, "code-plan: write error\ncode-plan: cannot open 'x': No such file or directory\n",
	       "no location, and errno text appended");
	capture(warnings);
	is_str(captured, "code-plan: a.log: warning: odd\n", "warnings print, info needs -v");
	diag_set_level(DIAG_VERBOSE);
	capture(warnings);
	is_str(captured, "code-plan: a.log: warning: odd\ncode-plan: detail\n", "-v shows info");
	diag_set_level(DIAG_QUIET);
	capture(warnings);
	is_str(captured, "", "--quiet hides warnings");
	capture(located_error);
	ok(strstr(captured, "unknown dependency") != NULL, "--quiet still shows errors");
	return tap_done();
}
