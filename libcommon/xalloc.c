/* xalloc.c: allocation wrappers that end the process on ENOMEM. */
#include "libcommon/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"

static void
xalloc_die(void)
{
	/* No allocation here: stdio may need memory we do not have. */
	static const char msg[] = ": out of memory\n";
	const char *name = diag_progname();

	(void)!write(STDERR_FILENO, name, strlen(name));
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(CODE_EXIT_SOFTWARE);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		xalloc_die();
	return p;
}

void *
xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (p == NULL)
		xalloc_die();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		xalloc_die();
	return q;
}

void *
xreallocarray(void *p, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		xalloc_die();
	return xrealloc(p, count * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
