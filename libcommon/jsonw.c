/* jsonw.c: compact JSON text, byte for byte as jansson's JSON_COMPACT. */
#include "libcommon/jsonw.h"

#include <stdio.h>
#include <string.h>

void
jsonw_append_int(struct strbuf *sb, long long n)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u = n < 0 ? 0ull - (unsigned long long)n
				     : (unsigned long long)n;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (n < 0)
		*--p = '-';
	strbuf_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}

void
jsonw_append_string(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;

	strbuf_grow(sb, len + 2);
	strbuf_addch(sb, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];
		size_t n = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		/* Copy the plain run before this character in one go. */
		strbuf_add(sb, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		strbuf_add(sb, esc, n);
	}
	strbuf_add(sb, s + run, len - run);
	strbuf_addch(sb, '"');
}

/*
 * jansson's real format: %.17g, ".0" added when it reads as an integer,
 * and the exponent without '+' or leading zeros ("1e300", "1e-7").
 */
static void
jsonw_append_real(struct strbuf *sb, double d)
{
	char buf[40], *e;
	int n = snprintf(buf, sizeof(buf), "%.17g", d);

	if (n < 0)
		return;
	e = strchr(buf, 'e');
	if (e == NULL) {
		strbuf_add(sb, buf, (size_t)n);
		if (strpbrk(buf, ".ni") == NULL)
			strbuf_add(sb, ".0", 2);
		return;
	}
	strbuf_add(sb, buf, (size_t)(e - buf) + 1);
	e++;
	if (*e == '-')
		strbuf_addch(sb, *e++);
	else if (*e == '+')
		e++;
	while (*e == '0' && e[1] != '\0')
		e++;
	strbuf_addstr(sb, e);
}

void
jsonw_append(struct strbuf *sb, const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		strbuf_addch(sb, '{');
		i = 0;
		json_object_foreach((json_t *)v, key, item) {
			if (i++)
				strbuf_addch(sb, ',');
			jsonw_append_string(sb, key, strlen(key));
			strbuf_addch(sb, ':');
			jsonw_append(sb, item);
		}
		strbuf_addch(sb, '}');
		break;
	case JSON_ARRAY:
		strbuf_addch(sb, '[');
		json_array_foreach(v, i, item) {
			if (i)
				strbuf_addch(sb, ',');
			jsonw_append(sb, item);
		}
		strbuf_addch(sb, ']');
		break;
	case JSON_STRING:
		jsonw_append_string(sb, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jsonw_append_int(sb, (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		jsonw_append_real(sb, json_real_value(v));
		break;
	case JSON_TRUE:
		strbuf_add(sb, "true", 4);
		break;
	case JSON_FALSE:
		strbuf_add(sb, "false", 5);
		break;
	default:
		strbuf_add(sb, "null", 4);
		break;
	}
}
