/* graph.c: dependency checks, stages by longest path, and cycle reports. */
#include "cmd/plan/graph.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libcommon/diag.h"
#include "libcommon/exitcodes.h"
#include "libcommon/strbuf.h"
#include "libcommon/strmap.h"
#include "libcommon/suggest.h"
#include "libcommon/xalloc.h"

static struct diag_loc
graph_edge_loc(const struct manifest *m, const struct plan_service *s,
	       size_t dep)
{
	if (s->deps_node)
		return yaml_loc_item(m->doc, s->deps_node, dep);
	return yaml_loc_node(m->doc, s->node);
}

static int
graph_unknown_dependency(const struct manifest *m,
			 const struct plan_service *s, size_t dep)
{
	struct diag_loc loc = graph_edge_loc(m, s, dep);
	const char **names = xcalloc(m->n_services + 1, sizeof(*names));
	const char *hint;
	size_t i;
	int ret;

	for (i = 0; i < m->n_services; i++)
		names[i] = m->services[i].name;
	hint = suggest_closest(s->depends_on[dep], names, m->n_services);
	if (hint)
		ret = diag_error(CODE_EXIT_DATAERR, &loc,
				 "service '%s' depends on unknown service '%s' (did you mean '%s'?)",
				 s->name, s->depends_on[dep], hint);
	else
		ret = diag_error(CODE_EXIT_DATAERR, &loc,
				 "service '%s' depends on unknown service '%s'",
				 s->name, s->depends_on[dep]);
	free(names);
	return ret;
}

/*
 * Every service left after Kahn's algorithm waits on another one left,
 * so following the smallest such dependency from the smallest name must
 * come back round: that walk is the cycle we report, deterministically.
 */
static int
graph_report_cycle(const struct manifest *m, const unsigned *pending)
{
	size_t n = m->n_services, start = 0, cur, i, steps = 0;
	size_t *path = xcalloc(n + 1, sizeof(*path));
	size_t *seen_at = xcalloc(n, sizeof(*seen_at));
	struct strbuf cycle = STRBUF_INIT;
	struct diag_loc loc;
	size_t first_dep = 0;
	int ret;

	while (start < n && pending[start] == 0)
		start++;
	cur = start;
	for (;;) {
		const struct plan_service *s = &m->services[cur];
		size_t best = SIZE_MAX, best_dep = 0;

		seen_at[cur] = ++steps;
		path[steps - 1] = cur;
		for (i = 0; i < s->n_depends_on; i++) {
			size_t d = s->dep_index[i];

			if (pending[d] && d < best) {
				best = d;
				best_dep = i;
			}
		}
		if (seen_at[best]) {
			size_t from = seen_at[best] - 1, k;

			for (k = from; k < steps; k++)
				strbuf_addf(&cycle, "%s -> ", m->services[path[k]].name);
			strbuf_addstr(&cycle, m->services[best].name);
			start = path[from];
			if (from + 1 < steps) {
				size_t next = path[from + 1];
				const struct plan_service *fs = &m->services[start];

				for (k = 0; k < fs->n_depends_on; k++)
					if (fs->dep_index[k] == next)
						first_dep = k;
			} else {
				first_dep = best_dep;
			}
			break;
		}
		cur = best;
	}
	loc = graph_edge_loc(m, &m->services[start], first_dep);
	ret = diag_error(CODE_EXIT_DATAERR, &loc, "dependency cycle: %s",
			 cycle.buf);
	strbuf_release(&cycle);
	free(path);
	free(seen_at);
	return ret;
}

int
graph_resolve(struct manifest *m, size_t **order, unsigned *n_stages)
{
	size_t n = m->n_services, i, j, head = 0, tail = 0, done;
	struct strmap *index = strmap_new(n);
	unsigned *pending = xcalloc(n + 1, sizeof(*pending));
	size_t *first_dependent = xcalloc(n + 1, sizeof(*first_dependent));
	size_t *dependents = NULL, *queue = xcalloc(n + 1, sizeof(*queue));
	size_t n_edges = 0, *fill;
	unsigned max_stage = 0;
	int ret = 0;

	*order = NULL;
	*n_stages = 0;
	for (i = 0; i < n; i++)
		strmap_add(index, m->services[i].name, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < n; i++) {
		struct plan_service *s = &m->services[i];

		s->dep_index = xcalloc(s->n_depends_on + 1, sizeof(*s->dep_index));
		for (j = 0; j < s->n_depends_on; j++) {
			uintptr_t v = (uintptr_t)strmap_get(index, s->depends_on[j]);

			if (v == 0) {
				ret = graph_unknown_dependency(m, s, j);
				goto out;
			}
			s->dep_index[j] = v - 1;
			first_dependent[v - 1]++;
		}
		pending[i] = (unsigned)s->n_depends_on;
		n_edges += s->n_depends_on;
		s->stage = 0;
	}
	/* Compressed adjacency: dependents of d are dependents[first[d]..first[d+1]). */
	for (i = 0, j = 0; i <= n; i++) {
		size_t c = first_dependent[i];

		first_dependent[i] = j;
		j += c;
	}
	dependents = xcalloc(n_edges + 1, sizeof(*dependents));
	fill = xcalloc(n + 1, sizeof(*fill));
	for (i = 0; i < n; i++)
		for (j = 0; j < m->services[i].n_depends_on; j++) {
			size_t d = m->services[i].dep_index[j];

			dependents[first_dependent[d] + fill[d]++] = i;
		}
	free(fill);
	for (i = 0; i < n; i++)
		if (pending[i] == 0)
			queue[tail++] = i;
	while (head < tail) {
		size_t d = queue[head++];

		for (j = first_dependent[d]; j < first_dependent[d + 1]; j++) {
			struct plan_service *s = &m->services[dependents[j]];

			if (s->stage < m->services[d].stage + 1)
				s->stage = m->services[d].stage + 1;
			if (--pending[dependents[j]] == 0)
				queue[tail++] = dependents[j];
		}
	}
	done = tail;
	if (done < n) {
		ret = graph_report_cycle(m, pending);
		goto out;
	}
	/*
	 * Counting sort by stage; services are sorted by name, so a stable
	 * sort keeps name order inside each stage.
	 */
	for (i = 0; i < n; i++)
		if (m->services[i].stage > max_stage)
			max_stage = m->services[i].stage;
	{
		size_t *count = xcalloc((size_t)max_stage + 2, sizeof(*count));
		size_t *out = xcalloc(n + 1, sizeof(*out));

		for (i = 0; i < n; i++)
			count[m->services[i].stage + 1]++;
		for (i = 1; i <= max_stage + 1; i++)
			count[i] += count[i - 1];
		for (i = 0; i < n; i++)
			out[count[m->services[i].stage]++] = i;
		free(count);
		*order = out;
	}
	*n_stages = n ? max_stage + 1 : 0;
out:
	strmap_free(index);
	free(pending);
	free(first_dependent);
	free(dependents);
	free(queue);
	return ret;
}
