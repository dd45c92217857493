#!/bin/bash
# 0003-safety.sh: code-deploy's safety: the state lock, SIGINT and SIGTERM, secrets masked everywhere, a closed stdout, bad plans and usage.
. "$top_srcdir/tests/lib/test-lib.sh"

. "$top_srcdir/tests/cli/deploy/lib.sh"
# Started in the background, the tool is run directly (not through the
# test wrapper function), so $! is its own pid and signals reach it.
deploy_bin="$top_builddir/code-deploy"

# bin/hold TARGET: a long deployment: records itself, says it started
# (./started.TARGET), then waits for ./go (30 s at most). A SIGTERM or
# SIGINT it gets is appended to ./signals.
cat >bin/hold <<-\EOF && chmod +x bin/hold || exit 1
#!/bin/sh
trap 'echo "TERM $1" >>signals; exit 143' TERM
trap 'echo "INT $1" >>signals; exit 130' INT
echo "deploy hold $1 -" >>record
touch "started.$1"
i=0
while [ ! -e go ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && exit 1
	sleep 0.05
done
EOF

# wait_for FILE: waits (30 s at most) for FILE to exist.
wait_for() {
	for _ in $(seq 600); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "no $1 after 30 s" >&2
	return 1
}

# wait_pid PID: waits for our background job PID; its status into ./rc.
# A run that does not end within 60 s is killed (and the test fails).
wait_pid() {
	for _ in $(seq 1200); do
		case "$(ps -o stat= -p "$1" 2>/dev/null)" in
		"" | Z*) break ;;
		esac
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
	echo $? >rc
}

test_expect_success 'a run holds the state lock: a second run on the same state is 75 and names the pid' '
	rm -f record go started.* signals &&
	{ step slow rolling "[\"x\"]" ".deploy = [\"./bin/hold\", \"{target}\"] | del(.health)" &&
	  step after rolling "[\"y\"]" ".stage = 1"; } >plan.ndjson &&
	{ "$deploy_bin" --state ./state.json --retry-delay 10ms plan.ndjson >out1 2>err1 &
	  echo $! >pid1; } &&
	wait_for started.x &&
	step other rolling "[\"z\"]" >plan2.ndjson &&
	test_expect_code 75 timeout 60 $D plan2.ndjson >out2 2>err2 &&
	test_grep "$(cat pid1)" err2 &&
	test_must_be_empty out2 &&
	! grep -q other record &&
	timeout 60 $D --dry-run plan2.ndjson >out3 &&
	test "$(summary out3 .would_deploy)" = 1 &&
	timeout 60 code-deploy --state ./other.json plan2.ndjson >out3 &&
	test_grep "deploy other z" record &&
	touch go &&
	wait_pid "$(cat pid1)" &&
	test "$(cat rc)" = 0 &&
	test "$(summary out1 .status)" = "\"succeeded\"" &&
	timeout 60 $D plan2.ndjson >out2
'

# interrupt SIGNAL: runs plan.ndjson in the background, sends SIGNAL once
# target x has started; stdout to out, status to rc.
interrupt() {
	rm -f record go started.* signals state.json* &&
	# A background job of a script ignores SIGINT; env gives it back.
	{ env --default-signal=INT "$deploy_bin" --state ./state.json --retry-delay 10ms \
		--kill-after 5s plan.ndjson >out 2>err &
	  echo $! >pid; } &&
	wait_for started.x &&
	kill -"$1" "$(cat pid)" &&
	wait_pid "$(cat pid)"
}

for sig in INT TERM; do
	test_expect_success "SIG$sig during a deployment: exit 130, interrupted, the command got SIGTERM, no rollback" '
		{ step slow all_at_once "[\"x\"]" ".deploy = [\"./bin/hold\", \"{target}\"] | del(.health)" &&
		  step quick rolling "[\"q\"]" &&
		  step later rolling "[\"y\"]" ".stage = 1"; } >plan.ndjson &&
		interrupt '$sig' &&
		test "$(cat rc)" = 130 &&
		echo "TERM x" >want && test_cmp want signals &&
		! grep -q rollback record && ! grep -q later record &&
		summary out .status >got && echo "\"interrupted\"" >want && test_cmp want got &&
		events out "select(.service == \"slow\" and .target == \"x\") | .status" | tail -n 1 >got &&
		echo "\"interrupted\"" >want && test_cmp want got &&
		! events out "select(.phase == \"rollback\")" | grep -q . &&
		test_grep "SIG'$sig'" err &&
		! test -e state.json
	'
done

# wait_journal JQ-FILTER: waits (30 s at most) for an event of
# ./state.json.journal to match FILTER.
wait_journal() {
	for _ in $(seq 600); do
		[ -e state.json.journal ] &&
			jq -e "select(.type == \"event\") | select($1)" state.json.journal >/dev/null 2>&1 &&
			return 0
		sleep 0.05
	done
	echo "no event $1 after 30 s" >&2
	return 1
}

