/* arena.c: a bump allocator for parsers that free everything at once. */
#include "libcommon/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/xalloc.h"

#define ARENA_DEFAULT_BLOCK (64u * 1024u)
#define ARENA_ALIGN alignof(max_align_t)

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct arena_block *head;
	size_t block_size;
	size_t used;
};

struct arena *
arena_new(size_t block_size)
{
	struct arena *a = xcalloc(1, sizeof(*a));

	a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
	return a;
}

static struct arena_block *
arena_block_new(size_t size)
{
	struct arena_block *b;

	if (size > SIZE_MAX - sizeof(*b))
		size = SIZE_MAX - sizeof(*b); /* xmalloc fails and exits */
	b = xmalloc(sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t rounded;
	void *p;

	if (n > SIZE_MAX - ARENA_ALIGN)
		n = SIZE_MAX - ARENA_ALIGN;
	rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (rounded == 0)
		rounded = ARENA_ALIGN;
	if (b == NULL || b->size - b->used < rounded) {
		if (rounded > a->block_size / 4) {
			/* Big requests get their own block behind the head,
			 * so the head's free space is not thrown away. */
			struct arena_block *big = arena_block_new(rounded);

			big->used = rounded;
			if (b) {
				big->next = b->next;
				b->next = big;
			} else {
				a->head = big;
			}
			a->used += rounded;
			return big->data;
		}
		b = arena_block_new(a->block_size);
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += rounded;
	a->used += rounded;
	return p;
}

void *
arena_calloc(struct arena *a, size_t count, size_t size)
{
	void *p;

	if (size && count > SIZE_MAX / size)
		count = SIZE_MAX / size + 1 > count ? count : SIZE_MAX; /* fails */
	p = arena_alloc(a, count * size);
	memset(p, 0, count * size);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, SIZE_MAX);
}

size_t
arena_used(const struct arena *a)
{
	return a->used;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}
