#!/bin/bash
# 0004-resume.sh: code-deploy --resume after kill -9, SIGTERM, a finished run, a rollback cut short and a damaged journal.
. "$top_srcdir/tests/lib/test-lib.sh"

bin="$top_builddir/code-deploy"
CODE_STATE_DIR="$TEST_DIR/state"
export CODE_STATE_DIR

# cmd.sh PHASE SERVICE TARGET: what every command of the plans runs. It
# writes "PHASE SERVICE TARGET" to rec; while block-PHASE-SERVICE-TARGET
# exists it waits (its pid, which is its process group, goes to blocked,
# so the test can kill what a killed run left behind); it fails when
# fail-PHASE-SERVICE exists.
cat >cmd.sh <<EOF || exit 1
#!/bin/sh
echo "\$1 \$2 \$3" >>"$TEST_DIR/rec"
if [ -e "$TEST_DIR/block-\$1-\$2-\$3" ]; then
	echo \$\$ >>"$TEST_DIR/blocked"
	while [ -e "$TEST_DIR/block-\$1-\$2-\$3" ]; do sleep 0.01; done
fi
[ ! -e "$TEST_DIR/fail-\$1-\$2" ]
EOF
chmod +x cmd.sh || exit 1

# step STAGE SERVICE TARGETS-JSON: a step record whose deploy and rollback run cmd.sh.
step() {
	printf '{"type":"step","stage":%s,"service":"%s","action":"deploy","digest":"d-%s","targets":%s,"retries":0,' \
		"$1" "$2" "$2" "$3"
	printf '"deploy":["%s/cmd.sh","deploy","{service}","{target}"],' "$TEST_DIR"
	printf '"rollback":["%s/cmd.sh","rollback","{service}","{target}"]}\n' "$TEST_DIR"
}

