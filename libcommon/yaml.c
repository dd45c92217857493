/* yaml.c: YAML (libyaml) into jansson values that remember line:column. */
#include "libcommon/yaml.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <xxhash.h>

#include "libcommon/arena.h"
#include "libcommon/exitcodes.h"
#include "libcommon/input.h"
#include "libcommon/strbuf.h"
#include "libcommon/strmap.h"
#include "libcommon/suggest.h"
#include "libcommon/xalloc.h"

const struct yaml_limits YAML_LIMITS_DEFAULT = {
	64u << 20,  /* max_bytes */
	128,        /* max_depth */
	4000000,    /* max_nodes */
	100000      /* max_alias_nodes */
};

/*
 * One remembered location, found through its parent because jansson
 * shares its true/false/null values: a container itself (key NULL, index
 * LOC_NODE_INDEX), a mapping member (key and value positions), or a
 * sequence item. Kept small: big manifests have hundreds of thousands.
 */
#define LOC_NODE_INDEX UINT32_MAX

struct loc_entry {
	uintptr_t parent;
	const char *key;       /* arena copy for members, else NULL */
	uint32_t index;
	uint32_t line, col;    /* the node, the member's key, or the item */
	uint32_t vline, vcol;  /* a member's value */
};

struct yaml_doc {
	char *name;
	json_t *root;
	struct arena *arena;
	/*
	 * Locations are written in event order and read only to report a
	 * problem, so they are logged sequentially while loading and indexed
	 * (open addressing over entry numbers) on the first lookup.
	 */
	struct loc_entry *locs;
	size_t locs_count;
	size_t locs_alloc;
	uint32_t *index;        /* entry number + 1, 0 for empty; NULL until used */
	size_t index_mask;
	size_t indexed;         /* entries [0, indexed) are in the index */
};

/* An anchored value and how many nodes it stands for once expanded. */
struct yaml_anchor {
	json_t *value;
	size_t nodes;
};

/* A mapping or sequence being built. */
struct yaml_frame {
	json_t *container;
	bool is_map;
	char *key;                 /* mapping: key waiting for its value (owned) */
	unsigned long key_line, key_col;
	bool key_is_merge;         /* the plain key "<<" */
	unsigned long merge_line;  /* where "<<" was, 0 if not yet */
	bool expect_key;
	json_t *merges;            /* sources of "<<", applied at the end */
	char *anchor;              /* anchor to bind when complete (owned) */
	size_t nodes;              /* nodes under this one, aliases expanded */
	unsigned long line, col;
};

struct yaml_loader {
	struct yaml_doc *doc;
	const struct yaml_limits *limits;
	struct yaml_frame *frames;
	size_t depth;
	size_t frames_alloc;
	struct strmap *anchors;    /* name (arena) -> struct yaml_anchor (arena) */
	json_t *anchored;          /* every anchored value, released at the end */
	size_t nodes;
	size_t alias_nodes;
	unsigned documents;
	bool root_set;
};

/* murmur3's finaliser: every input bit reaches the low bits we index by. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint32_t
loc_hash(uintptr_t parent, const char *key, uint32_t index)
{
	uint64_t h = key ? XXH3_64bits(key, strlen(key)) : index;

	return (uint32_t)mix64((uint64_t)parent ^ mix64(h));
}

static bool
loc_matches(const struct loc_entry *e, uintptr_t parent, const char *key,
	    uint32_t index)
{
	return e->parent == parent && e->index == index &&
	       (key ? e->key && strcmp(e->key, key) == 0 : e->key == NULL);
}

/* Returns the index slot of (parent, key, index): empty or a match. */
static uint32_t *
loc_index_find(const struct yaml_doc *doc, uintptr_t parent, const char *key,
	       uint32_t index)
{
	size_t i = loc_hash(parent, key, index) & doc->index_mask;

	for (;;) {
		uint32_t *slot = &doc->index[i];

		if (*slot == 0 ||
		    loc_matches(&doc->locs[*slot - 1], parent, key, index))
			return slot;
		i = (i + 1) & doc->index_mask;
	}
}

