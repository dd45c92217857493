/* breaker.c: circuit breakers per endpoint and the JSON file that shares them between runs. */
#include "libcommon/breaker.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcommon/atomic.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/jsonw.h"
#include "libcommon/secret.h"
#include "libcommon/strbuf.h"
#include "libcommon/strmap.h"
#include "libcommon/xalloc.h"

#define BREAKER_FILE_VERSION 1

static const char *const state_names[] = {
	[BREAKER_CLOSED] = "closed",
	[BREAKER_OPEN] = "open",
	[BREAKER_HALF_OPEN] = "half-open",
};

static unsigned
cfg_failures(const struct breaker_config *cfg)
{
	return cfg != NULL && cfg->failures > 0 ? cfg->failures
						: BREAKER_DEFAULT_FAILURES;
}

static int64_t
cfg_open_ms(const struct breaker_config *cfg)
{
	return cfg != NULL && cfg->open_ms > 0 ? cfg->open_ms
					       : BREAKER_DEFAULT_OPEN_MS;
}

/*
 * Whether wait_ms has passed since *since. A since after now means the
 * clock stepped back (or another machine wrote the file): waiting from
 * now bounds the damage to one more wait instead of the size of the step.
 */
static bool
waited(int64_t *since, int64_t now_ms, int64_t wait_ms)
{
	if (now_ms < *since) {
		*since = now_ms;
		return false;
	}
	/* Unsigned, so times far apart cannot overflow. */
	return (uint64_t)now_ms - (uint64_t)*since >= (uint64_t)wait_ms;
}

static void
breaker_open(struct breaker *b, int64_t now_ms)
{
	b->state = BREAKER_OPEN;
	b->opened_at_ms = now_ms;
	b->probe_started_ms = 0;
}

void
breaker_init(struct breaker *b)
{
	b->state = BREAKER_CLOSED;
	b->failures = 0;
	b->opened_at_ms = 0;
	b->probe_started_ms = 0;
}

bool
breaker_allow(struct breaker *b, const struct breaker_config *cfg,
	      int64_t now_ms)
{
	int64_t open_ms = cfg_open_ms(cfg);

	switch (b->state) {
	case BREAKER_CLOSED:
		return true;
	case BREAKER_OPEN:
		if (!waited(&b->opened_at_ms, now_ms, open_ms))
			return false;
		b->state = BREAKER_HALF_OPEN;
		b->probe_started_ms = now_ms;
		return true;
	case BREAKER_HALF_OPEN:
		/* The probe that never reported back died with its process. */
		if (!waited(&b->probe_started_ms, now_ms, open_ms))
			return false;
		b->probe_started_ms = now_ms;
		return true;
	}
	/* Not a state at all: let the calls decide again. */
	breaker_init(b);
	return true;
}

void
breaker_success(struct breaker *b)
{
	breaker_init(b);
}

bool
breaker_failure(struct breaker *b, const struct breaker_config *cfg,
		int64_t now_ms)
{
	switch (b->state) {
	case BREAKER_CLOSED:
		if (b->failures < UINT_MAX)
			b->failures++;
		if (b->failures < cfg_failures(cfg))
			return false;
		breaker_open(b, now_ms);
		return true;
	case BREAKER_HALF_OPEN:
		breaker_open(b, now_ms);
		return false;
	case BREAKER_OPEN:
		return false;
	}
	breaker_init(b);
	return false;
}

