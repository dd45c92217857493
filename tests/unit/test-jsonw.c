/* test-jsonw.c: jsonw writes exactly what jansson's JSON_COMPACT writes. */
#include <stdlib.h>
#include <string.h>

#include "libcommon/jsonw.h"
#include "tests/lib/tap.h"

static void
same_as_jansson(const char *text, const char *name)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	struct strbuf sb = STRBUF_INIT;
	char *want;

	if (v == NULL) {
		ok(0, "%s: test input parses (%s)", name, err.text);
		return;
	}
	want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	jsonw_append(&sb, v);
	is_str(strbuf_str(&sb), want, name);
	free(want);
	strbuf_release(&sb);
	json_decref(v);
}

int
main(void)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned i;

	same_as_jansson("{}", "empty object");
	same_as_jansson("[]", "empty array");
	same_as_jansson("{\"b\":1,\"a\":[1,-2,0,true,false,null]}", "key order and scalars");
	same_as_jansson("[9223372036854775807,-9223372036854775808]", "integer extremes");
	same_as_jansson("[1.5,-0.25,1e300,3.0,0.1,123456789.125,1e-7,2.5e-300,-1e21]", "reals");
	same_as_jansson("\"quote \\\" backslash \\\\ slash / tab \\t nl \\n cr \\r\"", "escapes");
	same_as_jansson("\"\\u0001\\u001f\\b\\f \\u007f\"", "control characters");
	same_as_jansson("\"caf\\u00e9 \\u2028 \\ud83d\\ude00\"", "UTF-8 passes through raw");
	same_as_jansson("\"nul \\u0000 inside\"", "an embedded NUL");
	same_as_jansson("{\"deploy\":[\"./d.sh\",\"{target}\"],\"health\":{\"http\":\"http://x/\",\"expect\":200}}",
			"a step config");
	for (i = 0; i < 200; i++) {
		json_t *v = json_pack("{s:I,s:s,s:[i,f]}", "n", (json_int_t)(i * 7919 - 500000),
				      "s", "x", "a", (int)i, (double)i / 7.0);
		char *want = json_dumps(v, JSON_COMPACT);

		strbuf_reset(&sb);
		jsonw_append(&sb, v);
		if (strcmp(sb.buf, want) != 0)
			ok(0, "generated value %u: got %s want %s", i, sb.buf, want);
		free(want);
		json_decref(v);
	}
	ok(1, "200 generated values match");
	{
		static const struct { const char *in; size_t len; const char *want; } lossy[] = {
			{ "plain", 5, "\"plain\"" },
			{ "caf\xC3\xA9", 5, "\"caf\xC3\xA9\"" },
			{ "a\xFF" "b", 3, "\"a\xEF\xBF\xBD" "b\"" },
			{ "cut \xE2\x82", 6, "\"cut \xEF\xBF\xBD\xEF\xBF\xBD\"" },
			{ "over\xC0\xAF", 6, "\"over\xEF\xBF\xBD\xEF\xBF\xBD\"" },
			{ "sur\xED\xA0\x80", 6, "\"sur\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"" },
			{ "\xF0\x9F\x98\x80\t\"", 6, "\"\xF0\x9F\x98\x80\\t\\\"\"" },
		};
		for (i = 0; i < sizeof(lossy) / sizeof(lossy[0]); i++) {
			json_error_t err;
			json_t *back;

			strbuf_reset(&sb);
			jsonw_append_string_lossy(&sb, lossy[i].in, lossy[i].len);
			is_str(strbuf_str(&sb), lossy[i].want, "lossy string");
			back = json_loads(strbuf_str(&sb), JSON_DECODE_ANY, &err);
			ok(back != NULL, "lossy output %u is valid JSON", i);
			json_decref(back);
		}
	}
	strbuf_release(&sb);
	return tap_done();
}