/*
 * Brings the index up to date. Merging "<<" looks locations up while
 * loading, so entries logged after the index was first built are added
 * then; it is rebuilt only when it must grow. Later entries win, as a
 * re-put location should.
 */
static void
loc_sync_index(struct yaml_doc *doc)
{
	size_t size = 16, i = doc->indexed;

	if (doc->index == NULL || doc->locs_count * 2 + 2 > doc->index_mask + 1) {
		while (size < doc->locs_count * 2 + 2)
			size <<= 1;
		free(doc->index);
		doc->index = xcalloc(size, sizeof(*doc->index));
		doc->index_mask = size - 1;
		i = 0;
	}
	for (; i < doc->locs_count; i++) {
		const struct loc_entry *e = &doc->locs[i];

		*loc_index_find(doc, e->parent, e->key, e->index) = (uint32_t)(i + 1);
	}
	doc->indexed = doc->locs_count;
}

static struct loc_entry *
loc_append(struct yaml_doc *doc, const void *parent, const char *key,
	   uint32_t index)
{
	struct loc_entry *e;

	if (doc->locs_count == doc->locs_alloc) {
		doc->locs_alloc = doc->locs_alloc ? doc->locs_alloc * 2 : 1024;
		doc->locs = xreallocarray(doc->locs, doc->locs_alloc, sizeof(*e));
	}
	e = &doc->locs[doc->locs_count++];
	e->parent = (uintptr_t)parent;
	e->key = key ? arena_strdup(doc->arena, key) : NULL;
	e->index = index;
	return e;
}

static void
loc_put(struct yaml_doc *doc, const void *parent, uint32_t index,
	unsigned long line, unsigned long col)
{
	struct loc_entry *e = loc_append(doc, parent, NULL, index);

	e->line = (uint32_t)line;
	e->col = (uint32_t)col;
	e->vline = e->vcol = 0;
}

static void
loc_put_member(struct yaml_doc *doc, const void *object, const char *key,
	       unsigned long kline, unsigned long kcol, unsigned long vline,
	       unsigned long vcol)
{
	struct loc_entry *e = loc_append(doc, object, key, 0);

	e->line = (uint32_t)kline;
	e->col = (uint32_t)kcol;
	e->vline = (uint32_t)vline;
	e->vcol = (uint32_t)vcol;
}

static struct diag_loc
loc_get(const struct yaml_doc *doc, const void *parent, const char *key,
	uint32_t index, bool value)
{
	struct diag_loc loc = { doc ? doc->name : NULL, 0, 0 };
	uint32_t *slot;

	if (doc == NULL || parent == NULL)
		return loc;
	if (doc->index == NULL || doc->indexed < doc->locs_count)
		loc_sync_index((struct yaml_doc *)doc);
	slot = loc_index_find(doc, (uintptr_t)parent, key, index);
	if (*slot != 0) {
		const struct loc_entry *e = &doc->locs[*slot - 1];

		loc.line = value ? e->vline : e->line;
		loc.col = value ? e->vcol : e->col;
	}
	return loc;
}

struct diag_loc
yaml_loc_node(const struct yaml_doc *doc, const json_t *node)
{
	return loc_get(doc, node, NULL, LOC_NODE_INDEX, false);
}

struct diag_loc
yaml_loc_key(const struct yaml_doc *doc, const json_t *object, const char *key)
{
	return loc_get(doc, object, key, 0, false);
}

struct diag_loc
yaml_loc_value(const struct yaml_doc *doc, const json_t *object,
	       const char *key)
{
	return loc_get(doc, object, key, 0, true);
}

struct diag_loc
yaml_loc_item(const struct yaml_doc *doc, const json_t *array, size_t index)
{
	if (index >= LOC_NODE_INDEX) {
		struct diag_loc loc = { doc ? doc->name : NULL, 0, 0 };

		return loc;
	}
	return loc_get(doc, array, NULL, (uint32_t)index, false);
}

