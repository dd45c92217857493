/* runkey.c: the cache key of `code-cache run`: argv, named env vars, input contents, outputs and stdin. */
#include "cmd/cache/runkey.h"

#include <stdlib.h>
#include <string.h>

#include "libcommon/dirwalk.h"
#include "libcommon/exitcodes.h"
#include "libcommon/hash.h"
#include "libcommon/xalloc.h"

static void
add_counted(struct strbuf *key, const char *s, size_t len)
{
	strbuf_addf(key, "%zu:", len);
	strbuf_add(key, s, len);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A sorted copy of the list without repeats; the strings stay the caller's. */
static const char **
sorted_unique(const char *const *list, size_t n, size_t *out_n)
{
	const char **v = xcalloc(n ? n : 1, sizeof(*v));
	size_t i, k = 0;

	if (n > 0)
		memcpy(v, list, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	*out_n = k;
	return v;
}

static int
add_input_file(const char *path, void *arg)
{
	struct strbuf *key = arg;
	struct hasher *h = hasher_new();
	char hex[HASH_HEX_SIZE];
	int ret;

	ret = hasher_update_file(h, path);
	if (ret == 0) {
		hasher_hex(h, hex);
		strbuf_addstr(key, "input ");
		add_counted(key, path, strlen(path));
		strbuf_addf(key, " %s\n", hex);
	}
	hasher_free(h);
	return ret < 0 ? ret : 0;
}

int
runkey_build(const struct runkey_request *req, struct strbuf *key)
{
	const char **v;
	size_t i, n;
	int ret;

	strbuf_addstr(key, "run v1\n");
	for (i = 0; i < req->argc; i++) {
		strbuf_addstr(key, "argv ");
		add_counted(key, req->argv[i], strlen(req->argv[i]));
		strbuf_addch(key, '\n');
	}
	v = sorted_unique(req->env, req->nenv, &n);
	for (i = 0; i < n; i++) {
		const char *val = getenv(v[i]);

		/* Values go in as digests: --env API_TOKEN must not put the token in the cache. */
		if (val != NULL) {
			char hex[HASH_HEX_SIZE];

			hash_buffer_hex(val, strlen(val), hex);
			strbuf_addf(key, "env %s %s\n", v[i], hex);
		} else {
			strbuf_addf(key, "env %s unset\n", v[i]);
		}
	}
	free(v);
	for (i = 0; i < req->ninputs; i++) {
		/* dirwalk reports a missing path and goes on; the key must not. */
		ret = dirwalk(&req->inputs[i], 1, add_input_file, key);
		if (ret != 0)
			return ret < 0 ? ret : -CODE_EXIT_NOINPUT;
	}
	v = sorted_unique(req->outputs, req->noutputs, &n);
	for (i = 0; i < n; i++) {
		strbuf_addstr(key, "output ");
		add_counted(key, v[i], strlen(v[i]));
		strbuf_addch(key, '\n');
	}
	free(v);
	if (req->has_stdin) {
		char hex[HASH_HEX_SIZE];

		hash_buffer_hex(req->stdin_data, req->stdin_len, hex);
		strbuf_addf(key, "stdin %s\n", hex);
	} else {
		strbuf_addstr(key, "stdin none\n");
	}
	return 0;
}
