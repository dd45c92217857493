/* test-dirs.c: state and cache directories follow SPEC section 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libcommon/dirs.h"
#include "tests/lib/tap.h"

int
main(void)
{
	char want[4200], home[4200];
	struct stat st;
	char *dir = NULL;

	snprintf(want, sizeof(want), "%s/explicit/state", tap_tmpdir());
	setenv("CODE_STATE_DIR", want, 1);
	is_int(dirs_state(&dir), 0, "CODE_STATE_DIR is used");
	is_str(dir, want, "the path is CODE_STATE_DIR");
	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	   "it is created 0700");
	free(dir);
	unsetenv("CODE_STATE_DIR");

	snprintf(home, sizeof(home), "%s/xdg", tap_tmpdir());
	setenv("XDG_STATE_HOME", home, 1);
	snprintf(want, sizeof(want), "%s/xdg/code-tools", tap_tmpdir());
	is_int(dirs_state(&dir), 0, "XDG_STATE_HOME is used next");
	is_str(dir, want, "the path is XDG_STATE_HOME/code-tools");
	free(dir);
	unsetenv("XDG_STATE_HOME");

	snprintf(home, sizeof(home), "%s/home", tap_tmpdir());
	setenv("HOME", home, 1);
	unsetenv("XDG_CACHE_HOME");
	unsetenv("CODE_CACHE_DIR");
	snprintf(want, sizeof(want), "%s/home/.cache/code-tools", tap_tmpdir());
	is_int(dirs_cache(&dir), 0, "the cache falls back to HOME");
	is_str(dir, want, "the path is ~/.cache/code-tools");
	free(dir);
	snprintf(want, sizeof(want), "%s/home/.local/state/code-tools", tap_tmpdir());
	is_int(dirs_state(&dir), 0, "the state falls back to HOME");
	is_str(dir, want, "the path is ~/.local/state/code-tools");
	free(dir);
	fprintf(stderr, "(an error message follows: expected)\n");
	ok(dirs_make("/proc/no/such/dir", 0700) < 0, "an impossible directory fails");
	return tap_done();
}