json_t *
yaml_doc_root(const struct yaml_doc *doc)
{
	return doc->root;
}

const char *
yaml_doc_name(const struct yaml_doc *doc)
{
	return doc->name;
}

void
yaml_doc_free(struct yaml_doc *doc)
{
	if (doc == NULL)
		return;
	json_decref(doc->root);
	arena_free(doc->arena);
	free(doc->locs);
	free(doc->index);
	free(doc->name);
	free(doc);
}

/* Longest piece of input quoted in a message, and a buffer that holds it. */
#define QUOTE_MAX 80
#define QUOTE_SIZE (QUOTE_MAX * 4 + 8)

/*
 * Input text for a message: control characters (C0, and C1 which can also
 * drive a terminal) escaped and long text cut, so a hostile manifest can
 * neither rewrite the terminal nor flood stderr. buf holds QUOTE_SIZE - 2.
 */
static const char *
quote_input(char *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0, n = len;

	if (n > QUOTE_MAX) {
		n = QUOTE_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;    /* do not cut a UTF-8 sequence in half */
	}
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9F)
			c = (unsigned char)s[++i];
		else if (c >= 0x20 && c != 0x7F) {
			buf[o++] = (char)c;
			i++;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
		i++;
	}
	if (n < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* A tag as it was most likely written: "!!int", "!foo". */
static const char *
quote_tag(char *buf, const yaml_char_t *tag)
{
	static const char prefix[] = "tag:yaml.org,2002:";
	const char *t = (const char *)tag;

	if (strncmp(t, prefix, sizeof(prefix) - 1) == 0) {
		buf[0] = '!';
		buf[1] = '!';
		quote_input(buf + 2, t + sizeof(prefix) - 1,
			    strlen(t + sizeof(prefix) - 1));
		return buf;
	}
	return quote_input(buf, t, strlen(t));
}

static int
yaml_error_at(const struct yaml_loader *ld, yaml_mark_t mark, const char *fmt,
	      ...) __attribute__((format(printf, 3, 4)));

static int
yaml_error_at(const struct yaml_loader *ld, yaml_mark_t mark, const char *fmt,
	      ...)
{
	struct diag_loc loc = { ld->doc->name, (unsigned long)mark.line + 1,
				(unsigned long)mark.column + 1 };
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	ret = diag_error(CODE_EXIT_DATAERR, &loc, "%s", sb.buf);
	strbuf_release(&sb);
	return ret;
}

/* Line and column of a byte offset, for libyaml's reader errors. */
static struct diag_loc
offset_loc(const char *name, const char *data, size_t len, size_t offset)
{
	struct diag_loc loc = { name, 1, 1 };
	size_t i;

	for (i = 0; i < offset && i < len; i++) {
		if (data[i] == '\n') {
			loc.line++;
			loc.col = 1;
		} else if (((unsigned char)data[i] & 0xC0) != 0x80) {
			loc.col++;
		}
	}
	return loc;
}

static int
parser_error(const struct yaml_loader *ld, const yaml_parser_t *parser,
	     const char *data, size_t len)
{
	const char *problem = parser->problem ? parser->problem : "malformed YAML";

	if (parser->error == YAML_READER_ERROR) {
		struct diag_loc loc = offset_loc(ld->doc->name, data, len,
						 parser->problem_offset);

		return diag_error(CODE_EXIT_DATAERR, &loc, "%s (byte 0x%02x)",
				  problem, (unsigned)(parser->problem_value & 0xff));
	}
	if (parser->error == YAML_MEMORY_ERROR)
		return diag_error(CODE_EXIT_SOFTWARE, NULL, "out of memory");
	if (parser->context)
		return yaml_error_at(ld, parser->problem_mark, "%s (%s)", problem,
				     parser->context);
	return yaml_error_at(ld, parser->problem_mark, "%s", problem);
}

static bool
tag_is(const yaml_char_t *tag, const char *name)
{
	static const char prefix[] = "tag:yaml.org,2002:";

	return tag && strncmp((const char *)tag, prefix, sizeof(prefix) - 1) == 0 &&
	       strcmp((const char *)tag + sizeof(prefix) - 1, name) == 0;
}

static bool
all_digits(const char *s, const char *set)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (strchr(set, *s) == NULL)
			return false;
	return true;
}