const char *
breaker_state_name(enum breaker_state s)
{
	if ((unsigned)s < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[s];
	return "unknown";
}

char *
breaker_endpoint_mask(const char *endpoint)
{
	const char *auth = strstr(endpoint, "://"), *end, *at = NULL, *colon, *p;
	struct strbuf sb = STRBUF_INIT;

	if (auth == NULL)
		return xstrdup(endpoint);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return xstrdup(endpoint);
	/* Without a ':' the whole userinfo may be the password (redis://pw@h). */
	colon = memchr(auth, ':', (size_t)(at - auth));
	p = colon != NULL ? colon + 1 : auth;
	strbuf_add(&sb, endpoint, (size_t)(p - endpoint));
	strbuf_addstr(&sb, SECRET_MASK);
	strbuf_addstr(&sb, at);
	return strbuf_detach(&sb, NULL);
}

/* ------------------------------------------------------------ the store */

struct store_entry {
	char *endpoint;          /* masked, valid UTF-8: the key in the file */
	struct breaker b;
	struct breaker saved;    /* as the file has it; closed when absent */
};

struct breaker_store {
	char *path;
	struct strmap *index;    /* endpoint -> struct store_entry */
	struct store_entry **entries;
	size_t n, alloc;
	bool dirty;              /* the file needs rewriting whatever changes */
};

static bool
breaker_same(const struct breaker *a, const struct breaker *b)
{
	return a->state == b->state && a->failures == b->failures &&
	       a->opened_at_ms == b->opened_at_ms &&
	       a->probe_started_ms == b->probe_started_ms;
}

/* Closed with nothing counted: what a missing entry means. */
static bool
breaker_pristine(const struct breaker *b)
{
	struct breaker fresh;

	breaker_init(&fresh);
	return breaker_same(b, &fresh);
}

/*
 * The key an endpoint is kept under: masked, and valid UTF-8 because JSON
 * keys must be (a byte that is not becomes U+FFFD).
 */
static char *
endpoint_key(const char *endpoint)
{
	char *masked = breaker_endpoint_mask(endpoint), *key;
	struct strbuf lit = STRBUF_INIT;
	json_t *s;

	if ((s = json_string(masked)) != NULL) {
		json_decref(s);
		return masked;
	}
	jsonw_append_string_lossy(&lit, masked, strlen(masked));
	s = json_loads(lit.buf, JSON_DECODE_ANY, NULL);
	key = xstrdup(json_is_string(s) ? json_string_value(s) : "?");
	json_decref(s);
	strbuf_release(&lit);
	free(masked);
	return key;
}

/* Adds an entry for key (taking it), or returns NULL when key is there. */
static struct store_entry *
store_add(struct breaker_store *st, char *key)
{
	struct store_entry *e;

	if (strmap_has(st->index, key)) {
		free(key);
		return NULL;
	}
	if (st->n == st->alloc) {
		st->alloc = st->alloc ? st->alloc * 2 : 8;
		st->entries = xreallocarray(st->entries, st->alloc,
					    sizeof(*st->entries));
	}
	e = xcalloc(1, sizeof(*e));
	e->endpoint = key;
	breaker_init(&e->b);
	breaker_init(&e->saved);
	strmap_add(st->index, e->endpoint, e);
	st->entries[st->n++] = e;
	return e;
}

/* A non-negative integer field no bigger than max; a missing one is 0. */
static const char *
field_int(const json_t *obj, const char *name, json_int_t max, json_int_t *out)
{
	const json_t *v = json_object_get(obj, name);

	*out = 0;
	if (v == NULL)
		return NULL;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max)
		return "is not a non-negative integer in range";
	*out = json_integer_value(v);
	return NULL;
}

static const char unknown_state[] = "is not a known state";

/*
 * Reads one entry into b. Returns NULL, or why it is unusable; *bad_field
 * names the field at fault.
 */
static const char *
entry_parse(const json_t *v, struct breaker *b, const char **bad_field)
{
	static const char *const ints[] = { "failures", "opened_at_ms",
					    "probe_started_ms" };
	json_int_t n[3];
	const char *state, *why;
	size_t i;

	*bad_field = NULL;
	if (!json_is_object(v))
		return "the entry is not an object";
	state = json_string_value(json_object_get(v, "state"));
	*bad_field = "state";
	if (state == NULL)
		return "is missing or not a string";
	for (i = 0; i < 3; i++)
		if (strcmp(state, state_names[i]) == 0)
			break;
	if (i == 3)
		return unknown_state;
	b->state = (enum breaker_state)i;
	for (i = 0; i < 3; i++) {
		*bad_field = ints[i];
		why = field_int(v, ints[i], i == 0 ? (json_int_t)UINT_MAX
						  : (json_int_t)INT64_MAX, &n[i]);
		if (why != NULL)
			return why;
	}
	b->failures = (unsigned)n[0];
	b->opened_at_ms = n[1];
	b->probe_started_ms = n[2];
	return NULL;
}

