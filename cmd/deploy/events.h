/* events.h: code-deploy's records, each made durable in the journal, then printed. */
#ifndef DEPLOY_EVENTS_H
#define DEPLOY_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libcommon/journal.h"
#include "libcommon/output.h"
#include "libcommon/redact.h"

/*
 * One event (SPEC section 3). target NULL means the service as a whole:
 * {phase deploy, status ok|fail|skipped|interrupted} closes a service,
 * {phase rollback, status start|ok|fail|skipped} brackets its rollback,
 * and switch/gate/monitor commands that run once per service carry no
 * target either. Optional fields are left out when unset.
 */
struct event {
	const char *service;
	const char *target;         /* NULL: service-wide */
	const char *phase;          /* deploy|health|gate|switch|rollback|monitor */
	const char *status;         /* start|ok|fail|retry|timeout|skipped|interrupted */
	unsigned attempt;           /* 0: left out */
	int64_t duration_ms;        /* < 0: left out */
	int exit_code;              /* < 0: left out */
	int weight;                 /* canary weight; < 0: left out */
	const char *message;        /* why, for people; redacted here; NULL: left out */
	const char *tail;           /* last lines of output (already redacted); NULL or "": left out */
	const char *log;            /* the command's log file; NULL: left out */
};

struct events_config {
	struct output *out;         /* stdout */
	struct journal *journal;    /* NULL: dry run, nothing journalled */
	const struct redact *redact;
	const char *run_id;
	size_t n_services;          /* for the progress line */
	bool progress;              /* a progress line on stderr (a tty) */
};

/* Opaque; thread-safe. */
struct events;

struct events *events_new(const struct events_config *cfg);
/*
 * Journals the event (returning only once it is on disk) and prints it.
 * Returns 0, or -CODE_EXIT_IOERR when the journal failed (the run must
 * stop: it can no longer be resumed). A failed stdout does not fail the
 * call: the deployment goes on (stopping half-way would be worse), and
 * events_output_failed says so at the end.
 */
int events_emit(struct events *ev, const struct event *e);
/*
 * A record other than an event (run, summary, command): rec is one line of
 * JSON without '\n'. journal: also append it to the journal.
 */
int events_emit_raw(struct events *ev, const char *rec, size_t len, bool journal);
/* The progress line: done services so far (EVENTS_DONE_UNCHANGED: as before) and what is happening now. */
#define EVENTS_DONE_UNCHANGED ((size_t)-1)
void events_progress(struct events *ev, size_t done, const char *service, const char *what);
/* Clears the progress line (before the final messages). */
void events_progress_end(struct events *ev);
bool events_output_failed(const struct events *ev);
void events_free(struct events *ev);

#endif