/* YAML 1.2 core schema integers; 1 matched, 0 not an integer, -1 overflow. */
static int
parse_integer(const char *s, json_int_t *out)
{
	const char *digits = s;
	int base = 10;
	char *end;
	long long v;

	if (s[0] == '0' && s[1] == 'o') {
		base = 8;
		digits = s + 2;
		if (!all_digits(digits, "01234567"))
			return 0;
	} else if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		digits = s + 2;
		if (!all_digits(digits, "0123456789abcdefABCDEF"))
			return 0;
	} else {
		if (*digits == '-' || *digits == '+')
			digits++;
		if (!all_digits(digits, "0123456789"))
			return 0;
		digits = s;     /* with its sign, so the most negative value fits */
	}
	errno = 0;
	v = strtoll(digits, &end, base);
	if (errno == ERANGE)
		return -1;
	*out = v;
	return 1;
}

static bool
looks_like_float(const char *s)
{
	const char *p = s;
	bool digits = false;

	if (*p == '-' || *p == '+')
		p++;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0';
}

/* The core schema's .inf and .nan spellings. */
static bool
is_non_finite(const char *s)
{
	static const char *const forms[] = {
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
		"-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL
	};
	size_t i;

	for (i = 0; forms[i]; i++)
		if (strcmp(s, forms[i]) == 0)
			return true;
	return false;
}

/*
 * Makes the JSON value of a scalar event; NULL with a diagnostic on error.
 * A key stays the string it was written as ("~", "0x10", "1.0"), but its
 * tag must still be one we know.
 */
static json_t *
scalar_value(const struct yaml_loader *ld, const yaml_event_t *ev, bool as_key,
	     int *err)
{
	char buf[QUOTE_SIZE];
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const yaml_char_t *tag = ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	json_int_t i;
	json_t *v;
	int r;

	*err = 0;
	if (tag && strcmp((const char *)tag, "!") != 0 && !tag_is(tag, "str") &&
	    !tag_is(tag, "int") && !tag_is(tag, "float") && !tag_is(tag, "bool") &&
	    !tag_is(tag, "null")) {
		*err = yaml_error_at(ld, ev->start_mark, "unsupported tag '%s'",
				     quote_tag(buf, tag));
		return NULL;
	}
	if (as_key)
		goto string;
	if ((tag && !tag_is(tag, "str") && strcmp((const char *)tag, "!") != 0) ||
	    (plain && tag == NULL)) {
		if (strlen(s) != len)
			goto string;
		if ((plain && tag == NULL) || tag_is(tag, "null")) {
			if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
			    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
				return json_null();
		}
		if ((plain && tag == NULL) || tag_is(tag, "bool")) {
			if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
			    strcmp(s, "TRUE") == 0)
				return json_true();
			if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
			    strcmp(s, "FALSE") == 0)
				return json_false();
		}
		if ((plain && tag == NULL) || tag_is(tag, "int")) {
			r = parse_integer(s, &i);
			if (r < 0) {
				*err = yaml_error_at(ld, ev->start_mark,
						     "integer '%s' is out of range",
						     quote_input(buf, s, len));
				return NULL;
			}
			if (r > 0)
				return json_integer(i);
		}
		if ((plain && tag == NULL) || tag_is(tag, "float")) {
			/* JSON, so jansson, has no infinities or NaN. */
			if (is_non_finite(s)) {
				*err = yaml_error_at(ld, ev->start_mark,
						     "non-finite number '%s' is not supported",
						     quote_input(buf, s, len));
				return NULL;
			}
			if (looks_like_float(s)) {
				v = json_real(strtod(s, NULL));
				if (v)
					return v;
				*err = yaml_error_at(ld, ev->start_mark,
						     "number '%s' is out of range",
						     quote_input(buf, s, len));
				return NULL;
			}
		}
		if (tag) {
			*err = yaml_error_at(ld, ev->start_mark,
					     "'%s' is not a valid %s",
					     quote_input(buf, s, len),
					     (const char *)tag + 18);
			return NULL;
		}
	}
