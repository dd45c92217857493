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

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_sequence_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (p[0] < 0xC2 || p[0] > 0xF4)
		return 0;
	len = p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	cp = len == 2 ? (p[0] & 0x1Fu) << 6 | (p[1] & 0x3Fu)
	     : len == 3 ? (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu)
			: (p[0] & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 |
				  (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu);
	/* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

void
jsonw_append_string_lossy(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	for (; i < len; i++)
		if (u[i] >= 0x80)
			break;
	if (i == len) {
		jsonw_append_string(sb, s, len);
		return;
	}
	{
		/* Rare path: build a clean copy, then escape it. */
		struct strbuf clean = STRBUF_INIT;

		strbuf_grow(&clean, len + 16);
		while (i < len) {
			size_t n;

			if (u[i] < 0x80) {
				i++;
				continue;
			}
			n = utf8_sequence_len(u + i, len - i);
			if (n > 0) {
				i += n;
				continue;
			}
			strbuf_add(&clean, s + run, i - run);
			strbuf_addstr(&clean, "\xEF\xBF\xBD");
			i++;
			run = i;
		}
		strbuf_add(&clean, s + run, len - run);
		jsonw_append_string(sb, clean.buf, clean.len);
		strbuf_release(&clean);
	}
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
