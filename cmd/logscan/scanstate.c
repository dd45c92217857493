/* scanstate.c: --state FILE, where each log was left, so cron runs neither skip nor double-count. */
#include "cmd/logscan/scanstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "libcommon/atomic.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/hash.h"
#include "libcommon/lock.h"
#include "libcommon/strbuf.h"
#include "libcommon/xalloc.h"

#define SCANSTATE_VERSION 1
/* Enough to tell a rewritten file from an appended one, cheap to reread. */
#define SCANSTATE_HEAD_MAX 256

struct scanstate {
	char *path;
	int lock_fd;
	json_t *files;  /* PATH -> entry object, validated on load */
};

/* One validated entry of "files". */
struct entry {
	uint64_t dev;
	uint64_t ino;
	off_t offset;
	uint64_t line;
	size_t head_len;
	const char *head;  /* borrowed from the JSON; "" when head_len is 0 */
};

/*
 * dev and inode are stored as the two's-complement json_int_t of their
 * unsigned value: overlayfs (xino) sets the high bits of inode numbers,
 * which a signed JSON integer could not otherwise hold.
 */
static json_int_t
id_to_json(uint64_t v)
{
	return (json_int_t)v;
}

static int
is_hex_digest(const char *s)
{
	size_t i;

	for (i = 0; i < HASH_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return s[i] == '\0';
}

/* Returns NULL when obj is a well-formed entry, else why it is not. */
static const char *
entry_parse(const json_t *obj, struct entry *e)
{
	const json_t *dev, *ino, *offset, *line, *head, *head_len;
	json_int_t hl;

	if (!json_is_object(obj))
		return "is not an object";
	dev = json_object_get(obj, "dev");
	ino = json_object_get(obj, "inode");
	offset = json_object_get(obj, "offset");
	line = json_object_get(obj, "line");
	head = json_object_get(obj, "head");
	head_len = json_object_get(obj, "head_len");
	if (!json_is_integer(dev))
		return "'dev' must be an integer";
	if (!json_is_integer(ino))
		return "'inode' must be an integer";
	if (!json_is_integer(offset) || json_integer_value(offset) < 0)
		return "'offset' must be a non-negative integer";
	if (!json_is_integer(line) || json_integer_value(line) < 0)
		return "'line' must be a non-negative integer";
	if (!json_is_string(head))
		return "'head' must be a string";
	/* Older writers may omit head_len: it was min(offset, 256) then. */
	if (head_len == NULL)
		hl = json_integer_value(offset) < SCANSTATE_HEAD_MAX ?
			json_integer_value(offset) : SCANSTATE_HEAD_MAX;
	else if (json_is_integer(head_len))
		hl = json_integer_value(head_len);
	else
		return "'head_len' must be an integer";
	if (hl < 0 || hl > SCANSTATE_HEAD_MAX || hl > json_integer_value(offset))
		return "'head_len' must be between 0 and min(offset, 256)";
	if (hl == 0 ? json_string_length(head) != 0
		    : !is_hex_digest(json_string_value(head)))
		return hl == 0 ? "'head' must be empty when 'head_len' is 0"
			       : "'head' must be 32 hex digits";
	e->dev = (uint64_t)json_integer_value(dev);
	e->ino = (uint64_t)json_integer_value(ino);
	e->offset = (off_t)json_integer_value(offset);
	e->line = (uint64_t)json_integer_value(line);
	e->head_len = (size_t)hl;
	e->head = json_string_value(head);
	return NULL;
}

/*
 * Digest of the first len bytes of fd. Returns how many bytes were read
 * (fewer than len only at end of file), or -1 with errno set.
 */
static ssize_t
head_hex(int fd, size_t len, char out[HASH_HEX_SIZE])
{
	unsigned char buf[SCANSTATE_HEAD_MAX];
	size_t got = 0;

	if (len > sizeof(buf))
		len = sizeof(buf);
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == 0)
		out[0] = '\0';
	else
		hash_buffer_hex(buf, got, out);
	return (ssize_t)got;
}

/* 1 when fd starts with the bytes e was recorded with, 0 when not, -1 on error. */
static int
head_matches(int fd, const struct entry *e)
{
	char hex[HASH_HEX_SIZE];
	ssize_t got;

	if (e->head_len == 0)
		return 1;
	if ((got = head_hex(fd, e->head_len, hex)) < 0)
		return -1;
	return (size_t)got == e->head_len && strcasecmp(hex, e->head) == 0;
}

