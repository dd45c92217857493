/* suggest.c: "did you mean" suggestions for misspelt names. */
#include "libcommon/suggest.h"

#include <string.h>

#include "libcommon/xalloc.h"
#include <stdlib.h>

size_t
suggest_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev2, *prev, *cur, i, j, result;

	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	prev2 = xcalloc(lb + 1, sizeof(size_t));
	prev = xcalloc(lb + 1, sizeof(size_t));
	cur = xcalloc(lb + 1, sizeof(size_t));
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		size_t *tmp;

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = prev[j] + 1;

			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (prev[j - 1] + cost < best)
				best = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		tmp = prev2;
		prev2 = prev;
		prev = cur;
		cur = tmp;
	}
	result = prev[lb];
	free(prev2);
	free(prev);
	free(cur);
	return result > cap ? cap + 1 : result;
}

const char *
suggest_closest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3, i, len = strlen(word);

	for (i = 0; i < n; i++) {
		size_t d = suggest_distance(word, candidates[i], 2);

		if (d < best_d && d * 2 < len + (len == 1)) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}
