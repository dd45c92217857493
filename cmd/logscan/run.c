/* run.c: inputs planned into stretches, scanned by worker threads, emitted in input order. */
/* memrchr finds a line's start with glibc's vector code. */
#define _GNU_SOURCE
#include "cmd/logscan/run.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/logscan/emit.h"
#include "cmd/logscan/scanstate.h"
#include "libcommon/dirwalk.h"
#include "libcommon/exitcodes.h"
#include "libcommon/input.h"
#include "libcommon/output.h"
#include "libcommon/xalloc.h"

/*
 * Big files are cut into stretches of about this many bytes, scanned in
 * parallel and emitted in order; the cut never depends on the thread
 * count, so the output is the same with one thread or eight.
 */
#define STRETCH_BYTES (8u << 20)
/* How much of a file found in a directory is looked at for a NUL byte. */
#define BINARY_PEEK 65536
/* Items in flight: enough to keep every worker busy while the oldest is emitted. */
#define RING_PER_THREAD 3

/* One input file or stream, from planning to the state file. */
struct job {
	char *name;
	int fd;                /* regular uncompressed file, else -1 */
	int raw_fd;            /* compressed regular file, for --state, else -1 */
	struct input *in;      /* stream */
	bool stream, compressed, hold_partial, explicit_arg;
	struct stat sb;
	off_t start, end;      /* what this run scans of a regular file */
	uint64_t start_line;   /* lines before start */
	off_t *bounds;
	size_t nstretches, next_stretch;
	bool record_state;
	bool ts_unknown_before; /* resumed mid-file: no timestamp known before start */
	/* Filled as stretches are emitted. */
	uint64_t lines;
	uint64_t consumed;
	bool has_ts;
	int64_t last_ts;
	uint64_t *pattern_lines;
	bool finished;         /* its last planned stretch was emitted */
};

/* One work item: a stretch of a job, and what scanning it gave. */
struct item {
	struct job *job;
	off_t start, end;
	bool last;
	int state;
	int status;
	struct scan_result res;
};

enum { ITEM_FREE, ITEM_QUEUED, ITEM_RUNNING, ITEM_DONE };

struct input_path {
	char *path;
	bool explicit_arg;
};

struct run {
	const struct logscan_run_options *opts;
	const struct scan_config *cfg;
	struct chunkread_options cro;
	struct output *out;
	struct emit_ctx emit;
	struct tally *tally;
	struct scanstate *state;
	struct input_path *paths;
	size_t npaths, paths_cap, next_path;
	const char *current_arg;
	struct job **jobs;
	size_t njobs, jobs_cap, plan_job;
	int status;                /* the worst input error, 0 if none */
	bool matched;
	struct tally_totals totals;
	uint64_t *limit_hits;      /* per pattern */
	/* The pipeline. */
	pthread_mutex_t mu;
	pthread_cond_t work;
	pthread_cond_t done;
	struct item *ring;
	size_t cap, head, tail, next_claim;
	bool stop;
};

static int
collect_path(const char *path, void *arg)
{
	struct run *r = arg;

	if (r->npaths == r->paths_cap) {
		r->paths_cap = r->paths_cap ? r->paths_cap * 2 : 16;
		r->paths = xrealloc(r->paths, r->paths_cap * sizeof(*r->paths));
	}
	r->paths[r->npaths].path = xstrdup(path);
	r->paths[r->npaths].explicit_arg = strcmp(path, r->current_arg) == 0;
	r->npaths++;
	return 0;
}

static struct job *
job_new(struct run *r, const char *name)
{
	struct job *job = xcalloc(1, sizeof(*job));

	job->name = xstrdup(name);
	job->fd = -1;
	job->raw_fd = -1;
	job->pattern_lines = xcalloc(r->cfg->npatterns ? r->cfg->npatterns : 1,
				     sizeof(*job->pattern_lines));
	if (r->njobs == r->jobs_cap) {
		r->jobs_cap = r->jobs_cap ? r->jobs_cap * 2 : 16;
		r->jobs = xrealloc(r->jobs, r->jobs_cap * sizeof(*r->jobs));
	}
	r->jobs[r->njobs++] = job;
	return job;
}

