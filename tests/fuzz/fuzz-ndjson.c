/* fuzz-ndjson.c: libFuzzer target pushing arbitrary bytes, plain or zstd, through input, the NDJSON reader and writer. */
#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/input.h"
#include "libcommon/ndjson.h"
#include "libcommon/output.h"
#include "libcommon/strbuf.h"

/* Small, so long-line handling and buffer edges are hit often. */
#define FUZZ_MAX_LINE 64
/* Bounds the work a tiny zstd input can expand into. */
#define FUZZ_READ_ALL_LIMIT (1u << 20)
#define FUZZ_CHUNKED_LIMIT (64u << 10)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fuzzer-only state: one scratch file, one sink and one compressor, set up once. */
static int fuzz_fd = -1;
static struct output *fuzz_out;
static ZSTD_CCtx *fuzz_cctx;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz-ndjson-XXXXXX";
	int null_fd;

	(void)argc;
	(void)argv;
	diag_setup("fuzz-ndjson");
	diag_set_level(DIAG_QUIET);
	fuzz_fd = mkstemp(path);
	if (fuzz_fd < 0) {
		perror("mkstemp");
		abort();
	}
	unlink(path);
	null_fd = open("/dev/null", O_WRONLY);
	if (null_fd < 0 || output_open_fd(null_fd, &fuzz_out) < 0)
		abort();
	fuzz_cctx = ZSTD_createCCtx();
	if (fuzz_cctx == NULL)
		abort();
	return 0;
}

/* Makes the scratch file hold exactly these bytes. */
static void
fuzz_store(const void *data, size_t size)
{
	if (ftruncate(fuzz_fd, 0) < 0 || pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		abort();
}

/* Whether input.c will take these bytes for zstd (the magic, or a skippable frame's). */
static bool
fuzz_looks_zstd(const uint8_t *data, size_t size)
{
	uint32_t magic;

	if (size < 4)
		return false;
	magic = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
		(uint32_t)data[3] << 24;
	return magic == ZSTD_MAGICNUMBER ||
	       (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
}

/* A fresh input over the scratch file, which holds the fuzz data. */
static struct input *
fuzz_input(void)
{
	struct input *in;

	if (lseek(fuzz_fd, 0, SEEK_SET) < 0 || input_open_fd(fuzz_fd, "fuzz", 1, &in) < 0)
		abort();
	return in;
}

/* What the writer emits must parse back to an equal record; returns that text. */
static char *
fuzz_check_round_trip(const json_t *rec)
{
	json_error_t err;
	char *text = json_dumps(rec, JSON_COMPACT);
	json_t *again;

	assert(text != NULL);
	assert(strchr(text, '\n') == NULL);
	again = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	assert(again != NULL);
	assert(json_equal(rec, again));
	json_decref(again);
	return text;
}

/*
 * Reads every record of the scratch file, logging each with its line and
 * the final result, so a plain and a compressed run can be compared.
 */
static void
fuzz_read_records(bool skip_invalid, struct strbuf *log)
{
	struct ndjson_reader_options opts = { FUZZ_MAX_LINE, skip_invalid };
	struct ndjson_reader *r;
	unsigned long last_line = 0;
	json_t *rec;
	char *text;
	int ret;

	strbuf_reset(log);
	ndjson_reader_from_input(fuzz_input(), &opts, &r);
	while ((ret = ndjson_read_record(r, &rec)) == 1) {
		assert(json_is_object(rec));
		assert(json_is_string(json_object_get(rec, "type")));
		assert(ndjson_reader_line(r) > last_line);
		last_line = ndjson_reader_line(r);
		assert(ndjson_write_record(fuzz_out, rec) == 0);
		text = fuzz_check_round_trip(rec);
		strbuf_addf(log, "%lu %s\n", last_line, text);
		free(text);
		json_decref(rec);
	}
	/* Only bad data can stop a read from a regular file. */
	assert(ret == 0 || ret == -CODE_EXIT_DATAERR);
	assert(skip_invalid || ndjson_reader_skipped(r) == 0);
	strbuf_addf(log, "ret %d skipped %lu line %lu\n", ret, ndjson_reader_skipped(r),
		    ndjson_reader_line(r));
	ndjson_reader_close(r);
}

/* input_read_all and small input_read calls must see the same bytes. */
static void
fuzz_read_bytes(const uint8_t *data, size_t size)
{
	struct input *in = fuzz_input();
	char *all = NULL, buf[7];
	size_t len = 0, off = 0, step = 1;
	int ret, compressed;
	ssize_t n;

	ret = input_read_all(in, FUZZ_READ_ALL_LIMIT, &all, &len);
	compressed = input_is_compressed(in);
	input_close(in);
	assert(ret == 0 || ret == -CODE_EXIT_DATAERR);
	if (ret < 0) {
		assert(all == NULL);
		return;
	}
	assert(all[len] == '\0');
	if (!compressed)
		assert(len == size && memcmp(all, data, size) == 0);

	in = fuzz_input();
	while (off < FUZZ_CHUNKED_LIMIT && (n = input_read(in, buf, step)) > 0) {
		assert(off + (size_t)n <= len && memcmp(all + off, buf, (size_t)n) == 0);
		off += (size_t)n;
		step = step % sizeof(buf) + 1;
	}
	assert(off == len || off >= FUZZ_CHUNKED_LIMIT);
	input_close(in);
	free(all);
}

/*
 * The same bytes zstd-compressed must give the same records on the same
 * lines: the decoder hands out data in other pieces than read(2) does.
 */
static void
fuzz_compare_compressed(const struct strbuf *plain, bool skip_invalid)
{
	struct strbuf log = STRBUF_INIT;

	fuzz_read_records(skip_invalid, &log);
	assert(log.len == plain->len && memcmp(log.buf, plain->buf, log.len) == 0);
	strbuf_release(&log);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf strict = STRBUF_INIT, lenient = STRBUF_INIT;
	size_t bound = ZSTD_compressBound(size), zsize;
	void *z;

	fuzz_store(data, size);
	fuzz_read_records(false, &strict);
	fuzz_read_records(true, &lenient);
	fuzz_read_bytes(data, size);
	if (!fuzz_looks_zstd(data, size)) {
		z = malloc(bound);
		zsize = ZSTD_compressCCtx(fuzz_cctx, z, bound, data, size, 1);
		assert(!ZSTD_isError(zsize));
		fuzz_store(z, zsize);
		fuzz_compare_compressed(&strict, false);
		fuzz_compare_compressed(&lenient, true);
		free(z);
	}
	strbuf_release(&strict);
	strbuf_release(&lenient);
	return 0;
}