static void
store_fill(struct breaker_store *st, json_t *root)
{
	struct diag_loc loc = diag_file(st->path);
	const json_t *version, *breakers;
	const char *endpoint, *why, *field;
	json_t *v;

	version = json_object_get(root, "version");
	breakers = json_object_get(root, "breakers");
	if (!json_is_object(root) || !json_is_integer(version) ||
	    !json_is_object(breakers)) {
		diag_warn(&loc, "ignoring the breaker file: not an object with "
			  "'version' and 'breakers'; all breakers start closed");
		st->dirty = true;
		return;
	}
	if (json_integer_value(version) != BREAKER_FILE_VERSION) {
		diag_warn(&loc, "ignoring the breaker file: version %"
			  JSON_INTEGER_FORMAT " (this code-tools reads %d); "
			  "all breakers start closed",
			  json_integer_value(version), BREAKER_FILE_VERSION);
		st->dirty = true;
		return;
	}
	json_object_foreach((json_t *)breakers, endpoint, v) {
		char *key = endpoint_key(endpoint);
		struct store_entry *e;
		struct breaker b;

		/* A secret written by someone else is rewritten masked. */
		if (strcmp(key, endpoint) != 0)
			st->dirty = true;
		if ((e = store_add(st, key)) == NULL) {
			st->dirty = true;
			continue;
		}
		if ((why = entry_parse(v, &b, &field)) != NULL) {
			if (why == unknown_state)
				diag_warn(&loc, "breaker '%s': unknown state '%s'; "
					  "it starts closed", e->endpoint,
					  json_string_value(json_object_get(v, "state")));
			else if (field != NULL)
				diag_warn(&loc, "breaker '%s': '%s' %s; it starts closed",
					  e->endpoint, field, why);
			else
				diag_warn(&loc, "breaker '%s': %s; it starts closed",
					  e->endpoint, why);
			st->dirty = true;
			continue;
		}
		e->b = e->saved = b;
	}
}

/* A file that cannot be used is a warning, never an error: see breaker.h. */
static void
store_read(struct breaker_store *st)
{
	json_error_t err;
	struct stat sb;
	json_t *root;
	int fd;

	fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			diag_warn(NULL, "cannot read the breaker file '%s': %s; "
				  "all breakers start closed", st->path,
				  strerror(errno));
		return;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		diag_warn(NULL, "cannot read the breaker file '%s': not a "
			  "regular file; all breakers start closed", st->path);
		close(fd);
		return;
	}
	if (sb.st_size == 0) {
		close(fd);
		return;
	}
	root = json_loadfd(fd, JSON_REJECT_DUPLICATES, &err);
	close(fd);
	if (root == NULL) {
		struct diag_loc loc = {
			st->path, err.line > 0 ? (unsigned long)err.line : 0,
			err.column > 0 ? (unsigned long)err.column : 0
		};

		diag_warn(&loc, "ignoring the breaker file: %s; all breakers "
			  "start closed", err.text);
		st->dirty = true;
		return;
	}
	store_fill(st, root);
	json_decref(root);
}

int
breaker_store_load(const char *path, struct breaker_store **out)
{
	struct breaker_store *st = xcalloc(1, sizeof(*st));

	st->path = xstrdup(path);
	st->index = strmap_new(16);
	store_read(st);
	*out = st;
	return 0;
}

struct breaker *
breaker_store_get(struct breaker_store *st, const char *endpoint)
{
	char *key = endpoint_key(endpoint);
	struct store_entry *e = strmap_get(st->index, key);

	if (e != NULL) {
		free(key);
		return &e->b;
	}
	return &store_add(st, key)->b;
}

static bool
store_changed(const struct breaker_store *st)
{
	size_t i;

	if (st->dirty)
		return true;
	for (i = 0; i < st->n; i++)
		if (!breaker_same(&st->entries[i]->b, &st->entries[i]->saved))
			return true;
	return false;
}

int
breaker_store_save(struct breaker_store *st)
{
	json_t *root, *breakers;
	size_t i;
	int ret;

	if (!store_changed(st))
		return 0;
	breakers = json_object();
	for (i = 0; i < st->n; i++) {
		const struct store_entry *e = st->entries[i];
		const struct breaker *b = &e->b;

		if (breaker_pristine(b))
			continue;
		json_object_set_new(breakers, e->endpoint,
				    json_pack("{s:s, s:I, s:I, s:I}",
					      "state", breaker_state_name(b->state),
					      "failures", (json_int_t)b->failures,
					      "opened_at_ms", (json_int_t)b->opened_at_ms,
					      "probe_started_ms",
					      (json_int_t)b->probe_started_ms));
	}
	root = json_pack("{s:i, s:o}", "version", BREAKER_FILE_VERSION,
			 "breakers", breakers);
	ret = atomic_write_json(st->path, root, 0600, "the breaker file");
	json_decref(root);
	if (ret < 0)
		return ret;
	for (i = 0; i < st->n; i++)
		st->entries[i]->saved = st->entries[i]->b;
	st->dirty = false;
	return 0;
}

void
breaker_store_free(struct breaker_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	strmap_free(st->index);
	for (i = 0; i < st->n; i++) {
		free(st->entries[i]->endpoint);
		free(st->entries[i]);
	}
	free(st->entries);
	free(st->path);
	free(st);
}
