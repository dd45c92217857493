/* bytecount.h: count the newlines of a buffer, with AVX2 where the CPU has it. */
#ifndef CODE_BYTECOUNT_H
#define CODE_BYTECOUNT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether bytecount_newlines may use AVX2: the CPU has it and CODE_SIMD is
 * not "scalar". Ask once and pass the answer on (getenv is not free).
 */
bool bytecount_avx2_usable(void);

/* The number of '\n' bytes in buf[0, len); identical on both paths. */
size_t bytecount_newlines(const char *buf, size_t len, bool avx2);

#endif
