/* emit.c: the plan as NDJSON records, text for people, or Graphviz dot. */
#include "cmd/plan/emit.h"

#include <string.h>

#include "libcommon/jsonw.h"
#include "libcommon/ndjson.h"
#include "libcommon/strbuf.h"

#define PLAN_RECORD_VERSION 1

/*
 * A step record is its plan fields, then the service's config dumped once
 * by plan_decide (its digest was made from the same bytes), then the two
 * component digests: written as text, not rebuilt as a JSON object.
 */
static int
emit_step(struct output *o, const struct plan_service *s, struct strbuf *line)
{
	size_t len = strlen(s->config_json);

	strbuf_reset(line);
	strbuf_addstr(line, "{\"type\":\"step\",\"stage\":");
	jsonw_append_int(line, (long long)s->stage);
	strbuf_addstr(line, ",\"service\":");
	jsonw_append_string(line, s->name, strlen(s->name));
	strbuf_addstr(line, ",\"action\":\"");
	strbuf_addstr(line, s->action);
	strbuf_addstr(line, "\",\"reason\":\"");
	strbuf_addstr(line, s->reason);
	strbuf_addstr(line, "\",\"digest\":\"");
	strbuf_addstr(line, s->digest);
	strbuf_addch(line, '"');
	if (len > 2) {
		strbuf_addch(line, ',');
		strbuf_add(line, s->config_json + 1, len - 2);
	}
	strbuf_addstr(line, ",\"config_digest\":\"");
	strbuf_addstr(line, s->config_digest);
	strbuf_addstr(line, "\",\"inputs_digest\":\"");
	strbuf_addstr(line, s->inputs_digest);
	strbuf_addstr(line, "\"}\n");
	return output_write(o, line->buf, line->len);
}

static int
emit_ndjson(struct output *o, const struct manifest *m, const size_t *order,
	    const struct plan_summary *sum)
{
	struct strbuf line = STRBUF_INIT;
	json_t *rec;
	size_t i;
	int ret;

	rec = json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I,s:I,s:s}", "type", "plan",
			"version", PLAN_RECORD_VERSION, "manifest", m->path,
			"digest", sum->digest, "services", (json_int_t)m->n_services,
			"stages", (json_int_t)sum->n_stages,
			"changed", (json_int_t)sum->changed,
			"parallel", (json_int_t)m->parallel,
			"format", m->format == MANIFEST_DEPLOY_CODE ? "deploy-code" : "native");
	ret = ndjson_write_record(o, rec);
	json_decref(rec);
	for (i = 0; ret == 0 && i < m->n_services; i++)
		ret = emit_step(o, &m->services[order[i]], &line);
	strbuf_release(&line);
	return ret;
}

static const char *
step_mark(const struct plan_service *s)
{
	if (strcmp(s->action, "skip") == 0)
		return strcmp(s->reason, "unchanged") == 0 ? "=" : "-";
	if (strcmp(s->reason, "new") == 0)
		return "+";
	if (strcmp(s->reason, "forced") == 0)
		return "!";
	return "~";
}

static const char *
step_colour(const struct plan_service *s)
{
	const char *mark = step_mark(s);

	switch (mark[0]) {
	case '+': return "\033[32m";
	case '~': return "\033[33m";
	case '!': return "\033[35m";
	default: return "\033[2m";
	}
}

/* "rolling, batch 2, targets db1, db2" */
static void
describe_step(struct strbuf *sb, const struct plan_service *s)
{
	const json_t *targets = json_object_get(s->config, "targets");
	const json_t *canary = json_object_get(s->config, "canary");
	const json_t *t;
	size_t i;

	strbuf_addstr(sb, json_string_value(json_object_get(s->config, "strategy")));
	if (json_object_get(s->config, "batch"))
		strbuf_addf(sb, " (batch %" JSON_INTEGER_FORMAT ")",
			    json_integer_value(json_object_get(s->config, "batch")));
	if (canary) {
		strbuf_addch(sb, ' ');
		json_array_foreach(json_object_get(canary, "steps"), i, t)
			strbuf_addf(sb, "%s%" JSON_INTEGER_FORMAT "%%", i ? "/" : "",
				    json_integer_value(t));
	}
	strbuf_addstr(sb, json_array_size(targets) == 1 ? ", target " : ", targets ");
	json_array_foreach(targets, i, t) {
		if (i == 8) {
			strbuf_addf(sb, ", … (%zu in all)", json_array_size(targets));
			break;
		}
		strbuf_addf(sb, "%s%s", i ? ", " : "", json_string_value(t));
	}
}

