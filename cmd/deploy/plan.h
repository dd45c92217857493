/* plan.h: code-plan's records, read and checked into the steps code-deploy runs. */
#ifndef DEPLOY_PLAN_H
#define DEPLOY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/*
 * A command as a step record holds it: an argv list, spawned directly, or
 * a string, run by /bin/sh -c (SPEC section 2). Neither set: no command.
 */
struct deploy_command {
	char **argv;        /* NULL-terminated; NULL when shell is used */
	char *shell;
};

enum deploy_strategy {
	STRATEGY_ROLLING,
	STRATEGY_ALL_AT_ONCE,
	STRATEGY_BLUE_GREEN,
	STRATEGY_CANARY
};

enum health_kind { HEALTH_NONE, HEALTH_HTTP, HEALTH_CMD };

struct deploy_health {
	enum health_kind kind;
	char *url;                  /* HTTP: may hold {target}, {service} */
	long expect;                /* HTTP status; 200 when not given */
	char *body;                 /* HTTP: a PCRE2 pattern the body must match; NULL none */
	struct deploy_command cmd;  /* HEALTH_CMD */
	int64_t timeout_ms;         /* one attempt; 5 s when not given */
	int64_t interval_ms;        /* between attempts (backoff base); 2 s */
	unsigned retries;           /* attempts after the first; 10 */
	int64_t start_period_ms;    /* wait before the first attempt; 0 */
};

struct deploy_canary {
	unsigned *steps;            /* increasing percentages ending at 100 */
	size_t n_steps;
	int64_t pause_ms;           /* after each step but the last; 0 */
	struct deploy_command gate; /* run after each step's health; may be unset */
};

struct deploy_monitor {
	bool set;
	int64_t duration_ms;
	int64_t interval_ms;        /* 5 s when not given */
	int64_t max_interval_ms;    /* 60 s when not given */
};

struct deploy_env {
	char *name;
	char *value;                /* as in the plan: may hold ${VAR} */
};

struct deploy_service {
	char *name;                 /* [A-Za-z0-9_.-]+ */
	unsigned stage;
	bool deploy;                /* action "deploy"; false: "skip" */
	char *reason;               /* "new", "unchanged", "disabled", ...; "" when not given */
	char *digest;               /* each may be NULL when the record had none */
	char *config_digest;
	char *inputs_digest;
	char **depends_on;
	size_t n_depends_on;
	enum deploy_strategy strategy;
	unsigned batch;             /* rolling: targets at a time; 1 when not given */
	char **targets;             /* at least one; the service name when not given */
	size_t n_targets;
	struct deploy_command deploy_cmd;   /* required when deploy is true */
	struct deploy_command rollback_cmd; /* may be unset */
	struct deploy_command switch_cmd;   /* may be unset */
	struct deploy_health health;
	bool has_canary;
	struct deploy_canary canary;
	struct deploy_monitor monitor;
	struct deploy_env *env;
	size_t n_env;
	char **secrets;             /* names */
	size_t n_secrets;
	int64_t timeout_ms;         /* each command; 5 min when not given */
	unsigned retries;           /* deploy command retries; 2 when not given */
	bool rollback_on_failure;   /* true unless the record says false */
	unsigned long line;         /* the step record's line in the plan */
};

struct deploy_plan {
	char *source;               /* the file read ("-" for stdin) */
	char *manifest;             /* from the plan record; NULL when none */
	char *digest;               /* the plan record's digest, else a hash of the steps */
	unsigned parallel;          /* the plan record's "parallel"; 0 when not given */
	struct deploy_service *services;    /* in stage order (stable) */
	size_t n_services;
	unsigned n_stages;          /* highest stage + 1 */
	unsigned long other_records; /* records of other types, skipped */
	unsigned long skipped;      /* skip_invalid: bad lines and bad step records left out */
};

struct plan_read_options {
	size_t max_line;            /* 0: NDJSON default */
	bool skip_invalid;          /* bad lines and bad step records counted and skipped */
};

/*
 * Reads path ("-" or NULL for stdin, .zst too). Records of types other
 * than "plan" and "step" are skipped (counted in other_records, said
 * under -v). Errors, each "FILE:LINE: message" and -CODE_EXIT_DATAERR: a
 * malformed line; a plan record of another version; a step record whose
 * fields have the wrong type or value (naming the field); two steps of
 * one service; a target name holding anything but [A-Za-z0-9_.:@%+=,/-]
 * (it is put into commands); no step at all. An unopenable file is
 * -CODE_EXIT_NOINPUT.
 */
int plan_read(const char *path, const struct plan_read_options *opts, struct deploy_plan *out);
/*
 * Checks and converts one step record (the unit plan_read is made of, and
 * what the fuzz target drives). file and line are for messages. Returns 0
 * or -CODE_EXIT_DATAERR; out is released on error.
 */
int plan_step_from_json(const json_t *rec, const char *file, unsigned long line,
			struct deploy_service *out);
void plan_service_release(struct deploy_service *s);
void plan_release(struct deploy_plan *p);

/* True when the command is set. */
bool command_is_set(const struct deploy_command *c);
/*
 * The argv to spawn for c with {service}, {target} and {weight} replaced
 * (a NULL value leaves its placeholder as it is): the argv list itself, or
 * {"/bin/sh", "-c", STRING, NULL}. Every string is malloc'd; free with
 * command_argv_free.
 */
char **command_expand(const struct deploy_command *c, const char *service,
		      const char *target, const char *weight);
void command_argv_free(char **argv);
/* One string (a health URL) with the placeholders replaced as command_expand does; malloc'd. */
char *placeholder_expand(const char *s, const char *service, const char *target,
			 const char *weight);
/* The command for people and dry runs: words joined by spaces, quoted where needed. Malloc'd. */
char *command_describe(char *const *argv);

const char *strategy_name(enum deploy_strategy s);

#endif
