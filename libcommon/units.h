/* units.h: parsing of durations ("250ms", "1m30s") and sizes ("20M"). */
#ifndef CODE_UNITS_H
#define CODE_UNITS_H

#include <stdint.h>

/*
 * Durations: one or more <number><unit> parts, unit one of ns, us, ms, s,
 * m, h, d; a bare number means seconds. Decimals are allowed ("1.5s").
 * Returns 0, or -1 when s is not a duration or overflows.
 */
int units_parse_duration_ns(const char *s, uint64_t *out_ns);
int units_parse_duration_ms(const char *s, uint64_t *out_ms);

/*
 * Sizes: a number with an optional binary multiplier K, M, G, T (1024^n),
 * optionally followed by "B" or "iB"; a bare number is bytes.
 * Returns 0, or -1 when s is not a size or overflows.
 */
int units_parse_size(const char *s, uint64_t *out_bytes);

/* Writes a duration as the shortest exact form ("300ms", "5m", "1h30m"). */
void units_format_duration_ms(uint64_t ms, char *buf, unsigned long bufsize);

/*
 * Writes a size for messages: "64 MiB" when it is a whole number of a
 * binary unit, else "1000 bytes".
 */
void units_format_size(uint64_t bytes, char *buf, unsigned long bufsize);

#endif