static void
job_close(struct job *job)
{
	if (job->fd >= 0)
		close(job->fd);
	if (job->raw_fd >= 0)
		close(job->raw_fd);
	input_close(job->in);
	job->fd = job->raw_fd = -1;
	job->in = NULL;
}

static void
job_free(struct job *job)
{
	job_close(job);
	free(job->name);
	free(job->bounds);
	free(job->pattern_lines);
	free(job);
}

/* Scans one item from start to end; the heart of a worker. */
static void
scan_item(struct scan_worker *w, const struct chunkread_options *cro, struct item *it)
{
	struct job *job = it->job;
	struct chunkread *cr = NULL;
	const char *data;
	size_t len;
	off_t off;
	int rc;

	scan_result_init(&it->res, w->cfg);
	if (!job->stream && it->start >= it->end)
		return;
	if (job->stream)
		rc = chunkread_open_input(job->in, cro, &cr);
	else
		rc = chunkread_open_fd(job->fd, job->name, it->start, it->end, cro, &cr);
	if (rc < 0) {
		it->status = rc;
		return;
	}
	while ((rc = chunkread_next(cr, &data, &len, &off)) > 0) {
		/* A line still being written is left for the next run or poll. */
		if (it->last && job->hold_partial && len > 0 && data[len - 1] != '\n') {
			const char *nl = memrchr(data, '\n', len);

			len = nl ? (size_t)(nl - data) + 1 : 0;
		}
		scan_chunk(w, data, len, (uint64_t)off, &it->res);
	}
	if (rc < 0)
		it->status = rc;
	chunkread_close(cr);
	scan_worker_take_limit_hits(w, &it->res);
}

static void *
worker_main(void *arg)
{
	struct run *r = arg;
	struct scan_worker w;

	scan_worker_init(&w, r->cfg);
	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct item *it;

		while (!r->stop && r->next_claim == r->tail)
			pthread_cond_wait(&r->work, &r->mu);
		if (r->next_claim == r->tail)
			break;
		it = &r->ring[r->next_claim++ % r->cap];
		it->state = ITEM_RUNNING;
		pthread_mutex_unlock(&r->mu);
		scan_item(&w, &r->cro, it);
		pthread_mutex_lock(&r->mu);
		it->state = ITEM_DONE;
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->mu);
	scan_worker_release(&w);
	return NULL;
}

/* Whether the first bytes of a file found in a directory say it is not text. */
static bool
looks_binary(int fd)
{
	char buf[BINARY_PEEK];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	return n > 0 && memchr(buf, '\0', (size_t)n) != NULL;
}

static bool
is_zstd(int fd, const char *path)
{
	unsigned char m[4];
	size_t len = strlen(path);

	if (len > 4 && strcmp(path + len - 4, ".zst") == 0)
		return true;
	return pread(fd, m, 4, 0) == 4 && m[0] == 0x28 && m[1] == 0xB5 && m[2] == 0x2F &&
	       m[3] == 0xFD;
}

static void
job_split(struct job *job)
{
	off_t span = job->end - job->start;
	size_t parts = 1;

	if (!job->stream && span > 0)
		parts = (size_t)((span + STRETCH_BYTES - 1) / STRETCH_BYTES);
	job->bounds = xcalloc(parts + 1, sizeof(*job->bounds));
	if (job->stream || span <= 0) {
		job->bounds[0] = job->start;
		job->bounds[1] = job->end;
		job->nstretches = 1;
		return;
	}
	job->nstretches = chunkread_split(job->fd, job->start, job->end, parts, job->bounds);
}

