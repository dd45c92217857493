/* patterns.c: reads -e patterns and YAML pattern files into the list a scan compiles. */
#include "cmd/logscan/patterns.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/arena.h"
#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/strmap.h"
#include "libcommon/suggest.h"
#include "libcommon/xalloc.h"
#include "libcommon/yaml.h"

#define DEFAULT_SET "default"
#define FILE_VERSION 1

static const char *const top_keys[] = { "version", "sets", "patterns", NULL };
static const char *const pattern_keys[] = {
	"name", "regex", "severity", "ignore_case", NULL
};
static const char *const severities[] = {
	"debug", "info", "notice", "warning", "error", "critical", NULL
};
#define NSEVERITIES (sizeof(severities) / sizeof(severities[0]) - 1)

/* A pattern read from a file, before --set picks the ones in use. */
struct file_pattern {
	const char *set;               /* arena */
	struct logscan_pattern p;      /* strings and loc.file in the arena */
	struct diag_loc name_loc;      /* for duplicate names */
};

struct loader {
	const struct patterns_request *req;
	struct arena *arena;
	struct file_pattern *fps;
	size_t nfps, capfps;
	const char **set_names;        /* distinct, first-seen order */
	size_t nset_names, capset_names;
	struct strmap *sets_seen;
};

/* Locations from the document point into it; the list must outlive it. */
static struct diag_loc
own_loc(struct diag_loc loc, const char *file)
{
	loc.file = file;
	return loc;
}

static void
note_set(struct loader *ld, const char *name)
{
	if (strmap_has(ld->sets_seen, name))
		return;
	if (ld->nset_names == ld->capset_names) {
		ld->capset_names = ld->capset_names ? 2 * ld->capset_names : 8;
		ld->set_names = xrealloc(ld->set_names,
					 ld->capset_names * sizeof(*ld->set_names));
	}
	ld->set_names[ld->nset_names++] = name;
	strmap_add(ld->sets_seen, name, NULL);
}

static struct file_pattern *
add_file_pattern(struct loader *ld)
{
	struct file_pattern *fp;

	if (ld->nfps == ld->capfps) {
		ld->capfps = ld->capfps ? 2 * ld->capfps : 16;
		ld->fps = xrealloc(ld->fps, ld->capfps * sizeof(*ld->fps));
	}
	fp = &ld->fps[ld->nfps++];
	memset(fp, 0, sizeof(*fp));
	return fp;
}

/*
 * name and regex: non-empty strings. A NUL written as "\0" would cut the
 * C string short and silently change the pattern, so it is refused.
 */
