/* test-strmap.c: the string map finds what was added, through growth. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "libcommon/strmap.h"
#include "tests/lib/tap.h"

int
main(void)
{
	struct strmap *m = strmap_new(0);
	static char keys[20000][16];
	size_t i, found = 0;

	ok(strmap_get(m, "a") == NULL, "an empty map has nothing");
	ok(strmap_add(m, "a", (void *)1) == 1, "adding a new key returns 1");
	ok(strmap_add(m, "a", (void *)2) == 0, "adding it again returns 0");
	ok(strmap_get(m, "a") == (void *)1, "add keeps the first value");
	strmap_set(m, "a", (void *)3);
	ok(strmap_get(m, "a") == (void *)3, "set replaces the value");
	ok(strmap_has(m, "a") && !strmap_has(m, "b"), "has tells present from absent");
	for (i = 0; i < 20000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "svc-%zu", i);
		strmap_add(m, keys[i], (void *)(uintptr_t)(i + 1));
	}
	is_int((long long)strmap_count(m), 20001, "count includes every key");
	for (i = 0; i < 20000; i++)
		found += strmap_get(m, keys[i]) == (void *)(uintptr_t)(i + 1);
	is_int((long long)found, 20000, "every key survives growth");
	ok(strmap_get(m, "svc-20000") == NULL, "an absent key is still absent");
	strmap_free(m);
	return tap_done();
}
