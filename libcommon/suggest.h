/* suggest.h: "did you mean" suggestions for misspelt names. */
#ifndef CODE_SUGGEST_H
#define CODE_SUGGEST_H

#include <stddef.h>

/* Optimal-string-alignment distance between a and b, capped at cap + 1. */
size_t suggest_distance(const char *a, const char *b, size_t cap);

/*
 * Returns the candidate closest to word when it is close enough to be a
 * likely typo (distance <= 2, and less than half of word's length), else
 * NULL. Ties go to the earliest candidate. Candidates are borrowed.
 */
const char *suggest_closest(const char *word, const char *const *candidates,
			    size_t n);

#endif