static int
required_string(const struct yaml_doc *doc, const json_t *p, const char *key,
		const char **out)
{
	const json_t *v = json_object_get(p, key);

	if (!json_is_string(v))
		return yaml_type_error(doc, p, key, "a string");
	if (json_string_length(v) == 0)
		return yaml_error_at_value(doc, p, key, "'%s' must not be empty", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return yaml_error_at_value(doc, p, key,
					   "'%s' must not contain a NUL byte", key);
	*out = json_string_value(v);
	return 0;
}

static int
parse_severity(const struct yaml_doc *doc, const json_t *p, const char **out)
{
	const json_t *v = json_object_get(p, "severity");
	const char *s, *hint;
	size_t i;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return yaml_type_error(doc, p, "severity",
				       "one of debug, info, notice, warning, error, critical");
	s = json_string_value(v);
	for (i = 0; i < NSEVERITIES; i++)
		if (strcmp(s, severities[i]) == 0) {
			*out = severities[i];
			return 0;
		}
	hint = suggest_closest(s, severities, NSEVERITIES);
	if (hint)
		return yaml_error_at_value(doc, p, "severity",
					   "unknown severity '%s' (did you mean '%s'?)",
					   s, hint);
	return yaml_error_at_value(doc, p, "severity",
				   "unknown severity '%s' (one of debug, info, notice, warning, error, critical)",
				   s);
}

static int
parse_pattern(struct loader *ld, const struct yaml_doc *doc, const char *file,
	      const char *set, const json_t *list, size_t index)
{
	const json_t *p = json_array_get(list, index), *ic;
	const char *name, *regex, *severity;
	struct file_pattern *fp;
	struct diag_loc loc;
	int ret;

	if (!json_is_object(p)) {
		loc = yaml_loc_item(doc, list, index);
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "a pattern must be a mapping with 'name' and 'regex', not %s",
				  yaml_type_name(p));
	}
	if ((ret = yaml_check_keys(doc, p, pattern_keys, "a pattern")) < 0)
		return ret;
	loc = yaml_loc_node(doc, p);
	if (json_object_get(p, "name") == NULL)
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "a pattern needs a 'name'");
	if ((ret = required_string(doc, p, "name", &name)) < 0)
		return ret;
	if (json_object_get(p, "regex") == NULL)
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "pattern '%s' needs a 'regex'", name);
	if ((ret = required_string(doc, p, "regex", &regex)) < 0)
		return ret;
	if ((ret = parse_severity(doc, p, &severity)) < 0)
		return ret;
	ic = json_object_get(p, "ignore_case");
	if (ic != NULL && !json_is_boolean(ic))
		return yaml_type_error(doc, p, "ignore_case", "true or false");

	fp = add_file_pattern(ld);
	fp->set = set;
	fp->p.re.name = arena_strdup(ld->arena, name);
	fp->p.re.regex = arena_strdup(ld->arena, regex);
	fp->p.re.caseless = json_is_true(ic);
	fp->p.re.loc = own_loc(yaml_loc_value(doc, p, "regex"), file);
	fp->p.severity = severity;
	fp->name_loc = own_loc(yaml_loc_value(doc, p, "name"), file);
	return 0;
}

/* One set: obj[key] is its list of patterns. */
static int
parse_set(struct loader *ld, const struct yaml_doc *doc, const char *file,
	  const json_t *obj, const char *key, const char *set_name)
{
	const json_t *list = json_object_get(obj, key);
	const char *set;
	size_t i;
	int ret;

	if (!json_is_array(list))
		return yaml_type_error(doc, obj, key, "a list of patterns");
	if (json_array_size(list) == 0 && obj == yaml_doc_root(doc))
		return yaml_error_at_value(doc, obj, key, "'%s' is empty", key);
	if (json_array_size(list) == 0)
		return yaml_error_at_value(doc, obj, key, "set '%s' has no patterns",
					   set_name);
	set = arena_strdup(ld->arena, set_name);
	note_set(ld, set);
	for (i = 0; i < json_array_size(list); i++)
		if ((ret = parse_pattern(ld, doc, file, set, list, i)) < 0)
			return ret;
	return 0;
}

static int
parse_sets(struct loader *ld, const struct yaml_doc *doc, const char *file,
	   const json_t *root)
{
	const json_t *sets = json_object_get(root, "sets");
	struct diag_loc loc;
	const char *name;
	json_t *value;
	int ret;

	if (!json_is_object(sets))
		return yaml_type_error(doc, root, "sets",
				       "a mapping of set names to lists of patterns");
	if (json_object_size(sets) == 0)
		return yaml_error_at_value(doc, root, "sets", "'sets' names no set");
	json_object_foreach((json_t *)sets, name, value) {
		if (name[0] == '\0') {
			loc = yaml_loc_key(doc, sets, name);
			return diag_error(CODE_EXIT_DATAERR, &loc,
					  "a set name must not be empty");
		}
		if (strcmp(name, DEFAULT_SET) == 0 &&
		    json_object_get(root, "patterns") != NULL) {
			loc = yaml_loc_key(doc, sets, name);
			return diag_error(CODE_EXIT_DATAERR, &loc,
					  "set '" DEFAULT_SET "' is also given by 'patterns'");
		}
		if ((ret = parse_set(ld, doc, file, sets, name, name)) < 0)
			return ret;
	}
	return 0;
}

