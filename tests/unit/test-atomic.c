/* test-atomic.c: atomic writes replace whole files with the right mode. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "libcommon/atomic.h"
#include "libcommon/exitcodes.h"
#include "tests/lib/tap.h"

static size_t
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

int
main(void)
{
	char path[4200], buf[64] = { 0 };
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/state.json", tap_tmpdir());
	is_int(atomic_write_file(path, "first", 5, 0600), 0, "a new file is written");
	is_int(atomic_write_file(path, "second", 6, 0600), 0, "an existing file is replaced");
	f = fopen(path, "r");
	ok(f && fread(buf, 1, sizeof(buf) - 1, f) == 6, "the file has the new length");
	if (f)
		fclose(f);
	is_str(buf, "second", "the file has the new contents");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the mode is 0600");
	is_int((long long)count_entries(tap_tmpdir()), 1, "no temporary file is left behind");
	fprintf(stderr, "(an error message follows: expected)\n");
	is_int(atomic_write_file("/nonexistent/dir/x", "a", 1, 0600), -CODE_EXIT_IOERR,
	       "an impossible path is exit 74");
	return tap_done();
}
