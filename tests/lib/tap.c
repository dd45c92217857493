/* tap.c: Test Anything Protocol output for the C unit tests. */
#include "tests/lib/tap.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Test-only state: a unit test is one single-threaded process. */
static char tap_captured[8192];
static int tap_saved_stderr = -1;
static int tap_count;
static int tap_failed;
static char tap_dir[4096];

static void
tap_vline(int pass, const char *fmt, va_list ap)
{
	printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		tap_failed++;
}

int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
	return pass;
}

int
tap_is_int(long long got, long long want, const char *file, int line,
	   const char *name)
{
	int pass = got == want;

	tap_ok(pass, file, line, "%s", name);
	if (!pass)
		printf("#   got %lld, want %lld\n", got, want);
	return pass;
}

int
tap_is_str(const char *got, const char *want, const char *file, int line,
	   const char *name)
{
	int pass = (got == NULL && want == NULL) ||
		   (got && want && strcmp(got, want) == 0);

	tap_ok(pass, file, line, "%s", name);
	if (!pass)
		printf("#   got '%s', want '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return pass;
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

const char *
tap_tmpdir(void)
{
	if (tap_dir[0] == '\0') {
		const char *base = getenv("TMPDIR");

		snprintf(tap_dir, sizeof(tap_dir), "%s/code-unit-XXXXXX",
			 base && *base ? base : "/tmp");
		if (mkdtemp(tap_dir) == NULL) {
			printf("Bail out! cannot make a temporary directory\n");
			exit(1);
		}
	}
	return tap_dir;
}

int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_dir[0]) {
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tap_dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tap_dir);
	}
	return tap_failed ? 1 : 0;
}

const char *
tap_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tap_tmpdir(), name);
	return buf;
}

void
tap_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}

void
tap_capture_begin(void)
{
	char path[4200];
	int fd;

	fd = open(tap_path(path, sizeof(path), "stderr"),
		  O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stderr);
	tap_saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

const char *
tap_capture_end(void)
{
	char path[4200];
	FILE *f;
	size_t n = 0;

	fflush(stderr);
	dup2(tap_saved_stderr, 2);
	close(tap_saved_stderr);
	f = fopen(tap_path(path, sizeof(path), "stderr"), "r");
	if (f) {
		n = fread(tap_captured, 1, sizeof(tap_captured) - 1, f);
		fclose(f);
	}
	tap_captured[n] = '\0';
	return tap_captured;
}
