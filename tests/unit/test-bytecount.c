/* test-bytecount.c: the AVX2 and scalar newline counts agree with a plain loop. */
#include <stdlib.h>
#include <string.h>

#include "simd/bytecount.h"
#include "tests/lib/tap.h"

static size_t
naive(const char *p, size_t n)
{
	size_t c = 0, i;

	for (i = 0; i < n; i++)
		c += p[i] == '\n';
	return c;
}

int
main(void)
{
	static char buf[70000];
	unsigned long seed = 12345, bad = 0, runs = 0;
	bool avx2 = bytecount_avx2_usable();
	size_t i, len, off;

	is_int((long long)bytecount_newlines("", 0, false), 0, "empty buffer");
	is_int((long long)bytecount_newlines("\n\n\n", 3, avx2), 3, "only newlines");
	is_int((long long)bytecount_newlines("a\nb", 3, false), 1, "scalar short");
	/* Bytes next to '\n' (0x0B, 0x8A) must not count: the SWAR trick's classic false positives. */
	memset(buf, 0x0B, 4096);
	buf[100] = '\n';
	buf[3000] = (char)0x8A;
	is_int((long long)bytecount_newlines(buf, 4096, false), 1, "scalar ignores 0x0B and 0x8A");
	is_int((long long)bytecount_newlines(buf, 4096, avx2), 1, "dispatched ignores 0x0B and 0x8A");
	for (runs = 0; runs < 400; runs++) {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		len = (seed >> 33) % 65000;
		off = (seed >> 20) % 64;
		for (i = 0; i < len; i++) {
			seed = seed * 6364136223846793005ul + 1442695040888963407ul;
			buf[off + i] = (seed >> 40) % 7 == 0 ? '\n' : (char)(seed >> 48);
		}
		if (bytecount_newlines(buf + off, len, false) != naive(buf + off, len) ||
		    bytecount_newlines(buf + off, len, avx2) != naive(buf + off, len))
			bad++;
	}
	is_int((long long)bad, 0, "400 random buffers: scalar and dispatched equal the plain count");
	if (!avx2)
		tap_diag("AVX2 not usable here: the dispatched path is the scalar one");
	return tap_done();
}