string:
	/* libyaml's reader has already rejected invalid UTF-8. */
	v = json_stringn_nocheck(s, len);
	if (v == NULL)
		*err = diag_error(CODE_EXIT_SOFTWARE, NULL, "out of memory");
	return v;
}

/* Applies "<<" sources: their keys fill in what the mapping lacks. */
static int
apply_merges(struct yaml_loader *ld, struct yaml_frame *f)
{
	size_t i;
	json_t *src;

	json_array_foreach(f->merges, i, src) {
		const char *key;
		json_t *value;

		json_object_foreach(src, key, value) {
			struct diag_loc vloc, kloc;

			if (json_object_get(f->container, key))
				continue;
			json_object_set_nocheck(f->container, key, value);
			/* Merged keys point at where they were written. */
			kloc = yaml_loc_key(ld->doc, src, key);
			vloc = yaml_loc_value(ld->doc, src, key);
			loc_put_member(ld->doc, f->container, key, kloc.line, kloc.col,
				       vloc.line, vloc.col);
		}
	}
	return 0;
}

/*
 * Adds a finished node (a new reference in v) to the frame on top, or
 * makes it the root. nodes is its expanded size; anchor binds it.
 */
static int
add_node(struct yaml_loader *ld, json_t *v, size_t nodes, const char *anchor,
	 yaml_mark_t mark)
{
	struct yaml_frame *f;
	unsigned long line = (unsigned long)mark.line + 1;
	unsigned long col = (unsigned long)mark.column + 1;
	int ret = 0;

	if (anchor) {
		struct yaml_anchor *a = arena_alloc(ld->doc->arena, sizeof(*a));
		const char *name = arena_strdup(ld->doc->arena, anchor);

		/* A redefined anchor replaces the old one for later aliases. */
		a->value = v;
		a->nodes = nodes;
		json_array_append(ld->anchored, v);
		strmap_set(ld->anchors, name, a);
	}
	if (json_is_object(v) || json_is_array(v))
		loc_put(ld->doc, v, LOC_NODE_INDEX, line, col);
	if (ld->depth == 0) {
		ld->doc->root = v;
		ld->root_set = true;
		return 0;
	}
	f = &ld->frames[ld->depth - 1];
	f->nodes += nodes;
	if (!f->is_map) {
		size_t index = json_array_size(f->container);

		if (index < LOC_NODE_INDEX)
			loc_put(ld->doc, f->container, (uint32_t)index, line, col);
		json_array_append_new(f->container, v);
		return 0;
	}
	if (f->expect_key) {
		/* Keys are strings; a scalar key node is converted. */
		char buf[64];
		const char *text = NULL;

		if (json_is_string(v))
			text = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v)), text = buf;
		else if (json_is_real(v))
			snprintf(buf, sizeof(buf), "%.17g", json_real_value(v)), text = buf;
		else if (json_is_true(v))
			text = "true";
		else if (json_is_false(v))
			text = "false";
		else if (json_is_null(v))
			text = "null";
		if (text == NULL) {
			ret = yaml_error_at(ld, mark, "mapping keys must be scalars");
			json_decref(v);
			return ret;
		}
		if (json_is_string(v) && strlen(text) != json_string_length(v)) {
			ret = yaml_error_at(ld, mark, "mapping keys must not contain NUL bytes");
			json_decref(v);
			return ret;
		}
		f->key = xstrdup(text);
		f->key_line = line;
		f->key_col = col;
		f->expect_key = false;
		json_decref(v);
		return 0;
	}
	f->expect_key = true;
	if (f->key_is_merge) {
		size_t i;
		json_t *item;

		f->key_is_merge = false;
		free(f->key);
		f->key = NULL;
		if (json_is_object(v)) {
			json_array_append_new(f->merges, v);
			return 0;
		}
		if (json_is_array(v)) {
			json_array_foreach(v, i, item) {
				if (!json_is_object(item)) {
					/* item dies with v: name it first. */
					const char *what = json_is_array(item) ? "lists"
									       : "scalars";

					json_decref(v);
					return yaml_error_at(ld, mark,
							     "'<<' merges mappings, not %s",
							     what);
				}
				json_array_append(f->merges, item);
			}
			json_decref(v);
			return 0;
		}
		json_decref(v);
		return yaml_error_at(ld, mark, "'<<' merges mappings, not scalars");
	}
	if (json_object_get(f->container, f->key)) {
		struct diag_loc first = yaml_loc_key(ld->doc, f->container, f->key);
		yaml_mark_t kmark = mark;
		char buf[QUOTE_SIZE];

		kmark.line = f->key_line - 1;
		kmark.column = f->key_col - 1;
		ret = yaml_error_at(ld, kmark, "duplicate key '%s' (first at line %lu)",
				    quote_input(buf, f->key, strlen(f->key)), first.line);
		json_decref(v);
		return ret;
	}
	loc_put_member(ld->doc, f->container, f->key, f->key_line, f->key_col,
		       line, col);
	json_object_set_new_nocheck(f->container, f->key, v);
	free(f->key);
	f->key = NULL;
	return 0;
}

