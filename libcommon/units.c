/* units.c: parsing of durations ("250ms", "1m30s") and sizes ("20M"). */
#include "libcommon/units.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/*
 * Reads a decimal number as an integer part and a fraction in billionths,
 * so "1.5" is exact without floating point.
 */
static const char *
units_read_number(const char *s, uint64_t *whole, uint64_t *nanos)
{
	uint64_t w = 0, f = 0, scale = 100000000;
	const char *start = s;

	while (isdigit((unsigned char)*s)) {
		if (w > (UINT64_MAX - 9) / 10)
			return NULL;
		w = w * 10 + (uint64_t)(*s - '0');
		s++;
	}
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return NULL;
		while (isdigit((unsigned char)*s)) {
			f += (uint64_t)(*s - '0') * scale;
			scale /= 10;
			s++;
		}
	}
	if (s == start)
		return NULL;
	*whole = w;
	*nanos = f;
	return s;
}

static int
units_scale(uint64_t whole, uint64_t nanos, uint64_t unit, uint64_t *out)
{
	uint64_t frac;

	if (unit && whole > UINT64_MAX / unit)
		return -1;
	/* nanos < 1e9 and unit <= 86400e9 would overflow; split it. */
	frac = unit >= 1000000000 ? nanos * (unit / 1000000000)
				  : nanos / (1000000000 / unit);
	if (whole * unit > UINT64_MAX - frac)
		return -1;
	*out = whole * unit + frac;
	return 0;
}

int
units_parse_duration_ns(const char *s, uint64_t *out_ns)
{
	static const struct { const char *name; uint64_t ns; } units[] = {
		{ "ns", 1ull }, { "us", 1000ull }, { "ms", 1000000ull },
		{ "s", 1000000000ull }, { "m", 60000000000ull },
		{ "h", 3600000000000ull }, { "d", 86400000000000ull },
	};
	uint64_t total = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s) {
		uint64_t whole, nanos, part, unit = 0;
		size_t i, best_len = 0;

		s = units_read_number(s, &whole, &nanos);
		if (s == NULL)
			return -1;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t len = strlen(units[i].name);

			if (strncmp(s, units[i].name, len) == 0 && len > best_len &&
			    !isalpha((unsigned char)s[len])) {
				best_len = len;
				unit = units[i].ns;
			}
		}
		if (best_len == 0) {
			/* A bare number is seconds, but only on its own. */
			if (*s != '\0' || total != 0)
				return -1;
			unit = 1000000000ull;
		}
		s += best_len;
		if (units_scale(whole, nanos, unit, &part) < 0 ||
		    total > UINT64_MAX - part)
			return -1;
		total += part;
	}
	*out_ns = total;
	return 0;
}

int
units_parse_duration_ms(const char *s, uint64_t *out_ms)
{
	uint64_t ns;

	if (units_parse_duration_ns(s, &ns) < 0)
		return -1;
	*out_ms = ns / 1000000;
	return 0;
}

int
units_parse_size(const char *s, uint64_t *out_bytes)
{
	uint64_t whole, nanos, unit = 1;
	const char *p;

	if (s == NULL)
		return -1;
	p = units_read_number(s, &whole, &nanos);
	if (p == NULL)
		return -1;
	switch (toupper((unsigned char)*p)) {
	case 'K': unit = 1ull << 10; p++; break;
	case 'M': unit = 1ull << 20; p++; break;
	case 'G': unit = 1ull << 30; p++; break;
	case 'T': unit = 1ull << 40; p++; break;
	default: break;
	}
	if (unit > 1 && *p == 'i')
		p++;
	if (*p == 'B' || *p == 'b')
		p++;
	if (*p != '\0')
		return -1;
	if (whole > UINT64_MAX / unit)
		return -1;
	*out_bytes = whole * unit + (uint64_t)((double)nanos / 1e9 * (double)unit);
	return 0;
}

void
units_format_duration_ms(uint64_t ms, char *buf, unsigned long bufsize)
{
	static const struct { const char *name; uint64_t ms; } units[] = {
		{ "h", 3600000ull }, { "m", 60000ull }, { "s", 1000ull },
		{ "ms", 1ull },
	};
	size_t i, used = 0;

	if (bufsize == 0)
		return;
	buf[0] = '\0';
	if (ms == 0) {
		snprintf(buf, bufsize, "0s");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t n = ms / units[i].ms;
		int w;

		if (n == 0)
			continue;
		ms -= n * units[i].ms;
		w = snprintf(buf + used, bufsize - used, "%llu%s",
			     (unsigned long long)n, units[i].name);
		if (w < 0 || (size_t)w >= bufsize - used)
			return;
		used += (size_t)w;
	}
}

void
units_format_size(uint64_t bytes, char *buf, unsigned long bufsize)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	const char *unit = NULL;
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (bytes == 0 || bytes % 1024 != 0)
			break;
		bytes /= 1024;
		unit = units[i];
	}
	if (unit)
		snprintf(buf, bufsize, "%llu %s", (unsigned long long)bytes, unit);
	else
		snprintf(buf, bufsize, "%llu byte%s", (unsigned long long)bytes,
			 bytes == 1 ? "" : "s");
}
