/* xalloc.h: allocation wrappers that end the process on ENOMEM. */
#ifndef CODE_XALLOC_H
#define CODE_XALLOC_H

#include <stddef.h>

/* Each returns valid memory or prints "out of memory" and exits 70. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Like xrealloc for an array of count elements, checking the product. */
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
