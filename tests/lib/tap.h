/* tap.h: Test Anything Protocol output for the C unit tests. */
#ifndef CODE_TAP_H
#define CODE_TAP_H

#include <stddef.h>

/* Each records one test point and returns whether it passed. */
int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int tap_is_int(long long got, long long want, const char *file, int line,
	       const char *name);
int tap_is_str(const char *got, const char *want, const char *file, int line,
	       const char *name);
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan and returns the exit status (0 when all passed). */
int tap_done(void);
/* A fresh empty directory for this test run (removed by tap_done). */
const char *tap_tmpdir(void);
/* Writes tap_tmpdir()/name into buf and returns buf. */
const char *tap_path(char *buf, size_t size, const char *name);
/* Creates path with data, or bails out of the whole test. */
void tap_write_file(const char *path, const void *data, size_t len);
/*
 * Sends stderr to a file until tap_capture_end, which returns what was
 * written (NUL-terminated, at most 8 KiB, valid until the next capture).
 */
void tap_capture_begin(void);
const char *tap_capture_end(void);

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, name) tap_is_int((got), (want), __FILE__, __LINE__, (name))
#define is_str(got, want, name) tap_is_str((got), (want), __FILE__, __LINE__, (name))

#endif