# stop_while PHASE JQ-FILTER: runs plan.ndjson in the background, sends
# SIGTERM once the journal has an event matching FILTER; status to rc.
stop_while() {
	rm -f record state.json* &&
	{ "$deploy_bin" --state ./state.json --retry-delay 100s plan.ndjson >out 2>err &
	  echo $! >pid; } &&
	wait_journal "$1" &&
	kill -TERM "$(cat pid)" &&
	wait_pid "$(cat pid)" &&
	test "$(cat rc)" = 130 &&
	test "$(summary out .status)" = "\"interrupted\""
}

test_expect_success 'a stop is prompt while waiting: a health start period, a retry delay, a canary pause' '
	step a rolling "[\"a1\"]" ".health.start_period_ms = 100000" >plan.ndjson &&
	stop_while ".phase == \"health\" and .status == \"start\"" &&
	step a rolling "[\"a1\"]" ".retries = 3 | .deploy = [\"false\"]" >plan.ndjson &&
	stop_while ".phase == \"deploy\" and .status == \"retry\"" &&
	step a canary "[\"a1\"]" "del(.health) | .switch = [\"true\"] |
		.canary = {steps: [50, 100], pause_ms: 100000}" >plan.ndjson &&
	stop_while ".phase == \"switch\" and .status == \"ok\"" &&
	! grep -q rollback record
'

SECRET_A=tok-Zq81-very-secret
SECRET_B=cred-4471-also-secret
SECRET_C=ambient-9f3e-secret

# bin/leak: a deploy that prints the secrets it was given, as people do.
cat >bin/leak <<-\EOF && chmod +x bin/leak || exit 1
#!/bin/sh
echo "deploy leak $1 -" >>record
echo "using token $API_TOKEN for $1"
echo "cred=$MY_CRED" >&2
echo "ambient:$OTHER_TOKEN."
echo "argv: $*"
if [ "$1" = bad ]; then
	echo "failed with token $API_TOKEN" >&2
	exit 2
fi
exit 0
EOF

