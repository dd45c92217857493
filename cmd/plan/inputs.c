/* inputs.c: the content digest of a service's input files. */
#include "cmd/plan/inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

struct path_list {
	char **items; /* paths relative to base_dir, as the pattern spells them */
	size_t n;
	size_t alloc;
};

static void
path_list_add(struct path_list *l, const char *path)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 64;
		l->items = xreallocarray(l->items, l->alloc, sizeof(*l->items));
	}
	l->items[l->n++] = xstrdup(path);
}

static void
path_list_release(struct path_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
}

static bool
has_glob(const char *segment)
{
	return strpbrk(segment, "*?[") != NULL;
}

/* Joins base_dir and a relative path into full (reset first). */
static void
full_path(struct strbuf *full, const char *base_dir, const char *rel)
{
	strbuf_reset(full);
	if (rel[0] != '/' && strcmp(base_dir, ".") != 0)
		strbuf_addf(full, "%s/", base_dir);
	strbuf_addstr(full, rel[0] ? rel : ".");
}

/* Adds every file under directory rel, recursively, not following links. */
static int
add_tree(const char *base_dir, const char *rel, struct path_list *out,
	 unsigned depth)
{
	struct strbuf full = STRBUF_INIT, child = STRBUF_INIT;
	struct dirent *de;
	DIR *dir;
	int ret = 0;

	if (depth > 256)
		return 0;
	full_path(&full, base_dir, rel);
	dir = opendir(full.buf);
	if (dir == NULL) {
		ret = diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
				       "cannot read directory '%s'", full.buf);
		goto out;
	}
	while ((de = readdir(dir)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		strbuf_reset(&child);
		if (rel[0])
			strbuf_addf(&child, "%s/", rel);
		strbuf_addstr(&child, de->d_name);
		full_path(&full, base_dir, child.buf);
		if (lstat(full.buf, &st) < 0)
			continue; /* removed while we looked: not an input */
		if (S_ISDIR(st.st_mode)) {
			if ((ret = add_tree(base_dir, child.buf, out, depth + 1)) < 0)
				break;
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			path_list_add(out, child.buf);
		}
	}
	closedir(dir);
out:
	strbuf_release(&full);
	strbuf_release(&child);
	return ret;
}

/*
 * Matches the pattern segments segs[i..n) below directory rel. A "**"
 * segment matches zero or more directories.
 */
static int
expand(const char *base_dir, const char *rel, char **segs, size_t i, size_t n,
       struct path_list *out, unsigned depth)
{
	struct strbuf full = STRBUF_INIT, child = STRBUF_INIT;
	struct stat st;
	struct dirent *de;
	DIR *dir = NULL;
	int ret = 0;