static int
parse_version(const struct yaml_doc *doc, const json_t *root)
{
	const json_t *v = json_object_get(root, "version");

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return yaml_type_error(doc, root, "version", "the integer 1");
	if (json_integer_value(v) != FILE_VERSION)
		return yaml_error_at_value(doc, root, "version",
					   "pattern file version %" JSON_INTEGER_FORMAT
					   " is not supported (only %d is)",
					   json_integer_value(v), FILE_VERSION);
	return 0;
}

static int
parse_doc(struct loader *ld, const struct yaml_doc *doc)
{
	const json_t *root = yaml_doc_root(doc);
	const char *file = arena_strdup(ld->arena, yaml_doc_name(doc));
	struct diag_loc loc = yaml_loc_node(doc, root);
	const char *key;
	json_t *value;
	int ret;

	if (!json_is_object(root))
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "a pattern file must be a mapping with 'sets' or 'patterns', not %s",
				  yaml_type_name(root));
	if ((ret = yaml_check_keys(doc, root, top_keys, "a pattern file")) < 0)
		return ret;
	if ((ret = parse_version(doc, root)) < 0)
		return ret;
	if (json_object_get(root, "sets") == NULL &&
	    json_object_get(root, "patterns") == NULL)
		return diag_error(CODE_EXIT_DATAERR, &loc,
				  "a pattern file needs 'sets' or 'patterns'");
	/* In the order written, which is the order of the sets. */
	json_object_foreach((json_t *)root, key, value) {
		if (strcmp(key, "sets") == 0)
			ret = parse_sets(ld, doc, file, root);
		else if (strcmp(key, "patterns") == 0)
			ret = parse_set(ld, doc, file, root, key, DEFAULT_SET);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
load_buffer(struct loader *ld, const char *name, const char *data, size_t len)
{
	struct yaml_doc *doc;
	int ret;

	if ((ret = yaml_load_buffer(name, data, len, NULL, &doc)) < 0)
		return ret;
	ret = parse_doc(ld, doc);
	yaml_doc_free(doc);
	return ret;
}

static int
load_file(struct loader *ld, const char *path)
{
	struct yaml_doc *doc;
	int ret;

	if ((ret = yaml_load_file(path, NULL, &doc)) < 0)
		return ret;
	ret = parse_doc(ld, doc);
	yaml_doc_free(doc);
	return ret;
}

static bool
set_wanted(const struct patterns_request *req, const char *set)
{
	size_t i;

	if (req->nsets == 0)
		return true;
	for (i = 0; i < req->nsets; i++)
		if (strcmp(req->sets[i], set) == 0)
			return true;
	return false;
}

static int
check_sets(const struct loader *ld)
{
	const struct patterns_request *req = ld->req;
	struct strbuf known = STRBUF_INIT;
	const char *hint;
	size_t i, k;
	int ret;

	for (i = 0; i < req->nsets; i++) {
		if (strmap_has(ld->sets_seen, req->sets[i]))
			continue;
		if (ld->nset_names == 0)
			return diag_error(CODE_EXIT_USAGE, NULL,
					  "unknown set '%s' (no pattern file given with -f)",
					  req->sets[i]);
		hint = suggest_closest(req->sets[i], ld->set_names,
				       ld->nset_names);
		if (hint)
			return diag_error(CODE_EXIT_USAGE, NULL,
					  "unknown set '%s' (did you mean '%s'?)",
					  req->sets[i], hint);
		for (k = 0; k < ld->nset_names; k++)
			strbuf_addf(&known, "%s%s", k ? ", " : "",
				    ld->set_names[k]);
		ret = diag_error(CODE_EXIT_USAGE, NULL,
				 "unknown set '%s' (the pattern files define: %s)",
				 req->sets[i], strbuf_str(&known));
		strbuf_release(&known);
		return ret;
	}
	return 0;
}

/* Where a pattern of the list was named, for "first at ..." notes. */
struct used {
	struct diag_loc name_loc;      /* file patterns */
	size_t e_index;                /* -e patterns: 1-based, else 0 */
};

static void
push(struct pattern_list *out, size_t *cap, const struct logscan_pattern *p)
{
	if (out->count == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		out->items = xrealloc(out->items, *cap * sizeof(*out->items));
	}
	out->items[out->count++] = *p;
}

static int
duplicate_error(const struct diag_loc *at, const char *name,
		const struct diag_loc *first)
{
	return diag_error(CODE_EXIT_DATAERR, at,
			  "duplicate pattern name '%s' (first at %s:%lu:%lu)",
			  name, first->file, first->line, first->col);
}

/* Picks the patterns in use, checks their names and appends the -e ones. */
static int
build_list(struct loader *ld, struct pattern_list *out)
{
	const struct patterns_request *req = ld->req;
	struct strmap *names = strmap_new(ld->nfps + req->nregexes);
	struct used *used;
	size_t i, cap = 0, nused = 0;
	int ret = 0;

	used = xcalloc(ld->nfps + req->nregexes + 1, sizeof(*used));
	for (i = 0; i < ld->nfps; i++) {
		const struct file_pattern *fp = &ld->fps[i];
		const struct used *first;

		if (!set_wanted(req, fp->set))
			continue;
		first = strmap_get(names, fp->p.re.name);
		if (first != NULL) {
			ret = duplicate_error(&fp->name_loc, fp->p.re.name,
					      &first->name_loc);
			goto out;
		}
		used[nused].name_loc = fp->name_loc;
		strmap_add(names, fp->p.re.name, &used[nused++]);
		push(out, &cap, &fp->p);
	}
	for (i = 0; i < req->nregexes; i++) {
		const char *re = req->regexes[i];
		const struct used *first;
		struct logscan_pattern p;
		char label[32];

		snprintf(label, sizeof(label), "-e #%zu", i + 1);
		if (re[0] == '\0') {
			struct diag_loc loc = diag_file(label);

			ret = diag_error(CODE_EXIT_USAGE, &loc, "empty regex");
			goto out;
		}
		first = strmap_get(names, re);
		if (first != NULL && first->e_index != 0)
			continue;    /* the same -e twice is one pattern */
		if (first != NULL) {
			ret = diag_error(CODE_EXIT_DATAERR, &first->name_loc,
					 "duplicate pattern name '%s' (also the regex of %s)",
					 re, label);
			goto out;
		}
		memset(&p, 0, sizeof(p));
		p.re.name = arena_strdup(ld->arena, re);
		p.re.regex = p.re.name;
		p.re.loc = diag_file(arena_strdup(ld->arena, label));
		used[nused].e_index = i + 1;
		strmap_add(names, p.re.name, &used[nused++]);
		push(out, &cap, &p);
	}
out:
	strmap_free(names);
	free(used);
	return ret;
}

static int
load(const char *name, const char *data, size_t len,
     const struct patterns_request *req, struct pattern_list *out)
{
	static const struct patterns_request none;
	struct loader ld;
	size_t i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	memset(&ld, 0, sizeof(ld));
	ld.req = req ? req : &none;
	ld.arena = arena_new(0);
	ld.sets_seen = strmap_new(16);
	if (name != NULL)
		ret = load_buffer(&ld, name, data, len);
	for (i = 0; ret == 0 && i < ld.req->nfiles; i++)
		ret = load_file(&ld, ld.req->files[i]);
	if (ret == 0)
		ret = check_sets(&ld);
	if (ret == 0)
		ret = build_list(&ld, out);
	free(ld.fps);
	free(ld.set_names);
	strmap_free(ld.sets_seen);
	if (ret < 0 || out->count == 0) {
		free(out->items);
		arena_free(ld.arena);
		memset(out, 0, sizeof(*out));
		return ret;
	}
	out->storage = ld.arena;
	return 0;
}

int
patterns_load(const struct patterns_request *req, struct pattern_list *out)
{
	return load(NULL, NULL, 0, req, out);
}

int
patterns_load_buffer(const char *name, const char *data, size_t len,
		     const struct patterns_request *req, struct pattern_list *out)
{
	return load(name, data, len, req, out);
}

void
patterns_free(struct pattern_list *list)
{
	if (list == NULL)
		return;
	free(list->items);
	arena_free(list->storage);
	memset(list, 0, sizeof(*list));
}
