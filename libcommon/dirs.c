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

int
dirs_check_private(const char *path)
{
	struct strbuf abs = STRBUF_INIT;
	uid_t me = getuid();
	struct stat st;
	char *p;
	int ret = 0;

	if (path[0] != '/') {
		char cwd[4096];

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
						"refusing to use '%s': cannot resolve it", path);
		strbuf_addf(&abs, "%s/", cwd);
	}
	strbuf_addstr(&abs, path);
	/* Every prefix, as the kernel walks it: a link anywhere can redirect the rest. */
	for (p = abs.buf + 1; ret == 0; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (lstat(abs.buf, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid != me &&
		    st.st_uid != 0)
			ret = diag_error(CODE_EXIT_NOINPUT, NULL,
					 "refusing to use '%s': '%s' is a symbolic link owned by another user (uid %lu)",
					 path, abs.buf, (unsigned long)st.st_uid);
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (ret == 0 && stat(path, &st) != 0)
		ret = diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL, "refusing to use '%s'", path);
	else if (ret == 0 && !S_ISDIR(st.st_mode))
		ret = diag_error(CODE_EXIT_NOINPUT, NULL, "refusing to use '%s': not a directory",
				 path);
	else if (ret == 0 && st.st_uid != me)
		ret = diag_error(CODE_EXIT_NOINPUT, NULL,
				 "refusing to use '%s': it is owned by another user (uid %lu)", path,
				 (unsigned long)st.st_uid);
	else if (ret == 0 && (st.st_mode & 077) != 0) {
		diag_warn(NULL, "'%s' was open to other users (mode %03o); making it 0700", path,
			  (unsigned)(st.st_mode & 0777));
		if (chmod(path, 0700) != 0)
			ret = diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
					       "refusing to use '%s': cannot make it private", path);
	}
	strbuf_release(&abs);
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
