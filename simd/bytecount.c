/* bytecount.c: newline counting, AVX2 compare+popcount with a word-at-a-time scalar path. */
#include "simd/bytecount.h"

#if defined(__x86_64__) || defined(__i386__)
#define BYTECOUNT_HAVE_AVX2 1
#include <immintrin.h>
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool
bytecount_avx2_usable(void)
{
	const char *env = getenv("CODE_SIMD");

	if (env != NULL && strcmp(env, "scalar") == 0)
		return false;
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
}

/* Eight bytes at a time: a zero byte of x ^ '\n'*8 marks a newline, without carries between bytes. */
static size_t
count_scalar(const unsigned char *p, size_t len)
{
	const uint64_t ones = 0x0101010101010101ull, nl = ones * '\n';
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
	size_t n = 0, i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w, x, t;

		memcpy(&w, p + i, 8);
		x = w ^ nl;
		/* High bit set exactly in the bytes of x that are zero. */
		t = ~(((x & low7) + low7) | x | low7);
		n += (size_t)__builtin_popcountll(t);
	}
	for (; i < len; i++)
		n += p[i] == '\n';
	return n;
}

__attribute__((target("avx2,popcnt"))) static size_t
count_avx2(const unsigned char *p, size_t len)
{
	const __m256i nl = _mm256_set1_epi8('\n');
	size_t n = 0, i = 0;

	for (; i + 128 <= len; i += 128) {
		__m256i a = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), nl);
		__m256i b = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 32)), nl);
		__m256i c = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 64)), nl);
		__m256i d = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i + 96)), nl);

		n += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(a));
		n += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(b));
		n += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(c));
		n += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(d));
	}
	for (; i + 32 <= len; i += 32) {
		__m256i a = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + i)), nl);

		n += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(a));
	}
	return n + count_scalar(p + i, len - i);
}

size_t
bytecount_newlines(const char *buf, size_t len, bool avx2)
{
	if (len == 0)
		return 0;
	return avx2 ? count_avx2((const unsigned char *)buf, len)
		    : count_scalar((const unsigned char *)buf, len);
}
