#!/bin/bash
# 0005-crash.sh: a 30-service plan killed with SIGKILL at 50 random moments, then resumed: every step done once after its last start; then a failing plan, killed while it deploys and rolls back.
. "$top_srcdir/tests/lib/test-lib.sh"

bin="$top_builddir/code-deploy"
CODE_STATE_DIR="$TEST_DIR/state"
export CODE_STATE_DIR
KILLS=50

# The moments are random; a failure prints the seed to replay it with.
seed=${CODE_CRASH_SEED:-$$}
RANDOM=$seed
echo "# seed $seed (CODE_CRASH_SEED=$seed to replay)"

# step.sh SERVICE TARGET [rb]: the deploy (and rollback: rb) command of
# every service. It appends "start SERVICE TARGET RUN" ("rbstart" for a
# rollback), takes 0-30 ms, then appends "done ..." ("rbdone") to rec in
# the current directory (short lines: each append is atomic). A deploy
# fails when the file fail-SERVICE exists there.
cat >step.sh <<\EOF || exit 1
#!/bin/bash
echo "${3}start $1 $2 $CODE_DEPLOY_RUN" >>rec
sleep "0.0$((RANDOM % 31 / 10))$((RANDOM % 10))"
echo "${3}done $1 $2 $CODE_DEPLOY_RUN" >>rec
[ -n "$3" ] || [ ! -e "fail-$1" ]
EOF
chmod +x step.sh || exit 1

# write_plan STAGES [rb]: STAGES stages x 5 services, rolling or all at
# once, 1 or 2 targets each, with rollback commands when rb is given.
write_plan() {
	rollback=
	if [ $# -gt 1 ]; then
		rollback=",\"rollback\":[\"$TEST_DIR/step.sh\",\"{service}\",\"{target}\",\"rb\"]"
	fi
	printf '{"type":"plan","version":1,"digest":"crash-%s","parallel":5}\n' "$1"
	for stage in $(seq 0 $(($1 - 1))); do
		for k in 0 1 2 3 4; do
			name="s$stage$k"
			if [ $((k % 2)) = 0 ]; then strategy=rolling; else strategy=all_at_once; fi
			if [ $(((stage + k) % 2)) = 0 ]; then
				targets="[\"$name-t1\",\"$name-t2\"]"
			else
				targets="[\"$name-t1\"]"
			fi
			printf '{"type":"step","stage":%d,"service":"%s","action":"deploy","digest":"d-%s",' \
				"$stage" "$name" "$name"
			printf '"strategy":"%s","targets":%s,"retries":0,"deploy":["%s/step.sh","{service}","{target}"]%s}\n' \
				"$strategy" "$targets" "$TEST_DIR" "$rollback"
		done
	done
}

# window FILE DIVISOR: DIVISOR-th of the time the run of FILE (its
# stdout) took, but 300 ms at least and 1 s at most. The kills fall 0-300
# ms after each start, or, on a machine so slow that that is a small part
# of a run, later: then too a campaign gets past the first stages.
window() {
	w=$(jq -r "select(.type == \"summary\") | .duration_ms" "$1")
	w=$((w / $2))
	if [ $w -lt 300 ]; then w=300; fi
	if [ $w -gt 1000 ]; then w=1000; fi
	echo $w
}

# kill_steps: kills the step.sh a killed run left running (each is in its
# own process group, so the SIGKILL of code-deploy does not reach them);
# returns 1 when they will not go.
kill_steps() {
	n=0
	sleep 0.02
	while pgrep -f -- "$TEST_DIR/step.sh" >/dev/null; do
		pkill -9 -f -- "$TEST_DIR/step.sh"
		n=$((n + 1))
		if [ $n -gt 500 ]; then
			echo "step.sh still running after 5 s" >&2
			return 1
		fi
		sleep 0.01
	done
}

# campaign WINDOW N: N runs (--resume after the first), each killed with
# SIGKILL 0 to WINDOW ms after its start. A run that finished before its
# kill exits 0 and the next --resume starts a new run. rec gets a line
# "invocation I" before each; out.I, err.I and rc.I keep what each said.
campaign() {
	RANDOM=$seed
	i=0
	while [ $i -lt $2 ]; do
		i=$((i + 1))
		resume=--resume
		[ $i = 1 ] && resume=
		echo "invocation $i" >>rec
		"$bin" --state ./state.json --retry-delay 10ms --parallel 5 $resume plan.ndjson \
			>out.$i 2>err.$i &
		pid=$!
		ms=$((RANDOM * 32768 + RANDOM))
		ms=$((ms % $1))
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		kill -9 $pid 2>/dev/null
		wait $pid
		echo $? >rc.$i
		kill_steps || return 1
	done
}

# bounded SECS CMD...: runs CMD (a function is fine), failing if it has not ended after SECS.
bounded() {
	limit=$1
	shift
	"$@" &
	bpid=$!
	n=0
	while kill -0 $bpid 2>/dev/null; do
		n=$((n + 1))
		if [ $n -gt $((limit * 10)) ]; then
			echo "still running after $limit s: $*" >&2
			kill -9 $bpid
			return 1
		fi
		sleep 0.1
	done
	wait $bpid
}

# final_resume N: the --resume after a campaign of N runs.
final_resume() {
	echo "invocation $(($1 + 1))" >>rec &&
	code-deploy --state ./state.json --retry-delay 10ms --parallel 5 --resume plan.ndjson \
		>out.final 2>err.final
}

clean_run() {
	code-deploy --state ./state.json --retry-delay 10ms --parallel 5 plan.ndjson >out 2>err
}

# state_view FILE: the state's services without the time and run of each deployment.
state_view() {
	jq -S ".services | map_values(del(.deployed_at, .run))" "$1"
}

mkdir crash clean fail failclean &&
write_plan 6 >crash/plan.ndjson && cp crash/plan.ndjson clean/ &&
write_plan 3 rb >fail/plan.ndjson && cp fail/plan.ndjson failclean/ &&
touch fail/fail-s20 failclean/fail-s20 || exit 1

test_expect_success 'an uninterrupted run of the 30-service plan' '
	(cd clean && bounded 60 clean_run) &&
	test "$(jq -r "select(.type == \"summary\") | .status" clean/out)" = succeeded &&
	test "$(jq ".services | length" clean/state.json)" = 30 &&
	test "$(grep -c "^done " clean/rec)" = 45
'

test_expect_success "$KILLS runs killed with SIGKILL at random moments, then --resume to the end" '
	cd crash &&
	campaign $(window ../clean/out 4) $KILLS &&
	bounded 60 final_resume $KILLS &&
	test "$(jq -r "select(.type == \"summary\") | .status" out.final)" = succeeded
'

test_expect_success 'each killed run was killed, or finished and said so' '
	cd crash &&
	for i in $(seq $KILLS); do
		rc=$(cat rc.$i) &&
		case $rc in
		137) ;;
		0) test "$(jq -r "select(.type == \"summary\") | .status" out.$i)" = succeeded ||
			{ echo "run $i exited 0 without success" >&2; return 1; } ;;
		*) echo "run $i exited $rc:" >&2; cat err.$i >&2; return 1 ;;
		esac
	done
