/* decide.c: which services to deploy, and why. */
#include "cmd/plan/decide.h"

#include <stdbool.h>
#include <string.h>

#include "cmd/plan/inputs.h"
#include "libcommon/hash.h"
#include "libcommon/jsonw.h"
#include "libcommon/strbuf.h"

static bool
name_listed(const char *name, const char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

static int
digest_service(const struct manifest *m, struct plan_service *s)
{
	struct strbuf dump = STRBUF_INIT;
	struct hasher *h;
	int ret;

	/*
	 * The config is built in a fixed key order, so its compact dump is
	 * canonical: it is digested here and written as the step record.
	 */
	jsonw_append(&dump, s->config);
	s->config_json = strbuf_detach(&dump, NULL);
	h = hasher_new();
	hasher_update_str(h, s->name);
	hasher_update_str(h, s->config_json);
	hasher_hex(h, s->config_digest);
	hasher_free(h);
	if (s->inputs) {
		ret = inputs_digest(m->doc, m->base_dir, s->inputs, s->inputs_digest);
		if (ret < 0)
			return ret;
	} else {
		hash_buffer_hex("", 0, s->inputs_digest);
	}
	h = hasher_new();
	hasher_update_str(h, s->config_digest);
	hasher_update_str(h, s->inputs_digest);
	hasher_hex(h, s->digest);
	hasher_free(h);
	return 0;
}

static bool
dependency_deploys(const struct manifest *m, const struct plan_service *s)
{
	size_t i;

	for (i = 0; i < s->n_depends_on; i++)
		if (strcmp(m->services[s->dep_index[i]].action, "deploy") == 0)
			return true;
	return false;
}

static void
decide_service(const struct manifest *m, struct plan_service *s,
	       const struct deploy_state *st, const struct plan_selection *sel)
{
	const char *digest, *config_digest, *inputs_digest;
	bool forced = name_listed(s->name, sel->force, sel->n_force);

	s->action = "skip";
	if (s->disabled) {
		s->reason = "disabled";
		return;
	}
	if (sel->n_only && !forced && !name_listed(s->name, sel->only, sel->n_only)) {
		s->reason = "not selected";
		return;
	}
	s->action = "deploy";
	if (forced) {
		s->reason = "forced";
		return;
	}
	deploystate_lookup(st, s->name, &digest, &config_digest, &inputs_digest);
	if (digest == NULL) {
		s->reason = "new";
	} else if (strcmp(digest, s->digest) != 0) {
		if (config_digest && strcmp(config_digest, s->config_digest) == 0 &&
		    inputs_digest && strcmp(inputs_digest, s->inputs_digest) != 0)
			s->reason = "inputs changed";
		else
			s->reason = "manifest changed";
	} else if (dependency_deploys(m, s)) {
		s->reason = "dependency changed";
	} else {
		s->action = "skip";
		s->reason = "unchanged";
	}
}

int
plan_decide(struct manifest *m, const size_t *order,
	    const struct deploy_state *st, const struct plan_selection *sel,
	    size_t *changed, char plan_digest[HASH_HEX_SIZE])
{
	struct hasher *h;
	size_t i;
	int ret;

	*changed = 0;
	for (i = 0; i < m->n_services; i++)
		if ((ret = digest_service(m, &m->services[i])) < 0)
			return ret;
	h = hasher_new();
	hasher_update(h, &m->parallel, sizeof(m->parallel));
	for (i = 0; i < m->n_services; i++) {
		struct plan_service *s = &m->services[order[i]];

		decide_service(m, s, st, sel);
		if (strcmp(s->action, "deploy") == 0)
			(*changed)++;
		hasher_update_str(h, s->name);
		hasher_update_str(h, s->digest);
	}
	hasher_hex(h, plan_digest);
	hasher_free(h);
	return 0;
}
