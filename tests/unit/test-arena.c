/* test-arena.c: arena memory is aligned, separate and freed at once. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "libcommon/arena.h"
#include "tests/lib/tap.h"

int
main(void)
{
	struct arena *a = arena_new(1024);
	char *s, *big, *p[1000];
	size_t i, aligned = 0, intact = 0;

	for (i = 0; i < 1000; i++) {
		p[i] = arena_alloc(a, (i % 13) + 1);
		aligned += ((uintptr_t)p[i] % alignof(max_align_t)) == 0;
		memset(p[i], (int)(i & 0xff), (i % 13) + 1);
	}
	is_int((long long)aligned, 1000, "every allocation is aligned for any type");
	for (i = 0; i < 1000; i++)
		intact += (unsigned char)p[i][0] == (i & 0xff) &&
			  (unsigned char)p[i][i % 13] == (i & 0xff);
	is_int((long long)intact, 1000, "allocations do not overlap");
	s = arena_strdup(a, "hello");
	is_str(s, "hello", "strdup copies");
	is_str(arena_strndup(a, "hello", 3), "hel", "strndup cuts");
	big = arena_alloc(a, 100000);
	memset(big, 1, 100000);
	ok(big != NULL, "a request larger than a block is served");
	is_str(s, "hello", "earlier memory survives a big request");
	ok(((char *)arena_calloc(a, 10, 10))[99] == 0, "calloc zeroes");
	ok(arena_used(a) >= 100000 + 100, "used counts handed-out bytes");
	arena_free(a);
	arena_free(NULL);
	ok(1, "freeing NULL is harmless");
	return tap_done();
}
