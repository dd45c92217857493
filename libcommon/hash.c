/* hash.c: content digests (XXH3-128 from libxxhash) as 32 hex characters. */
#include "libcommon/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/xalloc.h"

struct hasher {
	XXH3_state_t *state;
};

struct hasher *
hasher_new(void)
{
	struct hasher *h = xmalloc(sizeof(*h));

	h->state = XXH3_createState();
	if (h->state == NULL)
		h->state = xmalloc(1 << 30); /* unreachable in practice: fails */
	XXH3_128bits_reset(h->state);
	return h;
}

void
hasher_update(struct hasher *h, const void *data, size_t len)
{
	XXH3_128bits_update(h->state, data, len);
}

void
hasher_update_str(struct hasher *h, const char *s)
{
	uint64_t len = strlen(s);
	unsigned char le[8];
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(len >> (8 * i));
	hasher_update(h, le, sizeof(le));
	hasher_update(h, s, (size_t)len);
}

static void
hash_format(XXH128_hash_t v, char out[HASH_HEX_SIZE])
{
	snprintf(out, HASH_HEX_SIZE, "%016llx%016llx",
		 (unsigned long long)v.high64, (unsigned long long)v.low64);
}

void
hasher_hex(const struct hasher *h, char out[HASH_HEX_SIZE])
{
	hash_format(XXH3_128bits_digest(h->state), out);
}

void
hasher_free(struct hasher *h)
{
	if (h == NULL)
		return;
	XXH3_freeState(h->state);
	free(h);
}

void
hash_buffer_hex(const void *data, size_t len, char out[HASH_HEX_SIZE])
{
	hash_format(XXH3_128bits(data, len), out);
}

static int
hash_json_feed(const char *buffer, size_t size, void *data)
{
	hasher_update(data, buffer, size);
	return 0;
}

void
hash_json_hex(const json_t *value, char out[HASH_HEX_SIZE])
{
	struct hasher *h = hasher_new();

	json_dump_callback(value, hash_json_feed, h,
			   JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	hasher_hex(h, out);
	hasher_free(h);
}

int
hasher_update_file(struct hasher *h, const char *path)
{
	unsigned char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
					"cannot open '%s'", path);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		hasher_update(h, buf, (size_t)n);
	}
	if (n < 0) {
		int err = errno;

		close(fd);
		return diag_error_errno(CODE_EXIT_NOINPUT, err, NULL,
					"cannot read '%s'", path);
	}
	close(fd);
	return 0;
}