/* --state: where this file resumes; a rotated predecessor becomes a job before it. */
static int
job_resume(struct run *r, struct job *job)
{
	struct scanstate_resume res;
	int fd = job->fd >= 0 ? job->fd : job->raw_fd;
	int ret;

	if (fd < 0)
		return 0;
	ret = scanstate_resume(r->state, job->name, fd, &job->sb, &res);
	if (ret < 0)
		return ret;
	job->record_state = true;
	if (res.truncated)
		diag_warn(NULL, "'%s' was truncated or rewritten since the last run; reading it from the start",
			  job->name);
	if (res.rotated_lost)
		diag_warn(NULL, "'%s' was rotated and the old file is gone; lines written to it after the last run are not counted",
			  job->name);
	if (job->compressed) {
		/* A compressed log is not appended to: seen whole, or not at all. */
		if (res.start > 0 && res.start >= job->sb.st_size) {
			job->start = job->end = job->sb.st_size;
			job->stream = false;
			input_close(job->in);
			job->in = NULL;
			job->start_line = res.line;
		}
		free(res.rotated_path);
		return 0;
	}
	job->start = res.start;
	job->start_line = res.line;
	job->ts_unknown_before = res.start > 0;
	if (res.rotated_path != NULL) {
		int rfd = open(res.rotated_path, O_RDONLY | O_CLOEXEC);
		struct job *old, *cur;
		struct stat rsb;

		if (rfd >= 0 && fstat(rfd, &rsb) == 0) {
			/* The old file goes first: swap it in front of this job. */
			old = job_new(r, res.rotated_path);
			old->fd = rfd;
			old->sb = rsb;
			old->start = res.rotated_start;
			old->end = rsb.st_size;
			old->start_line = res.rotated_line;
			old->ts_unknown_before = res.rotated_start > 0;
			cur = r->jobs[r->njobs - 2];
			r->jobs[r->njobs - 2] = old;
			r->jobs[r->njobs - 1] = cur;
			job_split(old);
			diag_info(DIAG_VERBOSE, NULL, "'%s' was rotated: finishing '%s' first",
				  job->name, res.rotated_path);
		} else if (rfd >= 0) {
			close(rfd);
		}
		free(res.rotated_path);
	}
	return 0;
}

/* Opens the next input and makes its job(s). False when the inputs are exhausted. */
static bool
plan_next_input(struct run *r)
{
	const struct logscan_run_options *o = r->opts;

	while (r->next_path < r->npaths) {
		struct input_path *ip = &r->paths[r->next_path++];
		struct job *job;
		struct stat sb;
		bool zst;
		int fd, ret;

		if (strcmp(ip->path, "-") == 0) {
			struct input *in;

			if ((ret = input_open("-", &in)) < 0) {
				r->status = ret;
				continue;
			}
			job = job_new(r, "<stdin>");
			job->stream = true;
			job->in = in;
			job->explicit_arg = true;
			job_split(job);
			return true;
		}
		fd = open(ip->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r->status = diag_error_errno(CODE_EXIT_NOINPUT, errno, NULL,
						     "cannot open '%s'", ip->path);
			continue;
		}
		if (fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
			r->status = diag_error(CODE_EXIT_NOINPUT, NULL, "cannot read '%s'",
					       ip->path);
			close(fd);
			continue;
		}
		zst = S_ISREG(sb.st_mode) && is_zstd(fd, ip->path);
		/* Compressed logs hold NUL bytes; they are text once decoded. */
		if (S_ISREG(sb.st_mode) && !ip->explicit_arg && !o->scan_binary && !zst &&
		    looks_binary(fd)) {
			diag_info(DIAG_VERBOSE, NULL, "skipping binary file '%s' (-a scans it)",
				  ip->path);
			close(fd);
			continue;
		}
		job = job_new(r, ip->path);
		job->sb = sb;
		job->explicit_arg = ip->explicit_arg;
		if (!S_ISREG(sb.st_mode) || zst) {
			struct input *in;

			job->raw_fd = S_ISREG(sb.st_mode) ? dup(fd) : -1;
			if ((ret = input_open_fd(fd, ip->path, 0, &in)) < 0) {
				r->status = ret;
				close(fd);
				continue;   /* no stretches: the job is never planned */
			}
			job->in = in;
			job->stream = true;
			job->compressed = S_ISREG(sb.st_mode);
		} else {
			job->fd = fd;
			job->end = sb.st_size;
		}
		job->hold_partial = (o->state_path != NULL || o->follow) && !job->stream;
		if (r->state != NULL && (ret = job_resume(r, job)) < 0) {
			r->status = ret;
			job_close(job);
			job->nstretches = 0;
			continue;
		}
		job_split(job);
		return true;
	}
	return false;
}

