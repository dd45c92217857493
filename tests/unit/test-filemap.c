/* test-filemap.c: mapped files read back exactly; bad paths are located. */
#include <stdio.h>
#include <string.h>

#include "libcommon/exitcodes.h"
#include "libcommon/filemap.h"
#include "tests/lib/tap.h"

int
main(void)
{
	char path[4200], empty[4200];
	struct filemap fm;
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/big.log", tap_tmpdir());
	f = fopen(path, "w");
	for (i = 0; i < 100000; i++)
		fprintf(f, "line %zu\n", i);
	fclose(f);
	is_int(filemap_open(path, &fm), 0, "a regular file maps");
	ok(fm.len > 600000 && memcmp(fm.data, "line 0\nline 1\n", 14) == 0,
	   "its bytes are there");
	ok(memcmp(fm.data + fm.len - 11, "line 99999\n", 11) == 0, "to the last line");
	filemap_close(&fm);
	ok(fm.data == NULL && fm.len == 0, "close empties the map");

	snprintf(empty, sizeof(empty), "%s/empty.log", tap_tmpdir());
	fclose(fopen(empty, "w"));
	is_int(filemap_open(empty, &fm), 0, "an empty file maps");
	ok(fm.data == NULL && fm.len == 0, "as no bytes");
	filemap_close(&fm);

	fprintf(stderr, "(error messages follow: expected)\n");
	is_int(filemap_open("/nonexistent/x.log", &fm), -CODE_EXIT_NOINPUT,
	       "a missing file is exit 66");
	is_int(filemap_open(tap_tmpdir(), &fm), -CODE_EXIT_NOINPUT,
	       "a directory is exit 66");
	is_int(filemap_open("/dev/null", &fm), -CODE_EXIT_NOINPUT,
	       "a device is not mapped");
	return tap_done();
}
