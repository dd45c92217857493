# lib.sh: what the code-deploy CLI tests share: a private state dir, the
# fake deploy tool bin/rec, a step-record maker and jq helpers. Sourced
# after tests/lib/test-lib.sh, in the test's own directory.
export CODE_STATE_DIR="$TEST_DIR/state"
D="code-deploy --state ./state.json --retry-delay 10ms"

# bin/rec PHASE SERVICE TARGET WEIGHT: the fake deploy tool; it appends its
# arguments to ./record, and fails while ./fail.PHASE.SERVICE.TARGET exists.
mkdir bin && cat >bin/rec <<-\EOF && chmod +x bin/rec || exit 1
#!/bin/sh
echo "$1 $2 $3 $4" >>record
echo "rec: $1 $2 $3 $4"
if [ -e "fail.$1.$2.$3" ]; then
	echo "error: $1 of $2 on $3 failed" >&2
	exit 1
fi
exit 0
EOF

# step SERVICE STRATEGY TARGETS [JQ-EXPR]: a step record deploying SERVICE
# with bin/rec (health by bin/rec too), edited by JQ-EXPR.
step() {
	jq -nc --arg s "$1" --arg st "$2" --argjson t "$3" '{type: "step", stage: 0,
		service: $s, action: "deploy", reason: "new", digest: ("d-" + $s),
		strategy: $st, targets: $t,
		deploy: ["./bin/rec", "deploy", "{service}", "{target}", "-"],
		rollback: ["./bin/rec", "rollback", "{service}", "{target}", "-"],
		health: {cmd: ["./bin/rec", "health", "{service}", "{target}", "-"],
			 timeout_ms: 5000, interval_ms: 10, retries: 0},
		timeout_ms: 20000, retries: 0} | '"${4:-.}"
}

# test_cmp_groups WANT GOT: GOT holds WANT's lines in WANT's order, except
# inside a group (groups are separated by "--" lines in WANT), where any
# order goes: what runs at once may be recorded in any order.
test_cmp_groups() {
	awk '/^--$/ { g++; next } { printf "%03d %s\n", g, $0 }' "$1" | sort >.groups.want &&
	awk 'NR == FNR { if ($0 == "--") g++; else grp[++n] = g; next }
	     { printf "%03d %s\n", (FNR in grp) ? grp[FNR] : 999, $0 }' "$1" "$2" |
		sort >.groups.got &&
	diff -u .groups.want .groups.got
}

# events FILE JQ-FILTER: the events of FILE through FILTER, compact.
events() {
	jq -c "select(.type == \"event\") | $2" "$1"
}

summary() {
	jq -c "select(.type == \"summary\") | $2" "$1"
}
