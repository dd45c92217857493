/* diag.h: diagnostics to stderr in the one format of SPEC section 1. */
#ifndef CODE_DIAG_H
#define CODE_DIAG_H

#include <stdarg.h>

/*
 * A location in an input. line 0 means "no line" and col 0 "no column";
 * file NULL means no location at all. Messages print as
 * "code-NAME: FILE:LINE:COL: message".
 */
struct diag_loc {
	const char *file;
	unsigned long line;
	unsigned long col;
};

enum diag_level {
	DIAG_QUIET = -1,   /* --quiet: errors only */
	DIAG_NORMAL = 0,   /* errors and warnings */
	DIAG_VERBOSE = 1,  /* -v */
	DIAG_DEBUG = 2     /* -vv */
};

/*
 * Called once at the top of main(), before any thread starts: the program
 * name and verbosity are the only process-wide settings in libcommon and
 * are read-only afterwards.
 */
void diag_setup(const char *progname);
void diag_set_level(int level);
int diag_level(void);
const char *diag_progname(void);

/* Prints an error and returns -code, so `return diag_error(...)` works. */
int diag_error(int code, const struct diag_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int diag_verror(int code, const struct diag_loc *loc, const char *fmt,
		va_list ap) __attribute__((format(printf, 3, 0)));
/* Like diag_error, appending ": strerror(errnum)". */
int diag_error_errno(int code, int errnum, const struct diag_loc *loc,
		     const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Warnings are silenced by --quiet. */
void diag_warn(const struct diag_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Printed only when the verbosity is at least level. */
void diag_info(int level, const struct diag_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A location naming only a file. */
static inline struct diag_loc
diag_file(const char *file)
{
	struct diag_loc loc = { file, 0, 0 };
	return loc;
}

#endif
