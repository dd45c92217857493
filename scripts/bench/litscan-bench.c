/* litscan-bench.c: times litscan_count_lines over a file, for scripts/bench/litscan.sh. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "simd/litscan.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Usage: litscan-bench FILE [RUNS [WORD...]]; prints "path count seconds
 * GB/s" for the best run.  The words, case-insensitive, default to the four
 * of the issue.  RUNS 0 counts once and prints only the count, to time the
 * whole process as grep is timed.
 */
int
main(int argc, char **argv)
{
	static const struct litscan_needle words[] = {
		{ "error", 5, 1, 0 }, { "exception", 9, 1, 1 },
		{ "failed", 6, 1, 2 }, { "timeout", 7, 1, 3 },
	};
	struct litscan_needle *nds = NULL;
	const struct litscan_needle *set = words;
	size_t nset = 4;
	struct litscan *ls;
	struct stat st;
	const char *buf;
	double best = 1e9;
	size_t count = 0;
	int fd, runs = argc > 2 ? atoi(argv[2]) : 5, r;

	if (argc < 2 || (fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "usage: litscan-bench FILE [RUNS]\n");
		return 64;
	}
	if (argc > 3) {
		nset = (size_t)(argc - 3);
		nds = calloc(nset, sizeof(*nds));
		for (r = 0; r < (int)nset; r++) {
			nds[r].bytes = argv[3 + r];
			nds[r].len = strlen(argv[3 + r]);
			nds[r].nocase = 1;
			nds[r].id = r;
		}
		set = nds;
	}
	buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
		   fd, 0);
	if (buf == MAP_FAILED || litscan_new(&ls, set, nset) != 0)
		return 1;
	if (runs == 0) {
		printf("%zu\n", litscan_count_lines(ls, buf, (size_t)st.st_size));
		litscan_free(ls);
		free(nds);
		return 0;
	}
	for (r = 0; r < runs; r++) {
		double t = now();

		count = litscan_count_lines(ls, buf, (size_t)st.st_size);
		t = now() - t;
		if (t < best)
			best = t;
	}
	printf("%s %zu %.3f %.2f\n", litscan_path(ls), count, best,
	       (double)st.st_size / best / 1e9);
	litscan_free(ls);
	free(nds);
	return 0;
}