'

# (The next run may be killed before it says anything: then there is nothing to check.)
test_expect_success 'a --resume after a run that finished starts a new run, with a warning' '
	cd crash &&
	for i in $(seq $KILLS); do
		test "$(cat rc.$i)" = 0 || continue
		next=$((i + 1))
		[ $next -le $KILLS ] || next=final
		jq -r "select(.type == \"run\") | \"\(.run) \(.resumed)\"" out.$next >next.run &&
		test -s next.run || continue
		old=$(jq -r "select(.type == \"summary\") | .run" out.$i) &&
		test_grep "nothing to resume" err.$next &&
		test "$(cut -d" " -f2 next.run)" = false &&
		test "$(cut -d" " -f1 next.run)" != "$old" || return 1
	done
'

test_expect_success 'every target completed exactly once after its last start' '
	cd crash &&
	jq -r "select(.type == \"step\") | .service as \$s | .targets[] | \"\(\$s) \(.)\"" plan.ndjson |
		sort >targets &&
	test "$(wc -l <targets)" = 45 &&
	awk "
		\$1 == \"start\" { k = \$2 \" \" \$3; started[k] = 1; done_after[k] = 0 }
		\$1 == \"done\" { k = \$2 \" \" \$3; done_after[k]++ }
		END { for (k in started) print k, done_after[k] }
	" rec | sort >counts &&
	sed "s/\$/ 1/" targets >want &&
	test_cmp want counts &&
	test "$(grep -c "^rb" rec)" = 0
'

