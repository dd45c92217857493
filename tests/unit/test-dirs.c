/* test-dirs.c: state and cache directories follow SPEC section 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	{
		char priv[4200], link[4200], other[4200];
		const char *err;

		snprintf(priv, sizeof(priv), "%s/priv", tap_tmpdir());
		mkdir(priv, 0755);
		tap_capture_begin();
		is_int(dirs_check_private(priv), 0, "a directory of ours is accepted");
		err = tap_capture_end();
		ok(strstr(err, "making it 0700") != NULL, "a group/other-readable one is warned about");
		ok(stat(priv, &st) == 0 && (st.st_mode & 0777) == 0700, "and made 0700");
		snprintf(link, sizeof(link), "%s/mylink", tap_tmpdir());
		symlink(priv, link);
		is_int(dirs_check_private(link), 0, "reached through our own symlink: fine");
		snprintf(other, sizeof(other), "%s/theirlink", tap_tmpdir());
		symlink(priv, other);
		if (getuid() == 0 && lchown(other, 65534, 65534) == 0) {
			tap_capture_begin();
			ok(dirs_check_private(other) < 0, "a symlink owned by another user is refused");
			ok(strstr(tap_capture_end(), "symbolic link owned by another user") != NULL,
			   "and the reason is given");
			chown(priv, 65534, 65534);
			tap_capture_begin();
			ok(dirs_check_private(priv) < 0, "a directory owned by another user is refused");
			ok(strstr(tap_capture_end(), "owned by another user (uid 65534)") != NULL,
			   "naming the owner");
			chown(priv, 0, 0);
		} else {
			ok(1, "# SKIP needs root to make files of another user");
			ok(1, "# SKIP needs root");
			ok(1, "# SKIP needs root");
			ok(1, "# SKIP needs root");
		}
		tap_capture_begin();
		ok(dirs_check_private("/nonexistent/cache") < 0, "a missing directory is refused");
		tap_capture_end();
	}
	fprintf(stderr, "(an error message follows: expected)\n");
	ok(dirs_make("/proc/no/such/dir", 0700) < 0, "an impossible directory fails");
	return tap_done();
}