/* A JSON object key must be UTF-8; a path that is not cannot be remembered. */
static int
check_utf8_path(const char *path)
{
	json_t *s = json_string(path);

	if (s == NULL)
		return diag_error(CODE_EXIT_DATAERR, NULL,
				  "'%s' cannot be kept in the state file: its name is not valid UTF-8",
				  path);
	json_decref(s);
	return 0;
}

/* path's directory with its trailing slash, or "" for a bare name. */
static char *
dir_prefix(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup("");
}

static int
check_state_dir(const char *path)
{
	char *dir = dir_prefix(path);
	struct stat sb;
	int err = 0;

	if (stat(dir[0] ? dir : ".", &sb) < 0)
		err = errno;
	else if (!S_ISDIR(sb.st_mode))
		err = ENOTDIR;
	free(dir);
	if (err)
		return diag_error_errno(CODE_EXIT_NOINPUT, err, NULL, "cannot open '%s'",
					path);
	return 0;
}

/* Checks the shape of a parsed state file and keeps its "files". */
static int
state_validate(struct scanstate *st, json_t *root)
{
	struct diag_loc loc = diag_file(st->path);
	const json_t *version, *files;
	const char *key, *why;
	json_t *value;
	struct entry e;

	if (!json_is_object(root))
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "invalid state file: not a JSON object");
	version = json_object_get(root, "version");
	if (!json_is_integer(version) || json_integer_value(version) < 1)
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "invalid state file: 'version' must be a positive integer");
	if (json_integer_value(version) != SCANSTATE_VERSION)
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "state file version %" JSON_INTEGER_FORMAT
				  " is newer than this code-logscan understands (%d): upgrade code-tools",
				  json_integer_value(version), SCANSTATE_VERSION);
	files = json_object_get(root, "files");
	if (!json_is_object(files))
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "invalid state file: 'files' must be an object");
	json_object_foreach((json_t *)files, key, value)
		if ((why = entry_parse(value, &e)) != NULL)
			return diag_error(CODE_EXIT_DATAERR, &loc,
					  "invalid state file: entry '%s': %s", key, why);
	st->files = json_incref((json_t *)files);
	return 0;
}

/* Reads the file under the lock; a missing or empty file is an empty state. */
static int
state_read(struct scanstate *st)
{
	json_error_t err;
	struct stat sb;
	json_t *root;
	int fd, ret;

	fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
					"cannot open '%s'", st->path);
	if (fstat(fd, &sb) < 0) {
		int e = errno;

		close(fd);
		return diag_error_errno(CODE_EXIT_NOINPUT, e, NULL,
					"cannot open '%s'", st->path);
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return diag_error(CODE_EXIT_NOINPUT, NULL,
				  "cannot open '%s': not a regular file", st->path);
	}
	/* `touch state.json` is a fine way to start. */
	if (sb.st_size == 0) {
		close(fd);
		return 0;
	}
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &err);
	close(fd);
	if (root == NULL) {
		struct diag_loc loc = {
			st->path, err.line > 0 ? (unsigned long)err.line : 0,
			err.column > 0 ? (unsigned long)err.column : 0
		};

		return diag_error(CODE_EXIT_DATAERR, &loc, "invalid state file: %s",
				  err.text);
	}
	ret = state_validate(st, root);
	json_decref(root);
	return ret;
}

int
scanstate_load(const char *path, struct scanstate **out)
{
	struct scanstate *st;
	int ret;

	*out = NULL;
	/* Else the lock module would report a missing directory as an I/O error. */
	if ((ret = check_state_dir(path)) < 0)
		return ret;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	st->lock_fd = -1;
	if ((ret = lock_acquire(path, &st->lock_fd)) < 0 ||
	    (ret = state_read(st)) < 0) {
		scanstate_free(st);
		return ret;
	}
	if (st->files == NULL)
		st->files = json_object();
	*out = st;
	return 0;
}

void
scanstate_free(struct scanstate *st)
{
	if (st == NULL)
		return;
	lock_release(st->lock_fd);
	json_decref(st->files);
	free(st->path);
	free(st);
}

