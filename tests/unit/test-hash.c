/* test-hash.c: digests are stable, canonical for JSON and cover files. */
#include <stdio.h>
#include <string.h>

#include "libcommon/exitcodes.h"
#include "libcommon/hash.h"
#include "tests/lib/tap.h"

int
main(void)
{
	char a[HASH_HEX_SIZE], b[HASH_HEX_SIZE], path[4200];
	struct hasher *h;
	json_t *x, *y;
	FILE *f;

	hash_buffer_hex("", 0, a);
	is_str(a, "99aa06d3014798d86001c324468d497f", "XXH3-128 of nothing is the published value");
	is_int((long long)strlen(a), HASH_HEX_LEN, "digests are 32 hex characters");
	h = hasher_new();
	hasher_update(h, "ab", 2);
	hasher_update(h, "c", 1);
	hasher_hex(h, a);
	hasher_free(h);
	hash_buffer_hex("abc", 3, b);
	is_str(a, b, "streaming equals one-shot");

	h = hasher_new();
	hasher_update_str(h, "ab");
	hasher_update_str(h, "c");
	hasher_hex(h, a);
	hasher_free(h);
	h = hasher_new();
	hasher_update_str(h, "a");
	hasher_update_str(h, "bc");
	hasher_hex(h, b);
	hasher_free(h);
	ok(strcmp(a, b) != 0, "length-prefixed strings do not run together");

	x = json_loads("{\"b\":1,\"a\":[1,2,{\"y\":true,\"x\":null}]}", 0, NULL);
	y = json_loads("{\"a\":[1,2,{\"x\":null,\"y\":true}],\"b\":1}", 0, NULL);
	hash_json_hex(x, a);
	hash_json_hex(y, b);
	is_str(a, b, "key order does not change a JSON digest");
	json_object_set_new(y, "b", json_integer(2));
	hash_json_hex(y, b);
	ok(strcmp(a, b) != 0, "a changed value changes the JSON digest");
	json_decref(x);
	json_decref(y);

	snprintf(path, sizeof(path), "%s/f", tap_tmpdir());
	f = fopen(path, "w");
	fputs("abc", f);
	fclose(f);
	h = hasher_new();
	is_int(hasher_update_file(h, path), 0, "a readable file hashes");
	hasher_hex(h, a);
	hash_buffer_hex("abc", 3, b);
	is_str(a, b, "a file hashes as its contents");
	fprintf(stderr, "(an error message follows: expected)\n");
	is_int(hasher_update_file(h, "/nonexistent/file"), -CODE_EXIT_NOINPUT,
	       "a missing file is exit 66");
	hasher_free(h);
	return tap_done();
}