static int
emit_text(struct output *o, const struct manifest *m, const size_t *order,
	  const struct plan_summary *sum, bool colour)
{
	struct strbuf line = STRBUF_INIT;
	size_t i, width = 4, reason_width = 7;
	unsigned stage = (unsigned)-1;
	int ret;

	for (i = 0; i < m->n_services; i++) {
		size_t w = strlen(m->services[i].name), r = strlen(m->services[i].reason);

		width = w > width ? w : width;
		reason_width = r > reason_width ? r : reason_width;
	}
	ret = output_printf(o, "Plan for %s: %zu service%s in %u stage%s, %zu to deploy, %zu to skip\n",
			    m->path, m->n_services, m->n_services == 1 ? "" : "s",
			    sum->n_stages, sum->n_stages == 1 ? "" : "s",
			    sum->changed, m->n_services - sum->changed);
	for (i = 0; ret == 0 && i < m->n_services; i++) {
		const struct plan_service *s = &m->services[order[i]];

		if (s->stage != stage) {
			stage = s->stage;
			if ((ret = output_printf(o, "\nstage %u\n", stage)) < 0)
				break;
		}
		strbuf_reset(&line);
		strbuf_addf(&line, "  %s%s %-*s  %-*s", colour ? step_colour(s) : "",
			    step_mark(s), (int)width, s->name, (int)reason_width,
			    s->reason);
		if (strcmp(s->action, "deploy") == 0) {
			strbuf_addstr(&line, "  ");
			describe_step(&line, s);
		}
		while (line.len && line.buf[line.len - 1] == ' ')
			strbuf_setlen(&line, line.len - 1);
		strbuf_addstr(&line, colour ? "\033[0m\n" : "\n");
		ret = output_write(o, line.buf, line.len);
	}
	strbuf_release(&line);
	return ret;
}

static const char *
dot_colour(const struct plan_service *s)
{
	switch (step_mark(s)[0]) {
	case '+': return "darkgreen";
	case '~': return "darkorange";
	case '!': return "purple";
	default: return "gray50";
	}
}

/* Service names hold only [A-Za-z0-9_.-], so they need no escaping. */
static int
emit_dot(struct output *o, const struct manifest *m, const size_t *order,
	 const struct plan_summary *sum)
{
	size_t i, j;
	unsigned stage = (unsigned)-1;
	int ret;

	ret = output_printf(o, "digraph plan {\n\trankdir=LR;\n"
			       "\tlabel=\"%s: %zu to deploy\";\n"
			       "\tnode [shape=box, style=rounded];\n",
			    m->path, sum->changed);
	for (i = 0; ret == 0 && i < m->n_services; i++) {
		const struct plan_service *s = &m->services[order[i]];

		if (s->stage != stage) {
			if (stage != (unsigned)-1 && (ret = output_puts(o, "\t}\n")) < 0)
				break;
			stage = s->stage;
			if ((ret = output_printf(o, "\tsubgraph stage_%u {\n\t\trank=same;\n",
						 stage)) < 0)
				break;
		}
		ret = output_printf(o, "\t\t\"%s\" [label=\"%s\\n%s\", color=%s%s];\n",
				    s->name, s->name, s->reason, dot_colour(s),
				    strcmp(s->action, "skip") == 0 ? ", style=\"rounded,dashed\"" : "");
	}
	if (ret == 0 && stage != (unsigned)-1)
		ret = output_puts(o, "\t}\n");
	for (i = 0; ret == 0 && i < m->n_services; i++) {
		const struct plan_service *s = &m->services[order[i]];

		for (j = 0; ret == 0 && j < s->n_depends_on; j++)
			ret = output_printf(o, "\t\"%s\" -> \"%s\";\n",
					    m->services[s->dep_index[j]].name, s->name);
	}
	if (ret == 0)
		ret = output_puts(o, "}\n");
	return ret;
}

int
emit_plan(struct output *o, const struct manifest *m, const size_t *order,
	  const struct plan_summary *sum, enum plan_format format, bool colour)
{
	switch (format) {
	case PLAN_FORMAT_TEXT:
		return emit_text(o, m, order, sum, colour);
	case PLAN_FORMAT_DOT:
		return emit_dot(o, m, order, sum);
	default:
		return emit_ndjson(o, m, order, sum);
	}
}