/*
 * After a rotation the old inode usually lives on in the same directory
 * (app.log.1, app.log-20261123). Returns its path when it still holds at
 * least what was consumed, with the same head; NULL when it is gone,
 * compressed, or truncated since.
 */
static char *
find_rotated(const char *path, const struct entry *e)
{
	char *prefix = dir_prefix(path), *found = NULL;
	struct dirent *de;
	DIR *dir;

	dir = opendir(prefix[0] ? prefix : ".");
	if (dir == NULL) {
		free(prefix);
		return NULL;
	}
	while ((de = readdir(dir)) != NULL) {
		struct stat sb;
		int fd, same;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode) || (uint64_t)sb.st_dev != e->dev ||
		    (uint64_t)sb.st_ino != e->ino)
			continue;
		/* Hard links share the inode: one answer serves them all. */
		fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			break;
		same = fstat(fd, &sb) == 0 && (uint64_t)sb.st_ino == e->ino &&
		       (uint64_t)sb.st_dev == e->dev && sb.st_size >= e->offset &&
		       head_matches(fd, e) == 1;
		close(fd);
		if (same) {
			struct strbuf sb_path = STRBUF_INIT;

			strbuf_addf(&sb_path, "%s%s", prefix, de->d_name);
			found = strbuf_detach(&sb_path, NULL);
		}
		break;
	}
	closedir(dir);
	free(prefix);
	return found;
}

int
scanstate_resume(struct scanstate *st, const char *path, int fd,
		 const struct stat *sb, struct scanstate_resume *out)
{
	struct entry e;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = check_utf8_path(path)) < 0)
		return ret;
	/* A pipe or device has no offset to come back to. */
	if (!S_ISREG(sb->st_mode))
		return 0;
	if (entry_parse(json_object_get(st->files, path), &e) != NULL)
		return 0;
	if ((uint64_t)sb->st_dev == e.dev && (uint64_t)sb->st_ino == e.ino) {
		if (sb->st_size < e.offset) {
			out->truncated = true;
			return 0;
		}
		ret = head_matches(fd, &e);
		if (ret < 0)
			return diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
						"cannot read '%s'", path);
		if (ret == 0) {
			out->truncated = true;
			return 0;
		}
		out->start = e.offset;
		out->line = e.line;
		return 0;
	}
	out->rotated_path = find_rotated(path, &e);
	if (out->rotated_path != NULL) {
		out->rotated_start = e.offset;
		out->rotated_line = e.line;
	} else {
		out->rotated_lost = true;
	}
	return 0;
}

int
scanstate_record(struct scanstate *st, const char *path, int fd,
		 const struct stat *sb, off_t offset, uint64_t line)
{
	char hex[HASH_HEX_SIZE];
	size_t want;
	ssize_t got;
	json_t *entry;
	int ret;

	if ((ret = check_utf8_path(path)) < 0)
		return ret;
	if (!S_ISREG(sb->st_mode))
		return 0;
	if (offset < 0 || line > (uint64_t)INT64_MAX)
		return diag_error(CODE_EXIT_SOFTWARE, NULL,
				  "bad position for '%s' in the state file", path);
	want = offset < SCANSTATE_HEAD_MAX ? (size_t)offset : SCANSTATE_HEAD_MAX;
	if ((got = head_hex(fd, want, hex)) < 0)
		return diag_error_errno(CODE_EXIT_IOERR, errno, NULL,
					"cannot read '%s'", path);
	/* head_len is what was read, so a file shrunk under us still compares. */
	entry = json_pack("{s:I, s:I, s:I, s:I, s:s, s:I}",
			  "dev", id_to_json((uint64_t)sb->st_dev),
			  "inode", id_to_json((uint64_t)sb->st_ino),
			  "offset", (json_int_t)offset,
			  "line", (json_int_t)line,
			  "head", hex,
			  "head_len", (json_int_t)got);
	if (entry == NULL || json_object_set_new(st->files, path, entry) < 0)
		return diag_error(CODE_EXIT_SOFTWARE, NULL,
				  "cannot record '%s' in the state file", path);
	return 0;
}

int
scanstate_save(struct scanstate *st)
{
	json_t *root;
	int ret;

	root = json_pack("{s:i, s:O}", "version", SCANSTATE_VERSION, "files",
			 st->files);
	ret = atomic_write_json(st->path, root, 0600, "the state file");
	json_decref(root);
	return ret;
}