static int
push_frame(struct yaml_loader *ld, json_t *container, bool is_map,
	   const yaml_char_t *anchor, const yaml_char_t *tag, yaml_mark_t mark)
{
	struct yaml_frame *f;
	char buf[QUOTE_SIZE];

	if (tag && strcmp((const char *)tag, "!") != 0 &&
	    !tag_is(tag, is_map ? "map" : "seq")) {
		json_decref(container);
		return yaml_error_at(ld, mark, "unsupported tag '%s'", quote_tag(buf, tag));
	}
	if (ld->depth >= ld->limits->max_depth) {
		json_decref(container);
		return yaml_error_at(ld, mark, "nesting deeper than %u levels",
				     ld->limits->max_depth);
	}
	if (ld->depth == ld->frames_alloc) {
		ld->frames_alloc = ld->frames_alloc ? ld->frames_alloc * 2 : 16;
		ld->frames = xreallocarray(ld->frames, ld->frames_alloc, sizeof(*f));
	}
	f = &ld->frames[ld->depth++];
	memset(f, 0, sizeof(*f));
	f->container = container;
	f->is_map = is_map;
	f->expect_key = true;
	f->merges = is_map ? json_array() : NULL;
	f->anchor = anchor ? xstrdup((const char *)anchor) : NULL;
	f->nodes = 1;
	f->line = (unsigned long)mark.line;
	f->col = (unsigned long)mark.column;
	return 0;
}

static int
pop_frame(struct yaml_loader *ld)
{
	struct yaml_frame f = ld->frames[--ld->depth];
	yaml_mark_t mark = { 0, f.line, f.col };
	int ret = 0;

	if (f.is_map && json_array_size(f.merges) > 0)
		ret = apply_merges(ld, &f);
	json_decref(f.merges);
	free(f.key);
	if (ret == 0)
		ret = add_node(ld, f.container, f.nodes, f.anchor, mark);
	else
		json_decref(f.container);
	free(f.anchor);
	return ret;
}

static int
count_node(struct yaml_loader *ld, yaml_mark_t mark)
{
	if (++ld->nodes > ld->limits->max_nodes)
		return yaml_error_at(ld, mark, "more than %zu nodes",
				     ld->limits->max_nodes);
	return 0;
}

