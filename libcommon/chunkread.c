/* chunkread.c: placeholder until the reader lands. */
#include "libcommon/chunkread.h"
#include "libcommon/exitcodes.h"

int chunkread_uring_works(char *reason, size_t reason_size) { (void)reason; (void)reason_size; return 0; }
int chunkread_open_fd(int fd, const char *name, off_t start, off_t end,
		      const struct chunkread_options *opts, struct chunkread **out)
{ (void)fd; (void)name; (void)start; (void)end; (void)opts; (void)out; return -CODE_EXIT_SOFTWARE; }
int chunkread_open_input(struct input *in, const struct chunkread_options *opts,
			 struct chunkread **out)
{ (void)in; (void)opts; (void)out; return -CODE_EXIT_SOFTWARE; }
int chunkread_next(struct chunkread *cr, const char **data, size_t *len, off_t *offset)
{ (void)cr; (void)data; (void)len; (void)offset; return 0; }
const char *chunkread_io_name(const struct chunkread *cr) { (void)cr; return "pread"; }
void chunkread_close(struct chunkread *cr) { (void)cr; }
size_t chunkread_split(int fd, off_t start, off_t end, size_t parts, off_t *bounds)
{ (void)fd; (void)parts; bounds[0] = start; bounds[1] = end; return 1; }