/* The next item to queue, or false when every input is planned. */
static bool
plan_item(struct run *r, struct item *it)
{
	struct job *job;

	for (;;) {
		while (r->plan_job < r->njobs &&
		       r->jobs[r->plan_job]->next_stretch >= r->jobs[r->plan_job]->nstretches)
			r->plan_job++;
		if (r->plan_job < r->njobs)
			break;
		if (!plan_next_input(r))
			return false;
	}
	job = r->jobs[r->plan_job];
	memset(it, 0, sizeof(*it));
	it->job = job;
	it->start = job->bounds[job->next_stretch];
	it->end = job->bounds[job->next_stretch + 1];
	job->next_stretch++;
	it->last = job->next_stretch == job->nstretches;
	return true;
}

/* Remembers in --state how far the job was read (written to disk only at the end). */
static int
job_record_state(struct run *r, struct job *job)
{
	int fd = job->fd >= 0 ? job->fd : job->raw_fd;
	off_t offset = job->compressed ? job->sb.st_size : job->start + (off_t)job->consumed;

	if (fd < 0)
		return 0;
	return scanstate_record(r->state, job->name, fd, &job->sb, offset,
				job->start_line + job->lines);
}

/* Adds a stretch's buckets to the tally, giving undated lines the timestamp before them. */
static void
emit_buckets(struct run *r, struct job *job, struct scan_result *res)
{
	const struct scan_config *cfg = r->cfg;
	size_t i;

	for (i = 0; i < res->nbuckets; i++) {
		const struct scan_bucket *b = &res->buckets[i];
		struct tally_labels l = { 0 };

		l.file = job->name;
		l.pattern = b->pattern == SIZE_MAX ? NULL : regexset_name(cfg->set, b->pattern);
		l.level = logline_level_name(b->level);
		l.severity = b->severity >= 0 ? scan_severity_name(b->severity) : "";
		l.has_window = b->window_state == 1;
		l.window_start_ms = b->window_start;
		if (b->window_state == 2 && job->has_ts) {
			l.has_window = true;
			l.window_start_ms = scan_window_floor(job->last_ts, cfg->window_ms);
		}
		tally_add_bucket(r->tally, &l, b->count);
	}
}

static int
emit_item(struct run *r, struct item *it)
{
	const struct scan_config *cfg = r->cfg;
	struct job *job = it->job;
	struct scan_result *res = &it->res;
	size_t i;
	int ret = 0;

	if (it->status < 0 && r->status == 0)
		r->status = it->status;
	if (cfg->mode == SCAN_MODE_MATCH) {
		for (i = 0; i < res->nhits && ret == 0; i++) {
			const struct scan_hit *h = &res->hits[i];

			ret = emit_match(&r->emit, job->name, job->start_line + job->lines + h->line,
					 h, res->text.buf + h->text_off, res->pats + h->pat_off);
		}
	} else if (cfg->mode == SCAN_MODE_AGGREGATE) {
		emit_buckets(r, job, res);
	}
	if (res->has_last_ts) {
		job->has_ts = true;
		job->last_ts = res->last_ts;
	}
	for (i = 0; i < cfg->npatterns; i++) {
		job->pattern_lines[i] += res->pattern_lines[i];
		r->limit_hits[i] += res->limit_hits[i];
	}
	job->lines += res->lines;
	job->consumed += res->consumed;
	if (res->matched > 0)
		r->matched = true;
	r->totals.lines += res->lines;
	r->totals.matched += res->matched;
	r->totals.bytes += res->bytes;
	if (it->last && !job->finished) {
		job->finished = true;
		r->totals.files++;
		if (job->record_state && ret == 0)
			ret = job_record_state(r, job);
		if (!r->opts->follow)
			job_close(job);
	}
	scan_result_release(res);
	if (ret == 0 && r->opts->follow)
		ret = output_flush(r->out);
	return ret;
}