/* Whether the next node is a key of the mapping being built. */
static bool
expects_key(const struct yaml_loader *ld)
{
	const struct yaml_frame *f;

	if (ld->depth == 0)
		return false;
	f = &ld->frames[ld->depth - 1];
	return f->is_map && f->expect_key;
}

/* A plain "<<" in key position starts a merge. */
static bool
is_merge_key(const struct yaml_loader *ld, const yaml_event_t *ev)
{
	return expects_key(ld) &&
	       ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       ev->data.scalar.tag == NULL &&
	       strcmp((const char *)ev->data.scalar.value, "<<") == 0;
}

static int
handle_event(struct yaml_loader *ld, yaml_event_t *ev)
{
	json_t *v;
	int err = 0;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++ld->documents > 1)
			return yaml_error_at(ld, ev->start_mark,
					     "only one YAML document is allowed");
		return 0;
	case YAML_SCALAR_EVENT:
		if ((err = count_node(ld, ev->start_mark)) < 0)
			return err;
		if (is_merge_key(ld, ev)) {
			struct yaml_frame *f = &ld->frames[ld->depth - 1];

			if (f->merge_line)
				return yaml_error_at(ld, ev->start_mark,
						     "duplicate key '<<' (first at line %lu)",
						     f->merge_line);
			f->merge_line = (unsigned long)ev->start_mark.line + 1;
			f->key = xstrdup("<<");
			f->key_is_merge = true;
			f->expect_key = false;
			return 0;
		}
		v = scalar_value(ld, ev, expects_key(ld), &err);
		if (v == NULL)
			return err;
		return add_node(ld, v, 1, (const char *)ev->data.scalar.anchor,
				ev->start_mark);
	case YAML_SEQUENCE_START_EVENT:
		if ((err = count_node(ld, ev->start_mark)) < 0)
			return err;
		return push_frame(ld, json_array(), false,
				  ev->data.sequence_start.anchor,
				  ev->data.sequence_start.tag, ev->start_mark);
	case YAML_MAPPING_START_EVENT:
		if ((err = count_node(ld, ev->start_mark)) < 0)
			return err;
		return push_frame(ld, json_object(), true,
				  ev->data.mapping_start.anchor,
				  ev->data.mapping_start.tag, ev->start_mark);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return pop_frame(ld);
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		struct yaml_anchor *a = strmap_get(ld->anchors, name);

		if (a == NULL) {
			char buf[QUOTE_SIZE];

			return yaml_error_at(ld, ev->start_mark, "unknown alias '*%s'",
					     quote_input(buf, name, strlen(name)));
		}
		ld->alias_nodes += a->nodes;
		if (ld->alias_nodes > ld->limits->max_alias_nodes)
			return yaml_error_at(ld, ev->start_mark,
					     "too many nodes through aliases (limit %zu)",
					     ld->limits->max_alias_nodes);
		return add_node(ld, json_incref(a->value), a->nodes, NULL,
				ev->start_mark);
	}
	default:
		return 0;
	}
}

static void
loader_release(struct yaml_loader *ld)
{
	while (ld->depth > 0) {
		struct yaml_frame *f = &ld->frames[--ld->depth];

		json_decref(f->container);
		json_decref(f->merges);
		free(f->key);
		free(f->anchor);
	}
	free(ld->frames);
	json_decref(ld->anchored);
	strmap_free(ld->anchors);
}

