/* arena.h: a bump allocator for parsers that free everything at once. */
#ifndef CODE_ARENA_H
#define CODE_ARENA_H

#include <stddef.h>

/* Opaque. Memory from an arena lives until arena_free(). */
struct arena;

/* block_size 0 picks the default (64 KiB); larger requests get own blocks. */
struct arena *arena_new(size_t block_size);
/* Returns memory aligned for any type; exits 70 on ENOMEM like xmalloc. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t count, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Bytes handed out so far (for limits and tests). */
size_t arena_used(const struct arena *a);
void arena_free(struct arena *a);

#endif