test_expect_success 'a service completed in a run is not deployed again when that run resumes' '
	cd crash &&
	for i in $(seq $KILLS); do
		jq -r --arg i $i "select(.type == \"event\" and .phase == \"deploy\" and .status == \"ok\" and (has(\"target\") | not)) | \"\(\$i) \(.run) \(.service)\"" out.$i || return 1
	done >completed &&
	test -s completed &&
	awk "
		FNR == NR { when[\$2 \" \" \$3] = \$1; next }
		\$1 == \"invocation\" { inv = \$2; next }
		\$1 == \"start\" && ((\$4 \" \" \$2) in when) && inv > when[\$4 \" \" \$2] {
			print \"run \" \$4 \": \" \$2 \" completed in invocation \" when[\$4 \" \" \$2] \" started again in \" inv
		}
	" completed rec >twice &&
	test_must_be_empty twice
'

test_expect_success 'the final state equals the uninterrupted run'"'"'s' '
	state_view clean/state.json >want &&
	state_view crash/state.json >got &&
	test_cmp want got
'

test_expect_success 'the journal reads back: one run, ended succeeded' '
	cd crash &&
	jq -c . state.json.journal >/dev/null &&
	test "$(jq -r "select(.type == \"run\") | .run" state.json.journal | sort -u | wc -l)" = 1 &&
	test "$(tail -n 1 state.json.journal | jq -r .status)" = succeeded &&
	test "$(tail -n 1 state.json.journal | jq -r .run)" = "$(jq -r "select(.type == \"summary\") | .run" out.final)"
'

FAILKILLS=15

test_expect_success 'an uninterrupted run of a plan whose s20 fails: all 15 services rolled back' '
	(cd failclean && test_expect_code 1 bounded 60 clean_run) &&
	jq -c "select(.type == \"summary\") | [.status, .failed, (.rolled_back | length)]" failclean/out >got &&
	echo "[\"rolled_back\",[\"s20\"],15]" >want && test_cmp want got &&
	test ! -e failclean/state.json
'

test_expect_success "the failing plan: $FAILKILLS runs killed at random moments, then --resume to the end" '
	cd fail &&
	campaign $(window ../failclean/out 2) $FAILKILLS &&
	for i in $(seq $FAILKILLS); do
		case $(cat rc.$i) in
		137|1) ;;
		*) echo "run $i exited $(cat rc.$i):" >&2; cat err.$i >&2; return 1 ;;
		esac
	done &&
	test_expect_code 1 bounded 60 final_resume $FAILKILLS &&
	jq -c "select(.type == \"summary\") | [.status, .failed]" out.final >got &&
	echo "[\"rolled_back\",[\"s20\"]]" >want && test_cmp want got &&
	jq -r "select(.type == \"summary\") | .rolled_back[]" out.final >rolled &&
	for s in s00 s01 s02 s03 s04 s10 s11 s12 s13 s14 s20; do
		grep -q -x $s rolled || { echo "$s not rolled back" >&2; return 1; }
	done &&
	test ! -e state.json
'

test_expect_success 'every target deployed to was rolled back after its last deploy, once' '
	cd fail &&
	awk "
		\$1 == \"start\" { k = \$2 \" \" \$3; deployed[k] = NR }
		\$1 == \"rbstart\" { k = \$2 \" \" \$3; rb[k] = NR; rb_done[k] = 0 }
		\$1 == \"rbdone\" { k = \$2 \" \" \$3; rb_done[k]++ }
		END {
			for (k in deployed)
				if (rb[k] < deployed[k] || rb_done[k] != 1)
					print k \": deployed on line \" deployed[k] \", last rollback started on line \" rb[k] + 0 \", done \" rb_done[k] + 0 \" times after\"
		}
	" rec >bad &&
	test_must_be_empty bad &&
	grep -q "^start s00 " rec
'

test_expect_success 'a service rolled back in a run is not rolled back again when that run resumes' '
	cd fail &&
	for i in $(seq $FAILKILLS); do
		jq -r --arg i $i "select(.type == \"event\" and .phase == \"rollback\" and .status == \"ok\" and (has(\"target\") | not)) | \"\(\$i) \(.run) \(.service)\"" out.$i || return 1
	done >completed &&
	awk "
		FNR == NR { when[\$2 \" \" \$3] = \$1; next }
		\$1 == \"invocation\" { inv = \$2; next }
		\$1 ~ /start/ && ((\$4 \" \" \$2) in when) && inv > when[\$4 \" \" \$2] {
			print \"run \" \$4 \": \" \$2 \" rolled back in invocation \" when[\$4 \" \" \$2] \", then \" \$1 \" in \" inv
		}
	" completed rec >twice &&
	test_must_be_empty twice
'

# What the campaign covered, for whoever reads the log.
if [ -f crash/rc.$KILLS ]; then
	echo "# $(cat crash/rc.* | grep -c "^0$") of $KILLS runs finished before their kill;" \
		"$(cat crash/out.[0-9]* | jq -r "select(.type == \"event\" and .status == \"ok\" and (has(\"target\") | not)) | .service" 2>/dev/null | wc -l)" \
		"services completed before the final --resume"
fi

test_done
