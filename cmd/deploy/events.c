/* events.c: code-deploy's records, each made durable in the journal, then printed. */
#include "cmd/deploy/events.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libcommon/exitcodes.h"
#include "libcommon/jsonw.h"
#include "libcommon/strbuf.h"
#include "libcommon/timefmt.h"
#include "libcommon/xalloc.h"

struct events {
	struct events_config cfg;
	pthread_mutex_t lock;       /* stdout and the progress line */
	bool output_failed;
	bool progress_shown;
	size_t done;                /* services done, as last told */
};

struct events *
events_new(const struct events_config *cfg)
{
	struct events *ev = xcalloc(1, sizeof(*ev));

	ev->cfg = *cfg;
	pthread_mutex_init(&ev->lock, NULL);
	return ev;
}

static void
add_key_string(struct strbuf *sb, const char *key, const char *value,
	       const struct redact *redact)
{
	strbuf_addf(sb, ",\"%s\":", key);
	if (redact && redact_contains(redact, value, strlen(value))) {
		char *clean = redact_string(redact, value);

		jsonw_append_string_lossy(sb, clean, strlen(clean));
		free(clean);
	} else {
		jsonw_append_string_lossy(sb, value, strlen(value));
	}
}

static void
add_key_int(struct strbuf *sb, const char *key, long long value)
{
	strbuf_addf(sb, ",\"%s\":", key);
	jsonw_append_int(sb, value);
}

/* The tail as an array of lines, as people read it with jq -r '.tail[]'. */
static void
add_tail(struct strbuf *sb, const char *tail, const struct redact *redact)
{
	const char *p = tail;
	char *clean = NULL;

	if (redact && redact_contains(redact, tail, strlen(tail)))
		p = clean = redact_string(redact, tail);
	strbuf_addstr(sb, ",\"tail\":[");
	for (bool first = true; *p; first = false) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (!first)
			strbuf_addch(sb, ',');
		jsonw_append_string_lossy(sb, p, len);
		p += len + (nl != NULL);
	}
	strbuf_addch(sb, ']');
	free(clean);
}

static void
format_event(const struct events *ev, const struct event *e, struct strbuf *sb)
{
	char ts[TIMEFMT_RFC3339_SIZE];

	timefmt_rfc3339(timefmt_now_ms(), ts);
	strbuf_addstr(sb, "{\"type\":\"event\",\"ts\":\"");
	strbuf_addstr(sb, ts);
	strbuf_addch(sb, '"');
	add_key_string(sb, "run", ev->cfg.run_id, NULL);
	add_key_string(sb, "service", e->service, NULL);
	if (e->target)
		add_key_string(sb, "target", e->target, NULL);
	add_key_string(sb, "phase", e->phase, NULL);
	add_key_string(sb, "status", e->status, NULL);
	if (e->attempt)
		add_key_int(sb, "attempt", e->attempt);
	if (e->weight >= 0)
		add_key_int(sb, "weight", e->weight);
	if (e->duration_ms >= 0)
		add_key_int(sb, "duration_ms", e->duration_ms);
	if (e->exit_code >= 0)
		add_key_int(sb, "exit", e->exit_code);
	if (e->message)
		add_key_string(sb, "message", e->message, ev->cfg.redact);
	if (e->log)
		add_key_string(sb, "log", e->log, NULL);
	if (e->tail && *e->tail)
		add_tail(sb, e->tail, ev->cfg.redact);
	strbuf_addch(sb, '}');
}

/* Called with the lock held. */
static void
print_line(struct events *ev, const char *rec, size_t len)
{
	if (ev->output_failed)
		return;
	if (output_write(ev->cfg.out, rec, len) < 0 ||
	    output_write(ev->cfg.out, "\n", 1) < 0 ||
	    output_flush(ev->cfg.out) < 0)
		ev->output_failed = true;
}

int
events_emit_raw(struct events *ev, const char *rec, size_t len, bool journal)
{
	int ret = 0;

	/* Outside the lock, so appenders from many threads share fsyncs. */
	if (journal && ev->cfg.journal)
		ret = journal_append(ev->cfg.journal, rec, len);
	pthread_mutex_lock(&ev->lock);
	if (ev->progress_shown) {
		fputs("\r\033[K", stderr);
		ev->progress_shown = false;
	}
	print_line(ev, rec, len);
	pthread_mutex_unlock(&ev->lock);
	return ret;
}

int
events_emit(struct events *ev, const struct event *e)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	strbuf_grow(&sb, 256);
	format_event(ev, e, &sb);
	ret = events_emit_raw(ev, sb.buf, sb.len, true);
	strbuf_release(&sb);
	return ret;
}

void
events_progress(struct events *ev, size_t done, const char *service, const char *what)
{
	if (!ev->cfg.progress)
		return;
	pthread_mutex_lock(&ev->lock);
	if (done != EVENTS_DONE_UNCHANGED)
		ev->done = done;
	/* The terminal shows stdout too; a line of our own would tear it. */
	if (!isatty(STDOUT_FILENO)) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s", ev->done, ev->cfg.n_services,
			service, what);
		fflush(stderr);
		ev->progress_shown = true;
	}
	pthread_mutex_unlock(&ev->lock);
}

void
events_progress_end(struct events *ev)
{
	pthread_mutex_lock(&ev->lock);
	if (ev->progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		ev->progress_shown = false;
	}
	pthread_mutex_unlock(&ev->lock);
}

bool
events_output_failed(const struct events *ev)
{
	return ev->output_failed;
}

void
events_free(struct events *ev)
{
	if (ev == NULL)
		return;
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}