/*
 * A stream (stdin, a pipe, a compressed file) cannot be cut into
 * stretches: the main thread scans it chunk by chunk and emits after each,
 * so memory stays bounded and a live pipe's matches come out as they arrive.
 */
static int
scan_stream_inline(struct run *r, struct scan_worker *w, struct item *it)
{
	struct chunkread *cr = NULL;
	int rc, ret = 0;

	rc = chunkread_open_input(it->job->in, &r->cro, &cr);
	for (;;) {
		struct item part = *it;
		const char *data;
		size_t len;
		off_t off;

		part.last = false;
		part.status = 0;
		scan_result_init(&part.res, w->cfg);
		if (rc >= 0)
			rc = chunkread_next(cr, &data, &len, &off);
		if (rc > 0) {
			scan_chunk(w, data, len, (uint64_t)off, &part.res);
		} else {
			part.last = true;
			part.status = rc < 0 ? rc : 0;
		}
		scan_worker_take_limit_hits(w, &part.res);
		ret = emit_item(r, &part);
		if (ret == 0 && rc > 0 && r->cfg->mode == SCAN_MODE_MATCH)
			ret = output_flush(r->out);
		if (ret != 0 || rc <= 0)
			break;
	}
	chunkread_close(cr);
	return ret;
}

/* Plans, scans and emits every input; threads > 1 scan stretches in parallel. */
static int
run_pipeline(struct run *r)
{
	unsigned nthreads = r->opts->threads > 1 ? r->opts->threads : 0, t;
	pthread_t *threads = NULL;
	struct scan_worker w;
	struct item pending;
	bool have_pending = false;
	int ret = 0;

	scan_worker_init(&w, r->cfg);
	if (nthreads == 0) {
		struct item it;

		while (ret == 0 && plan_item(r, &it)) {
			if (it.job->stream) {
				ret = scan_stream_inline(r, &w, &it);
				continue;
			}
			scan_item(&w, &r->cro, &it);
			ret = emit_item(r, &it);
		}
		scan_worker_release(&w);
		return ret;
	}
	r->cap = (size_t)nthreads * RING_PER_THREAD;
	r->ring = xcalloc(r->cap, sizeof(*r->ring));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->done, NULL);
	threads = xcalloc(nthreads, sizeof(*threads));
	for (t = 0; t < nthreads; t++)
		if (pthread_create(&threads[t], NULL, worker_main, r) != 0) {
			diag_error(CODE_EXIT_SOFTWARE, NULL, "cannot start a worker thread");
			exit(CODE_EXIT_SOFTWARE);
		}
	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct item *it;

		/* Keep the ring full; planning opens files, which is quick. */
		while (ret == 0 && !have_pending && r->tail - r->head < r->cap) {
			struct item next;
			bool more;

			pthread_mutex_unlock(&r->mu);
			more = plan_item(r, &next);
			pthread_mutex_lock(&r->mu);
			if (!more)
				break;
			if (next.job->stream) {
				pending = next;
				have_pending = true;
				break;
			}
			next.state = ITEM_QUEUED;
			r->ring[r->tail++ % r->cap] = next;
			pthread_cond_signal(&r->work);
		}
		if (r->head == r->tail) {
			if (!have_pending)
				break;
			/* Everything before the stream is out: its records come next. */
			pthread_mutex_unlock(&r->mu);
			if (ret == 0)
				ret = scan_stream_inline(r, &w, &pending);
			have_pending = false;
			pthread_mutex_lock(&r->mu);
			continue;
		}
		it = &r->ring[r->head % r->cap];
		while (it->state != ITEM_DONE)
			pthread_cond_wait(&r->done, &r->mu);
		pthread_mutex_unlock(&r->mu);
		if (ret == 0)
			ret = emit_item(r, it);
		else
			scan_result_release(&it->res);
		pthread_mutex_lock(&r->mu);
		it->state = ITEM_FREE;
		r->head++;
	}
	r->stop = true;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
	for (t = 0; t < nthreads; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	free(r->ring);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->done);
	scan_worker_release(&w);
	return ret;
}

