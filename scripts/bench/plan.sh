#!/bin/sh
# plan.sh: code-plan against coreutils tsort on the same dependency graph.
#
#   scripts/bench/plan.sh [SERVICES] [EDGES]     (default 10000 50000)
#
# Generates a manifest of SERVICES services with EDGES dependency edges (a
# random DAG, fixed seed) and the same edges as tsort input, then times
# both, with hyperfine when it is installed, else a best-of-5 loop.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
plan=${CODE_PLAN:-$top/code-plan}
services=${1:-10000}
edges=${2:-50000}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-plan.XXXXXX")
trap 'rm -rf "$work"' EXIT

[ -x "$plan" ] || { echo "plan.sh: build first: $plan is missing" >&2; exit 1; }

awk -v n="$services" -v e="$edges" -v manifest="$work/deploy.yaml" \
    -v pairs="$work/edges.txt" 'BEGIN {
	srand(42)
	print "version: 1" > manifest
	print "defaults: {timeout: 5m, retries: 2, strategy: rolling, parallel: 5}" > manifest
	print "services:" > manifest
	per = int(e / (n - 1)); extra = e - per * (n - 1)
	for (i = 0; i < n; i++) {
		printf "  svc%05d:\n    deploy: [\"./deploy.sh\", \"{target}\"]\n", i > manifest
		printf "    health: {http: \"http://{target}:8080/health\", timeout: 2s}\n" > manifest
		printf "    targets: [h%05da, h%05db]\n", i, i > manifest
		if (i == 0) { print "    depends_on: []" > manifest; continue }
		k = per + (i <= extra ? 1 : 0); if (k > i) { extra += k - i; k = i }
		delete seen; line = ""
		for (j = 0; j < k; j++) {
			do d = int(rand() * i); while (d in seen)
			seen[d] = 1
			line = line (j ? ", " : "") sprintf("svc%05d", d)
			printf "svc%05d svc%05d\n", d, i > pairs
		}
		print "    depends_on: [" line "]" > manifest
	}
}'
edge_count=$(wc -l <"$work/edges.txt")
size=$(wc -c <"$work/deploy.yaml")
echo "graph: $services services, $edge_count edges; manifest $size bytes"

"$plan" "$work/deploy.yaml" >"$work/plan.ndjson"
tsort "$work/edges.txt" >/dev/null

if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N -w 2 -r 10 --export-json "$work/h.json" \
		"$plan $work/deploy.yaml" "tsort $work/edges.txt" >&2
	plan_s=$(jq '.results[0].mean' "$work/h.json")
	tsort_s=$(jq '.results[1].mean' "$work/h.json")
else
	best() {
		b=""
		for _ in 1 2 3 4 5; do
			s=$(date +%s%N); "$@" >/dev/null; t=$(( $(date +%s%N) - s ))
			[ -z "$b" ] || [ "$t" -lt "$b" ] && b=$t
		done
		echo "$b" | awk '{ printf "%.6f", $1 / 1e9 }'
	}
	plan_s=$(best "$plan" "$work/deploy.yaml")
	tsort_s=$(best tsort "$work/edges.txt")
fi
awk -v p="$plan_s" -v t="$tsort_s" 'BEGIN {
	printf "code-plan: %.3f s   tsort: %.3f s   ratio code-plan/tsort: %.2f\n", p, t, p / t
	printf "goal: <= 0.5 s and <= 2x tsort: %s\n", (p <= 0.5 && p <= 2 * t) ? "met" : "NOT met"
}'
