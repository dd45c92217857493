/* chunkread-bench.c: '\n' count of a page-cached file through chunkread, per io mode and buffer size. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libcommon/chunkread.h"
#include "libcommon/diag.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every byte touched once, as a scan would; -O3 vectorizes the loop. */
static size_t
count_nl(const char *p, size_t n)
{
	size_t c = 0, i;

	for (i = 0; i < n; i++)
		c += p[i] == '\n';
	return c;
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 64u << 10, 256u << 10, 1u << 20 };
	static const char *const names[] = { "READ", "URING" };
	int io, reps = argc > 2 ? atoi(argv[2]) : 3;
	int cold = argc > 3 && strcmp(argv[3], "cold") == 0;
	size_t si;

	if (argc < 2) {
		fprintf(stderr, "usage: chunkread-bench FILE [REPS [cold]]\n");
		return 64;
	}
	diag_setup("chunkread-bench");
	for (io = 0; io < 2; io++) {
		for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			double best = 0, best_raw = 0;
			size_t lines = 0, bytes = 0;
			int r;

			for (r = 0; r < 2 * reps; r++) {
				/* Odd runs only take the chunks: the reader's own cost. */
				int counting = r % 2 == 0;
				struct chunkread_options o = { io, sizes[si], 0, 0 };
				struct chunkread *cr;
				const char *d;
				size_t len;
				off_t off;
				double t0, dt;
				int fd = open(argv[1], O_RDONLY);

				bytes = 0;
				if (counting)
					lines = 0;
				/* Only this file leaves the page cache. */
				if (cold)
					(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
				t0 = now();
				chunkread_open_fd(fd, argv[1], 0, -1, &o, &cr);
				while (chunkread_next(cr, &d, &len, &off) > 0) {
					if (counting)
						lines += count_nl(d, len);
					bytes += len;
				}
				dt = now() - t0;
				if (counting && bytes / dt / 1e9 > best)
					best = bytes / dt / 1e9;
				if (!counting && bytes / dt / 1e9 > best_raw)
					best_raw = bytes / dt / 1e9;
				chunkread_close(cr);
				close(fd);
			}
			printf("%-5s %5zuK  counting %6.2f GB/s  chunks only %6.2f GB/s"
			       "  (%zu lines, %zu bytes)\n", names[io], sizes[si] >> 10,
			       best, best_raw, lines, bytes);
			fflush(stdout);
		}
	}
	return 0;
}
