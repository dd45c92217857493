/* fuzz-yaml.c: libFuzzer target loading arbitrary bytes as a YAML manifest and checking every location the document reports. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/yaml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	diag_setup("fuzz-yaml");
	diag_set_level(DIAG_QUIET);
	return 0;
}

/* A location of this document, inside the input. */
static void
check_loc(struct diag_loc loc, unsigned long lines)
{
	assert(loc.file != NULL && strcmp(loc.file, "fuzz.yaml") == 0);
	assert(loc.line >= 1 && loc.line <= lines);
	assert(loc.col >= 1);
}

/*
 * Visits every node. Aliases make the tree a DAG, but the loader's alias
 * limit bounds the expanded size, so a plain walk stays cheap.
 */
static void
walk(const struct yaml_doc *doc, const json_t *v, unsigned long lines,
     unsigned depth)
{
	const char *key;
	json_t *child;
	size_t i;

	assert(depth <= YAML_LIMITS_DEFAULT.max_depth);
	if (json_is_object(v)) {
		check_loc(yaml_loc_node(doc, v), lines);
		json_object_foreach((json_t *)v, key, child) {
			check_loc(yaml_loc_key(doc, v, key), lines);
			check_loc(yaml_loc_value(doc, v, key), lines);
			walk(doc, child, lines, depth + 1);
		}
		assert(yaml_loc_key(doc, v, "\x01 no such key").line == 0);
	} else if (json_is_array(v)) {
		check_loc(yaml_loc_node(doc, v), lines);
		json_array_foreach(v, i, child) {
			check_loc(yaml_loc_item(doc, v, i), lines);
			walk(doc, child, lines, depth + 1);
		}
		assert(yaml_loc_item(doc, v, json_array_size(v)).line == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_doc *doc = NULL;
	unsigned long lines = 1;
	char *text;
	size_t i;
	int ret;

	ret = yaml_load_buffer("fuzz.yaml", (const char *)data, size, NULL, &doc);
	assert(ret == 0 || ret == -CODE_EXIT_DATAERR);
	if (ret < 0) {
		assert(doc == NULL);
		return 0;
	}
	/* Each line break libyaml counts (\n, \r, NEL, LS, PS) holds one of
	 * these bytes in UTF-8; UTF-16 (with its BOM) gets a looser bound. */
	if (size >= 2 && ((data[0] == 0xfe && data[1] == 0xff) ||
			  (data[0] == 0xff && data[1] == 0xfe)))
		lines = size + 1;
	else
		for (i = 0; i < size; i++)
			if (data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 ||
			    data[i] == 0xa8 || data[i] == 0xa9)
				lines++;
	/* libyaml ends an unterminated last line with a line break of its own,
	 * and an empty value just before the end sits on the line after. */
	if (size > 0 && data[size - 1] != '\n')
		lines++;
	assert(yaml_doc_root(doc) != NULL);
	assert(strcmp(yaml_doc_name(doc), "fuzz.yaml") == 0);
	walk(doc, yaml_doc_root(doc), lines, 0);
	/* Strings were made without jansson's UTF-8 check: the dump redoes it. */
	text = json_dumps(yaml_doc_root(doc), JSON_ENCODE_ANY | JSON_COMPACT);
	assert(text != NULL);
	free(text);
	yaml_doc_free(doc);
	return 0;
}
