/* filemap.c: a regular file's bytes in memory, mapped read-only. */
#include "libcommon/filemap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"

int
filemap_open(const char *path, struct filemap *out)
{
	struct stat st;
	void *p;
	int fd, err;

	out->data = NULL;
	out->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
					"cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return diag_error_errno(CODE_EXIT_NOINPUT, err, NULL,
					"cannot open '%s'", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return diag_error(CODE_EXIT_NOINPUT, NULL,
				  "cannot open '%s': %s", path,
				  S_ISDIR(st.st_mode) ? "Is a directory"
						      : "not a regular file");
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		if (st.st_size == 0)
			return 0;
		return diag_error(CODE_EXIT_IOERR, NULL, "'%s' is too large to map", path);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = errno;
	close(fd); /* the mapping keeps the file */
	if (p == MAP_FAILED)
		return diag_error_errno(CODE_EXIT_IOERR, err, NULL, "cannot map '%s'",
					path);
	(void)posix_madvise(p, (size_t)st.st_size, POSIX_MADV_SEQUENTIAL);
	out->data = p;
	out->len = (size_t)st.st_size;
	return 0;
}

void
filemap_close(struct filemap *fm)
{
	if (fm->data)
		munmap((void *)fm->data, fm->len);
	fm->data = NULL;
	fm->len = 0;
}
