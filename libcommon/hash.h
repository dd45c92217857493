/* hash.h: content digests (XXH3-128 from libxxhash) as 32 hex characters. */
#ifndef CODE_HASH_H
#define CODE_HASH_H

#include <stddef.h>
#include <jansson.h>

#define HASH_HEX_LEN 32
#define HASH_HEX_SIZE (HASH_HEX_LEN + 1)

/* Opaque streaming hasher. */
struct hasher;

struct hasher *hasher_new(void);
void hasher_update(struct hasher *h, const void *data, size_t len);
/* Adds a string with its length, so ("ab","c") and ("a","bc") differ. */
void hasher_update_str(struct hasher *h, const char *s);
/* Writes the digest of everything added so far; h stays usable. */
void hasher_hex(const struct hasher *h, char out[HASH_HEX_SIZE]);
void hasher_free(struct hasher *h);

void hash_buffer_hex(const void *data, size_t len, char out[HASH_HEX_SIZE]);
/*
 * Digest of a JSON value in canonical form (sorted keys, compact), so two
 * equal values always hash the same whatever their key order.
 */
void hash_json_hex(const json_t *value, char out[HASH_HEX_SIZE]);
/*
 * Feeds a file's contents to h. Returns 0, or -CODE_EXIT_NOINPUT after a
 * diagnostic naming path when it cannot be opened or read.
 */
int hasher_update_file(struct hasher *h, const char *path);

#endif
