/* dirwalk.c: the regular files under a list of paths, in a stable order. */
#include "libcommon/dirwalk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

/* Deeper than any real log tree; stops a hostile one from exhausting us. */
#define DIRWALK_MAX_DEPTH 256

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
walk_dir(struct strbuf *path, unsigned depth, dirwalk_fn fn, void *arg)
{
	char **names = NULL;
	size_t n = 0, alloc = 0, i, base = path->len;
	struct dirent *de;
	DIR *dir;
	int ret = 0;

	if (depth > DIRWALK_MAX_DEPTH) {
		diag_warn(NULL, "'%s' is nested too deeply; skipped", path->buf);
		return 0;
	}
	dir = opendir(path->buf);
	if (dir == NULL) {
		diag_warn(NULL, "cannot read directory '%s': %s", path->buf,
			  strerror(errno));
		return 0;
	}
	/* Read all names first: a sorted walk, and one open DIR at a time
	 * per level instead of one per level held across the recursion. */
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			names = xreallocarray(names, alloc, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && ret == 0; i++) {
		struct stat st;

		strbuf_setlen(path, base);
		if (base == 0 || path->buf[base - 1] != '/')
			strbuf_addch(path, '/');
		strbuf_addstr(path, names[i]);
		if (lstat(path->buf, &st) < 0)
			continue; /* gone while we looked */
		if (S_ISDIR(st.st_mode)) {
			ret = walk_dir(path, depth + 1, fn, arg);
		} else if (S_ISREG(st.st_mode)) {
			ret = fn(path->buf, arg);
		} else if (S_ISLNK(st.st_mode) && stat(path->buf, &st) == 0 &&
			   S_ISREG(st.st_mode)) {
			ret = fn(path->buf, arg);
		}
	}
	strbuf_setlen(path, base);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int
dirwalk(const char *const *paths, size_t n, dirwalk_fn fn, void *arg)
{
	struct strbuf path = STRBUF_INIT;
	size_t i;
	int ret = 0, missing = 0;

	for (i = 0; i < n && ret == 0; i++) {
		struct stat st;

		if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			strbuf_reset(&path);
			strbuf_addstr(&path, paths[i]);
			ret = walk_dir(&path, 0, fn, arg);
		} else if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) < 0) {
			diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
					 "cannot open '%s'", paths[i]);
			missing = 1;
		} else {
			ret = fn(paths[i], arg);
		}
	}
	strbuf_release(&path);
	if (ret == 0 && missing)
		ret = -CODE_EXIT_NOINPUT;
	return ret;
}