# write_plan DIGEST [D]: A (stage 0) then B (stage 1) then C (stage 2),
# rolling, into plan.ndjson; with D, a service D beside B in stage 1.
write_plan() {
	{
		printf '{"type":"plan","version":1,"digest":"%s","parallel":2}\n' "$1" &&
		step 0 A '["a1","a2"]' &&
		step 1 B '["b1","b2"]' &&
		if [ $# -gt 1 ]; then step 1 D '["d1"]'; fi &&
		step 2 C '["C"]'
	} >plan.ndjson
}

# fresh: no state, journal, record or leftovers of an earlier test.
fresh() {
	rm -rf state state.json state.json.journal state.json.lock rec blocked block-* fail-* out err
}

# start_run [ARG...]: code-deploy on plan.ndjson in the background ($pid), output to out and err.
start_run() {
	"$bin" --state ./state.json --retry-delay 10ms "$@" plan.ndjson >out 2>err &
	pid=$!
}

# deploy [ARG...]: code-deploy on plan.ndjson in the foreground, output to out and err.
deploy() {
	code-deploy --state ./state.json --retry-delay 10ms "$@" plan.ndjson >out 2>err
}

# wait_blocked: waits (20 s at most) until a command is blocked.
wait_blocked() {
	n=0
	while [ ! -s blocked ]; do
		n=$((n + 1))
		if [ $n -gt 2000 ]; then
			echo "no command blocked after 20 s" >&2
			cat err >&2
			return 1
		fi
		sleep 0.01
	done
}

# kill_blocked: kills what cmd.sh left blocked (each in its own process group) and unblocks.
kill_blocked() {
	if [ -f blocked ]; then
		while read -r p; do
			kill -9 -- "-$p" 2>/dev/null
		done <blocked
	fi
	rm -f blocked block-*
}

# crash: kill -9 the run, then what it left running.
crash() {
	kill -9 "$pid" &&
	{ wait "$pid"; test $? = 137; } &&
	kill_blocked
}

# runs: "RUN RESUMED" for each run record of the journal.
runs() {
	jq -r 'select(.type == "run") | "\(.run) \(.resumed)"' state.json.journal
}

summary() {
	jq -r 'select(.type == "summary") | .status' out
}

test_expect_success 'kill -9 while B is in flight; --resume skips A, redoes B from its first target, runs C' '
	fresh && write_plan p1 && touch block-deploy-B-b2 &&
	start_run && wait_blocked && crash &&
	printf "deploy A a1\ndeploy A a2\ndeploy B b1\ndeploy B b2\n" >want &&
	test_cmp want rec &&
	: >rec &&
	deploy --resume &&
	printf "deploy B b1\ndeploy B b2\ndeploy C C\n" >want &&
	test_cmp want rec &&
	test "$(summary)" = succeeded &&
	test_grep "resuming run" err
'

test_expect_success 'the resumed run is the same run: one run id, the second record says resumed' '
	runs >got &&
	test "$(wc -l <got)" = 2 &&
	test "$(cut -d" " -f1 got | sort -u | wc -l)" = 1 &&
	cut -d" " -f2 got >resumed &&
	printf "false\ntrue\n" >want && test_cmp want resumed &&
	jq -r "select(.type == \"run\") | \"\(.run) \(.resumed)\"" out >got.out &&
	sed -n 2p got >want.out && test_cmp want.out got.out &&
	jq -r "select(.type == \"summary\") | .run" out >summary.run &&
	cut -d" " -f1 got | sed -n 1p >want.run && test_cmp want.run summary.run
'

test_expect_success 'the state file holds all three services after the resumed run' '
	jq -r ".services | to_entries[] | \"\(.key) \(.value.digest)\"" state.json >got &&
	printf "A d-A\nB d-B\nC d-C\n" >want && test_cmp want got
'

test_expect_success 'SIGTERM: exit 130, summary interrupted; --resume continues the run' '
	fresh && write_plan p1 && touch block-deploy-B-b2 &&
	start_run && wait_blocked &&
	kill -TERM "$pid" &&
	{ wait "$pid"; test $? = 130; } &&
	test "$(summary)" = interrupted &&
	test ! -e state.json &&
	kill_blocked &&
	: >rec &&
	deploy --resume &&
	printf "deploy B b1\ndeploy B b2\ndeploy C C\n" >want &&
	test_cmp want rec &&
	test "$(summary)" = succeeded &&
	runs >got && test "$(cut -d" " -f1 got | sort -u | wc -l)" = 1 &&
	jq -r ".services | keys | join(\" \")" state.json >keys &&
	echo "A B C" >want && test_cmp want keys
'

test_expect_success '--resume when the last run succeeded: a warning, and a new run' '
	runs | sed -n 1p | cut -d" " -f1 >old.run &&
	: >rec &&
	deploy --resume &&
	test_grep "nothing to resume" err &&
	test "$(summary)" = succeeded &&
	printf "deploy A a1\ndeploy A a2\ndeploy B b1\ndeploy B b2\ndeploy C C\n" >want &&
	test_cmp want rec &&
	runs >got &&
	test "$(wc -l <got)" = 1 &&
	test "$(cut -d" " -f2 got)" = false &&
	! grep -q -F "$(cat old.run)" got
'

# The command of the killed run is still running here: it must not hold the lock.
test_expect_success '--resume with a different plan: exit 65, nothing runs' '
	fresh && write_plan p1 && touch block-deploy-B-b2 &&
	start_run && wait_blocked &&
	kill -9 "$pid" && { wait "$pid"; test $? = 137; } &&
	cp rec rec.before &&
	write_plan p2 &&
	test_expect_code 65 deploy --resume &&
	test_grep "cannot resume run" err &&
	kill_blocked &&
	test_cmp rec.before rec &&
	test ! -e state.json
'

test_expect_success 'without --resume after kill -9: a warning "did not finish" and a fresh run' '
	runs | cut -d" " -f1 >old.run &&
	: >rec &&
	deploy &&
	test_grep "did not finish" err &&
	test "$(summary)" = succeeded &&
	printf "deploy A a1\ndeploy A a2\ndeploy B b1\ndeploy B b2\ndeploy C C\n" >want &&
	test_cmp want rec &&
	runs >got &&
	test "$(wc -l <got)" = 1 &&
	test "$(cut -d" " -f2 got)" = false &&
	! grep -q -F "$(cat old.run)" got
'

test_expect_success 'kill -9 during a rollback: --resume goes on rolling back, deploys nothing' '
	fresh && write_plan p1 &&
	touch fail-deploy-B block-rollback-A-a2 &&
	start_run && wait_blocked && crash &&
	printf "deploy A a1\ndeploy A a2\ndeploy B b1\nrollback B b1\nrollback A a2\n" >want &&
	test_cmp want rec &&
	: >rec &&
	test_expect_code 1 deploy --resume &&
	printf "rollback A a2\nrollback A a1\n" >want &&
	test_cmp want rec &&
	test "$(summary)" = rolled_back &&
	jq -c "select(.type == \"summary\") | [.failed, .rolled_back]" out >got &&
	echo "[[\"B\"],[\"A\",\"B\"]]" >want && test_cmp want got &&
	test ! -e state.json
'

test_expect_success 'SIGTERM during a rollback: exit 130; --resume finishes the rollback' '
	fresh && write_plan p1 &&
	touch fail-deploy-B block-rollback-A-a2 &&
	start_run && wait_blocked &&
	kill -TERM "$pid" &&
	{ wait "$pid"; test $? = 130; } &&
	test "$(summary)" = interrupted &&
	kill_blocked &&
	: >rec &&
	test_expect_code 1 deploy --resume &&
	printf "rollback A a2\nrollback A a1\n" >want &&
	test_cmp want rec &&
	test "$(summary)" = rolled_back &&
	runs >got && test "$(cut -d" " -f1 got | sort -u | wc -l)" = 1
'

# D was in flight when B failed: the crash came before any rollback began.
test_expect_success 'kill -9 after a failure, before the rollback: --resume rolls back, deploys nothing' '
	fresh && write_plan p1 D &&
	touch fail-deploy-B block-deploy-D-d1 &&
	start_run && wait_blocked &&
	n=0 &&
	while ! grep -q "\"service\":\"B\",\"phase\":\"deploy\",\"status\":\"fail\"" state.json.journal; do
		n=$((n + 1)) && test $n -lt 2000 && sleep 0.01 || return 1
	done &&
	crash &&
	sort rec >got &&
	printf "deploy A a1\ndeploy A a2\ndeploy B b1\ndeploy D d1\n" >want &&
	test_cmp want got &&
	: >rec &&
	test_expect_code 1 deploy --resume &&
	printf "rollback B b1\nrollback D d1\nrollback A a2\nrollback A a1\n" >want &&
	test_cmp want rec &&
	test "$(summary)" = rolled_back &&
	jq -c "select(.type == \"summary\") | [.failed, .rolled_back]" out >got &&
	echo "[[\"B\"],[\"A\",\"B\",\"D\"]]" >want && test_cmp want got
'

test_expect_success 'a torn last journal line is tolerated by --resume' '
	fresh && write_plan p1 && touch block-deploy-B-b2 &&
	start_run && wait_blocked && crash &&
	printf "{\"type\":\"event\",\"ts\":\"2026-11-23T10:00:00Z\",\"run\":\"x\",\"serv" >>state.json.journal &&
	: >rec &&
	deploy --resume &&
	printf "deploy B b1\ndeploy B b2\ndeploy C C\n" >want &&
	test_cmp want rec &&
	test "$(summary)" = succeeded &&
	jq -c . state.json.journal >/dev/null &&
	runs >got && test "$(cut -d" " -f1 got | sort -u | wc -l)" = 1
'

test_expect_success 'a corrupt journal line in the middle: exit 65 naming FILE:LINE' '
	fresh && write_plan p1 && touch block-deploy-B-b2 &&
	start_run && wait_blocked && crash &&
	awk "NR == 3 { print \"{not json\" } { print }" state.json.journal >j &&
	mv j state.json.journal &&
	cp rec rec.before &&
	test_expect_code 65 deploy --resume &&
	test_grep "state.json.journal:3:" err &&
	test_cmp rec.before rec
'

test_done
