#!/bin/bash
# 0005-crash.sh: a 30-service plan killed with SIGKILL at 50 random moments, then resumed: every step done once after its last start.
. "$top_srcdir/tests/lib/test-lib.sh"

bin="$top_builddir/code-deploy"
CODE_STATE_DIR="$TEST_DIR/state"
export CODE_STATE_DIR
KILLS=50

# The moments are random; a failure prints the seed to replay it with.
seed=${CODE_CRASH_SEED:-$$}
RANDOM=$seed
echo "# seed $seed (CODE_CRASH_SEED=$seed to replay)"

# step.sh SERVICE TARGET: the deploy command of every service. It appends
# "start SERVICE TARGET RUN", takes 0-30 ms, then appends "done ..." to
# rec in the current directory (short lines: each append is atomic).
cat >step.sh <<\EOF || exit 1
#!/bin/bash
echo "start $1 $2 $CODE_DEPLOY_RUN" >>rec
sleep "0.0$((RANDOM % 31 / 10))$((RANDOM % 10))"
echo "done $1 $2 $CODE_DEPLOY_RUN" >>rec
EOF
chmod +x step.sh || exit 1

# write_plan: 6 stages x 5 services, rolling or all at once, 1 or 2 targets each.
write_plan() {
	printf '{"type":"plan","version":1,"digest":"crash-1","parallel":5}\n'
	for stage in 0 1 2 3 4 5; do
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
			printf '"strategy":"%s","targets":%s,"deploy":["%s/step.sh","{service}","{target}"]}\n' \
				"$strategy" "$targets" "$TEST_DIR"
		done
	done
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

# campaign WINDOW: KILLS runs (--resume after the first), each killed with
# SIGKILL 0 to WINDOW ms after its start. A run that finished before its
# kill exits 0 and the next --resume starts a new run. rec gets a line
# "invocation I" before each; out.I, err.I and rc.I keep what each said.
campaign() {
	RANDOM=$seed
	i=0
	while [ $i -lt $KILLS ]; do
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

final_resume() {
	echo "invocation $((KILLS + 1))" >>rec &&
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

mkdir crash clean && write_plan >crash/plan.ndjson && cp crash/plan.ndjson clean/ || exit 1

test_expect_success 'an uninterrupted run of the 30-service plan' '
	(cd clean && bounded 60 clean_run) &&
	test "$(jq -r "select(.type == \"summary\") | .status" clean/out)" = succeeded &&
	test "$(jq ".services | length" clean/state.json)" = 30 &&
	test "$(grep -c "^done " clean/rec)" = 45
'

# The kills fall 0-300 ms after each start, or, on a machine so slow that
# the whole plan takes more than 1.2 s, within a quarter of that (1 s at
# most): then too the campaign gets past the first stages before the end.
test_expect_success "$KILLS runs killed with SIGKILL at random moments, then --resume to the end" '
	cd crash &&
	took=$(jq -r "select(.type == \"summary\") | .duration_ms" ../clean/out) &&
	window=$((took / 4)) &&
	if [ $window -lt 300 ]; then window=300; fi &&
	if [ $window -gt 1000 ]; then window=1000; fi &&
	campaign $window &&
	bounded 60 final_resume &&
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
	test_cmp want counts
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

# What the campaign covered, for whoever reads the log.
if [ -f crash/rc.$KILLS ]; then
	echo "# $(cat crash/rc.* | grep -c "^0$") of $KILLS runs finished before their kill;" \
		"$(cat crash/out.[0-9]* | jq -r "select(.type == \"event\" and .status == \"ok\" and (has(\"target\") | not)) | .service" 2>/dev/null | wc -l)" \
		"services completed before the final --resume"
fi

test_done