	if (depth > 256)
		return 0;
	if (i == n) {
		full_path(&full, base_dir, rel);
		if (lstat(full.buf, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				ret = add_tree(base_dir, rel, out, depth);
			else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
				path_list_add(out, rel);
		}
		goto out;
	}
	if (strcmp(segs[i], "**") == 0) {
		if (i + 1 == n) {
			full_path(&full, base_dir, rel);
			if (lstat(full.buf, &st) == 0 && S_ISDIR(st.st_mode))
				ret = add_tree(base_dir, rel, out, depth);
			goto out;
		}
		/* Zero directories... */
		if ((ret = expand(base_dir, rel, segs, i + 1, n, out, depth + 1)) < 0)
			goto out;
	}
	if (!has_glob(segs[i])) {
		strbuf_addf(&child, "%s%s%s", rel, rel[0] && strcmp(rel, "/") ? "/" : "",
			    segs[i]);
		ret = expand(base_dir, child.buf, segs, i + 1, n, out, depth + 1);
		goto out;
	}
	full_path(&full, base_dir, rel);
	dir = opendir(full.buf);
	if (dir == NULL)
		goto out; /* nothing there: the pattern matches nothing */
	while ((de = readdir(dir)) != NULL) {
		bool is_dir;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		strbuf_reset(&child);
		strbuf_addf(&child, "%s%s%s", rel, rel[0] && strcmp(rel, "/") ? "/" : "",
			    de->d_name);
		full_path(&full, base_dir, child.buf);
		if (lstat(full.buf, &st) < 0)
			continue;
		is_dir = S_ISDIR(st.st_mode);
		if (strcmp(segs[i], "**") == 0) {
			/* ...or one more, staying on "**". */
			if (is_dir && (ret = expand(base_dir, child.buf, segs, i, n,
						    out, depth + 1)) < 0)
				break;
			continue;
		}
		if (fnmatch(segs[i], de->d_name, 0) != 0)
			continue;
		if (i + 1 < n && !is_dir)
			continue;
		if ((ret = expand(base_dir, child.buf, segs, i + 1, n, out,
				  depth + 1)) < 0)
			break;
	}
out:
	if (dir)
		closedir(dir);
	strbuf_release(&full);
	strbuf_release(&child);
	return ret;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits a pattern at '/', dropping empty and "." segments. */
static size_t
split_pattern(char *copy, char **segs, size_t max)
{
	size_t n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(copy, "/", &save); tok && n < max;
	     tok = strtok_r(NULL, "/", &save))
		if (strcmp(tok, ".") != 0)
			segs[n++] = tok;
	return n;
}

static int
digest_file(struct hasher *all, const char *base_dir, const char *rel)
{
	struct strbuf full = STRBUF_INIT;
	char file_hex[HASH_HEX_SIZE], link[PATH_MAX + 1];
	struct hasher *h = hasher_new();
	struct stat st;
	int ret = 0;

	full_path(&full, base_dir, rel);
	if (lstat(full.buf, &st) == 0 && S_ISLNK(st.st_mode)) {
		ssize_t len = readlink(full.buf, link, sizeof(link) - 1);

		if (len < 0) {
			ret = diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
					       "cannot read link '%s'", full.buf);
			goto out;
		}
		link[len] = '\0';
		hasher_update_str(h, "link");
		hasher_update_str(h, link);
	} else {
		hasher_update_str(h, "file");
		if ((ret = hasher_update_file(h, full.buf)) < 0)
			goto out;
	}
	hasher_hex(h, file_hex);
	hasher_update_str(all, rel);
	hasher_update_str(all, file_hex);
out:
	hasher_free(h);
	strbuf_release(&full);
	return ret;
}

int
inputs_digest(const struct yaml_doc *doc, const char *base_dir,
	      const json_t *patterns, char out[HASH_HEX_SIZE])
{
	struct path_list files = { NULL, 0, 0 };
	struct hasher *all = hasher_new();
	const json_t *item;
	size_t i, k;
	int ret = 0;

	json_array_foreach(patterns, i, item) {
		const char *pattern = json_string_value(item);
		char *copy = xstrdup(pattern);
		size_t len = strlen(pattern), before = files.n;
		char **segs = xcalloc(len / 2 + 2, sizeof(*segs));
		size_t n = split_pattern(copy, segs, len / 2 + 2);

		ret = expand(base_dir, pattern[0] == '/' ? "/" : "", segs, 0, n,
			     &files, 0);
		free(segs);
		free(copy);
		if (ret < 0)
			goto out;
		if (files.n == before) {
			struct diag_loc loc = yaml_loc_item(doc, patterns, i);

			diag_warn(&loc, "input '%s' matches no files", pattern);
		}
	}
	if (files.n > 1)
		qsort(files.items, files.n, sizeof(*files.items), path_cmp);
	for (i = 0, k = 0; i < files.n; i++) {
		if (k > 0 && strcmp(files.items[k - 1], files.items[i]) == 0) {
			free(files.items[i]);
			continue;
		}
		files.items[k++] = files.items[i];
	}
	files.n = k;
	for (i = 0; i < files.n; i++)
		if ((ret = digest_file(all, base_dir, files.items[i])) < 0)
			goto out;
	hasher_hex(all, out);
out:
	hasher_free(all);
	path_list_release(&files);
	return ret;
}
