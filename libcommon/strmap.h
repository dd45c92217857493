/* strmap.h: a hash map from borrowed C strings to pointers. */
#ifndef CODE_STRMAP_H
#define CODE_STRMAP_H

#include <stddef.h>

/* Opaque. Keys are borrowed: they must outlive the map. */
struct strmap;

struct strmap *strmap_new(size_t expected);
/*
 * Adds key -> value unless key is present. Returns 1 when added, 0 when
 * the key was already there (its value is left unchanged).
 */
int strmap_add(struct strmap *m, const char *key, void *value);
/* Adds or replaces. */
void strmap_set(struct strmap *m, const char *key, void *value);
/* Returns the value, or NULL when key is absent. */
void *strmap_get(const struct strmap *m, const char *key);
int strmap_has(const struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);
void strmap_free(struct strmap *m);

#endif
