#!/bin/sh
# deploy.sh: code-deploy's overhead against make -j on the same DAG.
#
#   cd BUILDDIR && ../scripts/bench/deploy.sh [WIDTH] [DEPTH] [RUNS]   (default 50 20 5)
#
# Generates WIDTH x DEPTH no-op steps (1,000 by default): WIDTH lanes, each
# a chain of DEPTH services where service d of a lane depends on service
# d-1 of the same lane, so the DAG is WIDTH wide. The same DAG is written
# as a manifest (planned once by code-plan, not timed) and as a Makefile
# whose every target runs `true`. Then takes the best of RUNS wall-clock
# runs of each, the two alternating, in one run of this script:
#   code-deploy --parallel WIDTH --state S plan.ndjson >/dev/null   (fresh S each run)
#   make -s -j WIDTH -f Makefile
# code-deploy does what a deployment needs and make does not: a journal
# record fsynced per event (group commit), one log file per command, the
# state file written atomically, breakers checked. The goal is a wall time
# <= 1.0x make's. Before timing, one run is checked: its summary says
# succeeded with every step deployed; the script exits 1 otherwise.
#
# CODE_DEPLOY and CODE_PLAN name the binaries (default ./code-deploy,
# ./code-plan); when one is missing the script says so and exits 0.
set -eu
width=${1:-50}
depth=${2:-20}
runs=${3:-5}
deploy=${CODE_DEPLOY:-./code-deploy}
plan=${CODE_PLAN:-./code-plan}
tmp=${TMPDIR:-/tmp}

die() {
	echo "deploy.sh: $*" >&2
	exit 1
}

for v in "$width" "$depth" "$runs"; do
	case $v in
	'' | *[!0-9]* | 0) die "WIDTH, DEPTH and RUNS must be positive integers, not '$v'" ;;
	esac
done
for b in "$deploy" "$plan"; do
	if [ ! -x "$b" ]; then
		echo "deploy.sh: $b is missing (build it, or set CODE_DEPLOY/CODE_PLAN): skipping" >&2
		exit 0
	fi
done
command -v make >/dev/null 2>&1 || die "make is not installed"
case $deploy in /*) ;; *) deploy=$(pwd)/$deploy ;; esac
case $plan in /*) ;; *) plan=$(pwd)/$plan ;; esac
work=$(mktemp -d "$tmp/bench-deploy.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cd "$work"

# The manifest and the Makefile of one DAG.
awk -v w="$width" -v d="$depth" 'BEGIN {
	print "version: 1" > "deploy.yaml"
	print "defaults: {retries: 0, timeout: 1m}" > "deploy.yaml"
	print "services:" > "deploy.yaml"
	printf ".PHONY: all\nall:" > "Makefile"
	for (i = 0; i < d; i++)
		for (j = 0; j < w; j++)
			printf " s%d_%d", i, j > "Makefile"
	printf "\n" > "Makefile"
	for (i = 0; i < d; i++)
		for (j = 0; j < w; j++) {
			printf "  s%d_%d:\n    deploy: [\"true\"]\n", i, j > "deploy.yaml"
			if (i > 0)
				printf "    depends_on: [s%d_%d]\n", i - 1, j > "deploy.yaml"
			printf ".PHONY: s%d_%d\ns%d_%d:%s\n\t@true\n", i, j, i, j,
			       (i > 0 ? sprintf(" s%d_%d", i - 1, j) : "") > "Makefile"
		}
}'
"$plan" deploy.yaml >plan.ndjson
steps=$((width * depth))

# Seconds since the epoch, with nanoseconds.
now() {
	date +%s.%N
}

export CODE_STATE_DIR="$work/state"
run_deploy() {
	rm -rf "$work/state" "$work/s.json" "$work/s.json.journal" "$work/s.json.lock"
	"$deploy" --parallel "$width" --state "$work/s.json" plan.ndjson
}

run_deploy >check.ndjson || die "code-deploy failed; see $work/check.ndjson"
jq -e --argjson n "$steps" 'select(.type == "summary") | .status == "succeeded" and .deployed == $n' \
	check.ndjson >/dev/null || die "the check run did not deploy all $steps steps"
make -s -j "$width" -f Makefile >/dev/null || die "make failed"

# elapsed T0 T1 BEST: the lesser of T1 - T0 and BEST (empty: none yet).
elapsed() {
	awk -v a="$1" -v z="$2" -v b="$3" 'BEGIN {
		t = z - a
		if (b == "" || t < b + 0) b = t
		printf "%.6f", b
	}'
}

# The two alternate, run by run, so a change in the machine's load
# during the script weighs on both alike.
t_deploy=
t_make=
i=0
while [ $i -lt "$runs" ]; do
	t0=$(now)
	run_deploy >/dev/null
	t1=$(now)
	make -s -j "$width" -f Makefile >/dev/null
	t2=$(now)
	t_deploy=$(elapsed "$t0" "$t1" "$t_deploy")
	t_make=$(elapsed "$t1" "$t2" "$t_make")
	i=$((i + 1))
done
ratio=$(awk -v a="$t_deploy" -v b="$t_make" 'BEGIN { printf "%.4f", a / b }')
printf 'steps: %d (width %d, depth %d), best of %d runs\n' "$steps" "$width" "$depth" "$runs"
printf 'code-deploy --parallel %d: %.3f s\n' "$width" "$t_deploy"
printf 'make -j%d:               %.3f s\n' "$width" "$t_make"
printf 'ratio code-deploy/make: %.2fx (goal <= 1.0x)\n' "$ratio"
