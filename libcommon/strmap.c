/* strmap.c: a hash map from borrowed C strings to pointers. */
#include "libcommon/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "libcommon/xalloc.h"

struct strmap_slot {
	const char *key; /* NULL: empty */
	uint64_t hash;
	void *value;
};

/* Open addressing with linear probing; the load factor stays below 1/2. */
struct strmap {
	struct strmap_slot *slots;
	size_t mask;
	size_t count;
	uint64_t seed;
};

/*
 * Keys often come from input (service names, YAML anchors). With a fixed
 * hash, names picked offline to share their low bits land in one probe
 * chain and make a 15 MB manifest take minutes; a per-map seed from the
 * clock and two ASLR-randomised addresses cannot be aimed at.
 */
static uint64_t
strmap_seed(const void *salt)
{
	struct timespec ts = { 0, 0 };
	uint64_t x[3];

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	x[0] = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	x[1] = (uint64_t)(uintptr_t)salt;
	x[2] = (uint64_t)(uintptr_t)&ts;
	return XXH3_64bits(x, sizeof(x));
}

static uint64_t
strmap_hash(const struct strmap *m, const char *key)
{
	return XXH3_64bits_withSeed(key, strlen(key), m->seed);
}

struct strmap *
strmap_new(size_t expected)
{
	struct strmap *m = xcalloc(1, sizeof(*m));
	size_t size = 16;

	while (size < expected * 2 + 2 && size < (SIZE_MAX >> 2))
		size <<= 1;
	m->slots = xcalloc(size, sizeof(*m->slots));
	m->mask = size - 1;
	m->seed = strmap_seed(m);
	return m;
}

static struct strmap_slot *
strmap_find(const struct strmap *m, const char *key, uint64_t hash)
{
	size_t i = (size_t)hash & m->mask;

	for (;;) {
		struct strmap_slot *s = &m->slots[i];

		if (s->key == NULL || (s->hash == hash && strcmp(s->key, key) == 0))
			return s;
		i = (i + 1) & m->mask;
	}
}

static void
strmap_grow(struct strmap *m)
{
	struct strmap_slot *old = m->slots;
	size_t old_size = m->mask + 1, i;

	m->slots = xcalloc(old_size * 2, sizeof(*m->slots));
	m->mask = old_size * 2 - 1;
	for (i = 0; i < old_size; i++)
		if (old[i].key)
			*strmap_find(m, old[i].key, old[i].hash) = old[i];
	free(old);
}

static struct strmap_slot *
strmap_slot_for(struct strmap *m, const char *key, int *is_new)
{
	uint64_t hash = strmap_hash(m, key);
	struct strmap_slot *s;

	if ((m->count + 1) * 2 > m->mask + 1)
		strmap_grow(m);
	s = strmap_find(m, key, hash);
	*is_new = s->key == NULL;
	if (*is_new) {
		s->key = key;
		s->hash = hash;
		m->count++;
	}
	return s;
}

int
strmap_add(struct strmap *m, const char *key, void *value)
{
	int is_new;
	struct strmap_slot *s = strmap_slot_for(m, key, &is_new);

	if (is_new)
		s->value = value;
	return is_new;
}

void
strmap_set(struct strmap *m, const char *key, void *value)
{
	int is_new;

	strmap_slot_for(m, key, &is_new)->value = value;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s = strmap_find(m, key, strmap_hash(m, key));

	return s->key ? s->value : NULL;
}

int
strmap_has(const struct strmap *m, const char *key)
{
	return strmap_find(m, key, strmap_hash(m, key))->key != NULL;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}

void
strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}
