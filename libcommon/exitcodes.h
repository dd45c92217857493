/* exitcodes.h: the exit codes of SPEC section 1, shared by every tool. */
#ifndef CODE_EXITCODES_H
#define CODE_EXITCODES_H

enum code_exit {
	CODE_EXIT_OK = 0,
	CODE_EXIT_NEGATIVE = 1,         /* no match, miss, regression, rolled back */
	CODE_EXIT_CHANGES = 2,          /* code-plan --detailed-exitcode: changes */
	CODE_EXIT_ROLLBACK_FAILED = 3,  /* a person must look */
	CODE_EXIT_USAGE = 64,
	CODE_EXIT_DATAERR = 65,
	CODE_EXIT_NOINPUT = 66,
	CODE_EXIT_UNAVAILABLE = 69,
	CODE_EXIT_SOFTWARE = 70,
	CODE_EXIT_IOERR = 74,
	CODE_EXIT_TEMPFAIL = 75,
	CODE_EXIT_INTERRUPTED = 130
};

/*
 * Functions in libcommon and the tools return 0 on success or the negated
 * exit code (-CODE_EXIT_DATAERR, ...) after printing their diagnostic, so a
 * failure travels up unchanged and main() ends with code_exit_status(ret).
 */
static inline int
code_exit_status(int ret)
{
	return ret < 0 ? -ret : ret;
}

#endif
