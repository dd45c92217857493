/* test-suggest.c: "did you mean" finds typos and ignores strangers. */
#include <stddef.h>

#include "libcommon/suggest.h"
#include "tests/lib/tap.h"

int
main(void)
{
	static const char *const keys[] = {
		"deploy", "rollback", "health", "targets", "depends_on", "timeout",
	};
	size_t n = sizeof(keys) / sizeof(keys[0]);

	is_int((long long)suggest_distance("kitten", "sitting", 10), 3, "kitten/sitting is 3");
	is_int((long long)suggest_distance("ab", "ba", 10), 1, "a transposition costs 1");
	is_int((long long)suggest_distance("", "abc", 10), 3, "empty to abc is 3");
	is_int((long long)suggest_distance("abcdef", "x", 2), 3, "distance is capped at cap + 1");
	is_str(suggest_closest("deplyo", keys, n), "deploy", "transposed letters are found");
	is_str(suggest_closest("dependson", keys, n), "depends_on", "a missing letter is found");
	is_str(suggest_closest("helth", keys, n), "health", "a dropped letter is found");
	is_str(suggest_closest("timeouts", keys, n), "timeout", "an extra letter is found");
	ok(suggest_closest("zzzzzz", keys, n) == NULL, "unrelated words get no suggestion");
	ok(suggest_closest("ab", keys, n) == NULL, "short words need a close match");
	ok(suggest_closest("x", keys, 0) == NULL, "no candidates, no suggestion");
	return tap_done();
}