/* Reads what was appended to a followed file since the last look, and emits it. */
static int
follow_read(struct run *r, struct scan_worker *w, struct job *job, bool to_eof)
{
	struct item it;
	struct stat sb;
	off_t pos = job->start + (off_t)job->consumed;

	if (fstat(job->fd, &sb) != 0)
		return 0;
	if (sb.st_size < pos) {
		diag_info(DIAG_NORMAL, NULL, "'%s' was truncated; reading it from the start",
			  job->name);
		job->start = 0;
		job->consumed = 0;
		job->start_line = 0;
		job->lines = 0;
		pos = 0;
	}
	if (sb.st_size == pos)
		return 0;
	memset(&it, 0, sizeof(it));
	it.job = job;
	it.start = pos;
	it.end = sb.st_size;
	it.last = true;
	job->hold_partial = !to_eof;
	scan_item(w, &r->cro, &it);
	return emit_item(r, &it);
}

/* tail -F: a path that now names another file was rotated; finish the old one, then switch. */
static int
follow_check_rotation(struct run *r, struct scan_worker *w, struct job *job)
{
	struct stat sb;
	int fd, ret;

	if (stat(job->name, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0;
	if (job->fd >= 0 && sb.st_dev == job->sb.st_dev && sb.st_ino == job->sb.st_ino)
		return 0;
	if (job->fd >= 0 && (ret = follow_read(r, w, job, true)) != 0)
		return ret;
	fd = open(job->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (job->fd >= 0) {
		diag_info(DIAG_NORMAL, NULL, "'%s' has been replaced; following the new file",
			  job->name);
		close(job->fd);
	}
	job->fd = fd;
	fstat(fd, &job->sb);
	job->start = 0;
	job->consumed = 0;
	job->start_line = 0;
	job->lines = 0;
	return 0;
}

/* Polls the regular files until SIGINT or SIGTERM; returns 130 then, after a clean stop. */
static int
follow_loop(struct run *r)
{
	struct scan_worker w;
	struct timespec pause;
	sigset_t sigs;
	size_t i;
	int ret = 0;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pause.tv_sec = (time_t)(r->opts->follow_interval_ms / 1000);
	pause.tv_nsec = (long)(r->opts->follow_interval_ms % 1000) * 1000000L;
	for (i = 0; i < r->njobs; i++)
		if (!r->jobs[i]->stream && !r->jobs[i]->compressed && r->jobs[i]->finished)
			break;
	if (i == r->njobs) {
		/* Like tail -f on a pipe: nothing can grow, so there is nothing to wait for. */
		diag_info(DIAG_VERBOSE, NULL, "--follow: no regular file to follow");
		return 0;
	}
	scan_worker_init(&w, r->cfg);
	for (;;) {
		for (i = 0; i < r->njobs && ret == 0; i++) {
			struct job *job = r->jobs[i];

			if (job->stream || job->compressed || !job->finished)
				continue;
			ret = follow_check_rotation(r, &w, job);
			if (ret == 0 && job->fd >= 0)
				ret = follow_read(r, &w, job, false);
		}
		if (ret == 0)
			ret = output_flush(r->out);
		if (ret != 0)
			break;
		if (sigtimedwait(&sigs, NULL, &pause) > 0) {
			ret = -CODE_EXIT_INTERRUPTED;
			break;
		}
	}
	scan_worker_release(&w);
	if (ret == -CODE_EXIT_INTERRUPTED)
		for (i = 0; i < r->njobs; i++)
			if (r->jobs[i]->record_state && r->jobs[i]->fd >= 0 &&
			    job_record_state(r, r->jobs[i]) < 0)
				return -CODE_EXIT_IOERR;
	return ret;
}

static void
run_release(struct run *r)
{
	size_t i;

	for (i = 0; i < r->njobs; i++)
		job_free(r->jobs[i]);
	free(r->jobs);
	for (i = 0; i < r->npaths; i++)
		free(r->paths[i].path);
	free(r->paths);
	if (r->out != NULL)
		emit_release(&r->emit);
	tally_free(r->tally);
	free(r->limit_hits);
	scanstate_free(r->state);
}

int
logscan_run(const struct logscan_run_options *opts)
{
	const struct scan_config *cfg = opts->cfg;
	struct run r;
	sigset_t sigs;
	size_t i;
	int ret = 0, cret;

	memset(&r, 0, sizeof(r));
	r.opts = opts;
	r.cfg = cfg;
	r.cro.io = opts->io;
	if (opts->state_path != NULL && (ret = scanstate_load(opts->state_path, &r.state)) < 0)
		return ret;
	if (opts->follow) {
		/* Blocked before the workers start, so sigtimedwait alone receives them. */
		sigemptyset(&sigs);
		sigaddset(&sigs, SIGINT);
		sigaddset(&sigs, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	}
	if (opts->npaths == 0) {
		r.current_arg = "-";
		collect_path("-", &r);
	}
	for (i = 0; i < opts->npaths; i++) {
		int wret;

		r.current_arg = opts->paths[i];
		if (strcmp(opts->paths[i], "-") == 0) {
			collect_path("-", &r);
			continue;
		}
		wret = dirwalk(&opts->paths[i], 1, collect_path, &r);
		if (wret < 0)
			r.status = wret;
	}
	r.tally = tally_new(&opts->tally);
	r.limit_hits = xcalloc(cfg->npatterns ? cfg->npatterns : 1, sizeof(*r.limit_hits));
	if ((ret = output_open_fd(STDOUT_FILENO, &r.out)) < 0) {
		r.out = NULL;
		run_release(&r);
		return ret;
	}
	emit_init(&r.emit, r.out, cfg, opts->format == LOGSCAN_FORMAT_TEXT, opts->colour,
		  r.npaths > 1 || opts->npaths > 1 ||
			  (r.npaths == 1 && !r.paths[0].explicit_arg));
	if (opts->follow)
		output_set_line_buffered(r.out, 1);
	ret = run_pipeline(&r);
	if (ret == 0 && opts->follow)
		ret = follow_loop(&r);
	if ((ret == 0 || ret == -CODE_EXIT_INTERRUPTED) && cfg->mode != SCAN_MODE_MATCH) {
		int wret;

		if (cfg->mode == SCAN_MODE_COUNT)
			for (i = 0; i < r.njobs; i++)
				if (r.jobs[i]->finished)
					for (size_t p = 0; p < cfg->npatterns; p++)
						tally_add_count(r.tally, r.jobs[i]->name,
								regexset_name(cfg->set, p),
								r.jobs[i]->pattern_lines[p]);
		tally_add_totals(r.tally, &r.totals);
		wret = tally_write(r.tally,
				   opts->format == LOGSCAN_FORMAT_PROM ? TALLY_FORMAT_PROM :
				   opts->format == LOGSCAN_FORMAT_TEXT ? TALLY_FORMAT_TEXT :
									  TALLY_FORMAT_NDJSON,
				   r.out);
		if (wret < 0)
			ret = wret;
	}
	cret = output_close(r.out);
	if (cret < 0 && (ret == 0 || ret == -CODE_EXIT_INTERRUPTED))
		ret = cret;
	/* The state moves on only once the output it stands for is written. */
	if (r.state != NULL && (ret == 0 || ret == -CODE_EXIT_INTERRUPTED)) {
		int sret = scanstate_save(r.state);

		if (sret < 0)
			ret = sret;
	}
	for (i = 0; i < cfg->npatterns; i++)
		if (r.limit_hits[i] > 0)
			diag_warn(NULL, "pattern '%s' hit the regex match limit on %llu lines; those lines count as not matching it",
				  regexset_name(cfg->set, i), (unsigned long long)r.limit_hits[i]);
	if (ret == 0 && r.status < 0)
		ret = r.status;
	if (ret == 0)
		ret = r.matched ? 0 : 1;
	run_release(&r);
	return ret;
}
