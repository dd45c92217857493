/* diag.c: diagnostics to stderr in the one format of SPEC section 1. */
#include "libcommon/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libcommon/strbuf.h"

/*
 * The only process-wide settings of libcommon: written once by main()
 * before any thread starts, read-only afterwards.
 */
static const char *diag_name = "code-tools";
static int diag_current_level = DIAG_NORMAL;

void
diag_setup(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	diag_name = slash ? slash + 1 : progname;
}

void
diag_set_level(int level)
{
	diag_current_level = level;
}

int
diag_level(void)
{
	return diag_current_level;
}

const char *
diag_progname(void)
{
	return diag_name;
}

static void
diag_emit(const char *prefix, const struct diag_loc *loc, int errnum,
	  const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* One write per message, so lines from parallel processes do not mix. */
static void
diag_emit(const char *prefix, const struct diag_loc *loc, int errnum,
	  const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s: ", diag_name);
	if (loc && loc->file) {
		strbuf_addstr(&sb, loc->file);
		if (loc->line) {
			strbuf_addf(&sb, ":%lu", loc->line);
			if (loc->col)
				strbuf_addf(&sb, ":%lu", loc->col);
		}
		strbuf_addstr(&sb, ": ");
	}
	if (prefix)
		strbuf_addstr(&sb, prefix);
	strbuf_vaddf(&sb, fmt, ap);
	if (errnum)
		strbuf_addf(&sb, ": %s", strerror(errnum));
	strbuf_addch(&sb, '\n');
	fwrite(sb.buf, 1, sb.len, stderr);
	fflush(stderr);
	strbuf_release(&sb);
}

int
diag_error(int code, const struct diag_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_emit(NULL, loc, 0, fmt, ap);
	va_end(ap);
	return -code;
}

int
diag_verror(int code, const struct diag_loc *loc, const char *fmt, va_list ap)
{
	diag_emit(NULL, loc, 0, fmt, ap);
	return -code;
}

int
diag_error_errno(int code, int errnum, const struct diag_loc *loc,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_emit(NULL, loc, errnum, fmt, ap);
	va_end(ap);
	return -code;
}

void
diag_warn(const struct diag_loc *loc, const char *fmt, ...)
{
	va_list ap;

	if (diag_current_level < DIAG_NORMAL)
		return;
	va_start(ap, fmt);
	diag_emit("warning: ", loc, 0, fmt, ap);
	va_end(ap);
}

void
diag_info(int level, const struct diag_loc *loc, const char *fmt, ...)
{
	va_list ap;

	if (diag_current_level < level)
		return;
	va_start(ap, fmt);
	diag_emit(NULL, loc, 0, fmt, ap);
	va_end(ap);
}