int
yaml_load_buffer(const char *name, const char *data, size_t len,
		 const struct yaml_limits *limits, struct yaml_doc **out)
{
	struct yaml_loader ld;
	yaml_parser_t parser;
	yaml_event_t ev;
	struct yaml_doc *doc;
	int ret = 0, done = 0;

	*out = NULL;
	if (limits == NULL)
		limits = &YAML_LIMITS_DEFAULT;
	doc = xcalloc(1, sizeof(*doc));
	doc->name = xstrdup(name);
	doc->arena = arena_new(0);
	memset(&ld, 0, sizeof(ld));
	ld.doc = doc;
	ld.limits = limits;
	ld.anchors = strmap_new(16);
	ld.anchored = json_array();
	if (len > limits->max_bytes) {
		struct diag_loc loc = { name, 0, 0 };

		ret = diag_error(CODE_EXIT_DATAERR, &loc, "'%s' is larger than %zu bytes",
				 name, limits->max_bytes);
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		ret = diag_error(CODE_EXIT_SOFTWARE, NULL, "out of memory");
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			ret = parser_error(&ld, &parser, data, len);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		ret = handle_event(&ld, &ev);
		yaml_event_delete(&ev);
		if (ret < 0)
			break;
	}
	yaml_parser_delete(&parser);
	if (ret == 0 && !ld.root_set)
		doc->root = json_null();
out:
	loader_release(&ld);
	if (ret < 0) {
		yaml_doc_free(doc);
		return ret;
	}
	*out = doc;
	return 0;
}

int
yaml_load_file(const char *path, const struct yaml_limits *limits,
	       struct yaml_doc **out)
{
	struct input *in = NULL;
	char *data = NULL;
	size_t len = 0;
	int ret;

	*out = NULL;
	if (limits == NULL)
		limits = &YAML_LIMITS_DEFAULT;
	if ((ret = input_open(path, &in)) < 0)
		return ret;
	ret = input_read_all(in, limits->max_bytes, &data, &len);
	if (ret == 0)
		ret = yaml_load_buffer(input_name(in), data, len, limits, out);
	input_close(in);
	free(data);
	return ret;
}

const char *
yaml_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "a mapping";
	case JSON_ARRAY: return "a list";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int
yaml_error_at_value(const struct yaml_doc *doc, const json_t *obj, const char *key,
		    const char *fmt, ...)
{
	struct diag_loc loc = yaml_loc_value(doc, obj, key);
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = diag_verror(CODE_EXIT_DATAERR, &loc, fmt, ap);
	va_end(ap);
	return ret;
}

int
yaml_error_at_key(const struct yaml_doc *doc, const json_t *obj, const char *key,
		  const char *fmt, ...)
{
	struct diag_loc loc = yaml_loc_key(doc, obj, key);
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = diag_verror(CODE_EXIT_DATAERR, &loc, fmt, ap);
	va_end(ap);
	return ret;
}

int
yaml_error_at_item(const struct yaml_doc *doc, const json_t *array, size_t index,
		   const char *fmt, ...)
{
	struct diag_loc loc = yaml_loc_item(doc, array, index);
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = diag_verror(CODE_EXIT_DATAERR, &loc, fmt, ap);
	va_end(ap);
	return ret;
}

int
yaml_check_keys(const struct yaml_doc *doc, const json_t *obj,
		const char *const *known, const char *where)
{
	const char *key;
	json_t *value;
	size_t n = 0;

	while (known[n])
		n++;
	json_object_foreach((json_t *)obj, key, value) {
		struct diag_loc loc;
		const char *hint;
		size_t i;

		for (i = 0; i < n; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (i < n)
			continue;
		loc = yaml_loc_key(doc, obj, key);
		hint = suggest_closest(key, known, n);
		if (hint)
			return diag_error(CODE_EXIT_DATAERR, &loc,
					  "unknown key '%s' in %s (did you mean '%s'?)",
					  key, where, hint);
		return diag_error(CODE_EXIT_DATAERR, &loc, "unknown key '%s' in %s",
				  key, where);
	}
	return 0;
}

int
yaml_type_error(const struct yaml_doc *doc, const json_t *obj,
		const char *key, const char *want)
{
	struct diag_loc loc = yaml_loc_value(doc, obj, key);

	return diag_error(CODE_EXIT_DATAERR, &loc, "'%s' must be %s, not %s", key,
			  want, yaml_type_name(json_object_get(obj, key)));
}