test_expect_success 'secrets are masked in stdout, stderr, logs, journal and state; *** instead' '
	rm -rf record "$CODE_STATE_DIR" state.json* &&
	step leak rolling "[\"good\"]" "del(.health) |
		.deploy = [\"./bin/leak\", \"{target}\"] |
		.env = {API_TOKEN: \"\${API_TOKEN}\", MY_CRED: \"$SECRET_B\", PLAIN: \"visible\"} |
		.secrets = [\"MY_CRED\"]" >plan.ndjson &&
	API_TOKEN=$SECRET_A OTHER_TOKEN=$SECRET_C timeout 60 $D plan.ndjson >out 2>err &&
	run=$(jq -r "select(.type == \"run\") | .run" out) &&
	log="$CODE_STATE_DIR/logs/$run/leak.good.deploy.log" &&
	cat >want <<-\EOF &&
	using token *** for good
	cred=***
	ambient:***.
	argv: good
	EOF
	test_cmp want "$log" &&
	for s in $SECRET_A $SECRET_B $SECRET_C; do
		! grep -r -l -F -e "$s" out err state.json state.json.journal "$CODE_STATE_DIR" ||
			return 1
	done
'

test_expect_success 'the tail of a failing event is masked too' '
	rm -rf record "$CODE_STATE_DIR" state.json* &&
	step leak rolling "[\"bad\"]" "del(.health) |
		.deploy = [\"./bin/leak\", \"{target}\"] |
		.env = {API_TOKEN: \"\${API_TOKEN}\", MY_CRED: \"$SECRET_B\"} |
		.secrets = [\"MY_CRED\"]" >plan.ndjson &&
	API_TOKEN=$SECRET_A OTHER_TOKEN=$SECRET_C test_expect_code 1 timeout 60 $D plan.ndjson >out 2>err &&
	events out "select(.status == \"fail\" and .target == \"bad\") | .tail[]" | jq -r . >got &&
	cat >want <<-\EOF &&
	using token *** for bad
	cred=***
	ambient:***.
	argv: bad
	failed with token ***
	EOF
	test_cmp want got &&
	for s in $SECRET_A $SECRET_B $SECRET_C; do
		! grep -r -l -F -e "$s" out err state.json.journal "$CODE_STATE_DIR" ||
			return 1
	done
'

test_expect_success 'a dry run masks secrets in the commands it prints' '
	step leak rolling "[\"good\"]" "del(.health) |
		.deploy = [\"./bin/leak\", \"--token=$SECRET_B\", \"{target}\"] |
		.env = {DEPLOY_TOKEN: \"$SECRET_B\"}" >plan.ndjson &&
	timeout 60 $D --dry-run plan.ndjson >out 2>err &&
	jq -c "select(.type == \"command\") | .argv" out >got &&
	echo "[\"./bin/leak\",\"--token=***\",\"good\"]" >want && test_cmp want got
'

test_expect_success 'stdout that cannot be written: the deployment still completes, exit 74' '
	rm -rf record state.json* &&
	{ step a rolling "[\"a1\",\"a2\"]" && step b rolling "[\"b1\"]" ".stage = 1"; } >plan.ndjson &&
	test_expect_code 74 timeout 60 $D plan.ndjson >/dev/full 2>err &&
	cat >want <<-\EOF &&
	deploy a a1 -
	health a a1 -
	deploy a a2 -
	health a a2 -
	deploy b b1 -
	health b b1 -
	EOF
	test_cmp want record &&
	tail -n 1 state.json.journal | jq -e ".type == \"summary\" and .status == \"succeeded\""
'

test_expect_success 'stdout a pipe whose reader is gone: the deployment still completes, exit 74' '
	rm -rf record state.json* &&
	step a rolling "[\"a1\",\"a2\"]" >plan.ndjson &&
	{ timeout 60 "$deploy_bin" --state ./state.json plan.ndjson 2>err; echo $? >rc; } | head -c 0 &&
	test "$(cat rc)" = 74 &&
	test "$(grep -c "^deploy" record)" = 2
'

test_expect_success 'stdout closed: the deployment completes and the journal stays whole' '
	rm -rf record state.json* &&
	step a rolling "[\"a1\",\"a2\"]" >plan.ndjson &&
	{ timeout 60 $D plan.ndjson >&- 2>err; echo $? >rc; } &&
	case "$(cat rc)" in 0|74) ;; *) false ;; esac &&
	test "$(grep -c "^deploy" record)" = 2 &&
	jq -c .type state.json.journal >types &&
	head -n 1 types >got && echo "\"run\"" >want && test_cmp want got &&
	tail -n 1 types >got && echo "\"summary\"" >want && test_cmp want got
'

test_expect_success 'a journal that is not a regular file is refused, not read forever' '
	step a rolling "[\"a1\"]" >plan.ndjson &&
	(timeout 60 "$deploy_bin" --state ./state.json --journal /dev/zero \
		plan.ndjson >out 2>err; echo $? >rc);
	case "$(cat rc)" in 64|65|66|74) ;; *) false ;; esac &&
	test_grep /dev/zero err
'

test_expect_success 'a malformed plan line is 65 with its line number; nothing runs' '
	rm -rf record state.json* &&
	{ step a rolling "[\"a1\"]" && echo "{\"type\": \"step\", oops" && step b rolling "[\"b1\"]"; } >plan.ndjson &&
	test_expect_code 65 $D plan.ndjson >out 2>err &&
	test_grep "plan.ndjson:2:" err &&
	test_must_be_empty out && ! test -e record
'

test_expect_success 'a step with a field of the wrong type is 65 naming the field' '
	step a rolling "[\"a1\"]" ".retries = \"many\"" >plan.ndjson &&
	test_expect_code 65 $D plan.ndjson >out 2>err &&
	test_grep "plan.ndjson:1:.*retries" err &&
	step a sideways "[\"a1\"]" >plan.ndjson &&
	test_expect_code 65 $D plan.ndjson >out 2>err &&
	test_grep "plan.ndjson:1:.*strategy" err &&
	! test -e record
'

test_expect_success 'empty input is 65; a plan on stdin works' '
	: >empty.ndjson &&
	test_expect_code 65 $D empty.ndjson >out 2>err &&
	test_grep "empty.ndjson" err &&
	test_expect_code 65 $D - </dev/null >out 2>err &&
	step a rolling "[\"a1\"]" | timeout 60 $D - >out &&
	test "$(summary out .status)" = "\"succeeded\""
'

test_expect_success 'a missing plan file is 66' '
	test_expect_code 66 $D no-such-plan.ndjson >out 2>err &&
	test_grep "no-such-plan.ndjson" err &&
	test_must_be_empty out
'

test_expect_success 'usage errors are 64: --resume with --dry-run, an unknown option, a bad duration' '
	step a rolling "[\"a1\"]" >plan.ndjson &&
	test_expect_code 64 $D --resume --dry-run plan.ndjson >out 2>err &&
	test_must_be_empty out &&
	test_expect_code 64 $D --no-such-option plan.ndjson >out 2>err &&
	test_expect_code 64 $D --kill-after soon plan.ndjson >out 2>err &&
	test_expect_code 64 $D --parallel 0 plan.ndjson >out 2>err
'

test_done
