/* dirs.c: where state and cache live (SPEC section 1), created 0700. */
#include "libcommon/dirs.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

int
dirs_make(const char *path, unsigned mode)
{
	char *copy = xstrdup(path), *p;
	struct stat st;
	int ret = 0;

	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(copy, (mode_t)mode) < 0 && errno != EEXIST) {
			ret = diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
					       "cannot create directory '%s'", copy);
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (ret == 0 && (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)))
		ret = diag_error(CODE_EXIT_IOERR, NULL, "'%s' is not a directory", path);
	free(copy);
	return ret;
}

static int
dirs_resolve(const char *env_name, const char *xdg_name, const char *fallback,
	     char **out)
{
	const char *v = getenv(env_name);
	struct strbuf sb = STRBUF_INIT;
	int ret;

	*out = NULL;
	if (v && *v) {
		strbuf_addstr(&sb, v);
	} else if ((v = getenv(xdg_name)) && *v == '/') {
		strbuf_addf(&sb, "%s/code-tools", v);
	} else {
		const char *home = getenv("HOME");

		if (home == NULL || *home == '\0') {
			struct passwd *pw = getpwuid(getuid());

			home = pw ? pw->pw_dir : NULL;
		}
		if (home == NULL)
			return diag_error(CODE_EXIT_IOERR, NULL,
					  "cannot find a home directory: set %s",
					  env_name);
		strbuf_addf(&sb, "%s/%s/code-tools", home, fallback);
	}
	ret = dirs_make(sb.buf, 0700);
	if (ret < 0) {
		strbuf_release(&sb);
		return ret;
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

int
dirs_state(char **out)
{
	return dirs_resolve("CODE_STATE_DIR", "XDG_STATE_HOME", ".local/state", out);
}

int
dirs_cache(char **out)
{
	return dirs_resolve("CODE_CACHE_DIR", "XDG_CACHE_HOME", ".cache", out);
}
