#!/bin/bash
# 0002-failure.sh: code-deploy's failures: retries, cascade rollback, health checks over HTTP and commands, timeouts of process trees, breakers.
. "$top_srcdir/tests/lib/test-lib.sh"

. "$top_srcdir/tests/cli/deploy/lib.sh"

# The HTTP server of the health checks, for the whole file. Its output
# goes to a file, so that it never holds the test's stdout open (a TAP
# driver waits for that); it is stopped when the script exits.
mkdir www || exit 1
"$top_builddir/tests/helpers/test-httpd" --port-file port --dir www --log httpd.log \
	>httpd.out 2>&1 </dev/null &
httpd_pid=$!
trap 'kill "$httpd_pid" 2>/dev/null' EXIT
for _ in $(seq 400); do
	[ -s port ] && break
	sleep 0.05
done
PORT=$(cat port) || exit 1
URL="http://127.0.0.1:$PORT"

test_expect_success 'a failing deploy command is retried "retries" times, then the service fails' '
	rm -f record fail.* &&
	step web rolling "[\"a\"]" ".retries = 2" >plan.ndjson &&
	touch fail.deploy.web.a &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy web a -
	deploy web a -
	deploy web a -
	rollback web a -
	EOF
	test_cmp want record &&
	events out "select(.target == \"a\" and .phase == \"deploy\") | [.status, .attempt, .exit, .message]" >got &&
	cat >want <<-\EOF &&
	["start",1,null,null]
	["retry",1,1,"exit 1"]
	["start",2,null,null]
	["retry",2,1,"exit 1"]
	["start",3,null,null]
	["fail",3,1,"exit 1"]
	EOF
	test_cmp want got &&
	summary out "[.status, .failed, .rolled_back]" >got &&
	echo "[\"rolled_back\",[\"web\"],[\"web\"]]" >want && test_cmp want got &&
	! test -e state.json
'

test_expect_success 'a command that succeeds on a retry: the service succeeds' '
	rm -f record fail.* n &&
	step web rolling "[\"a\"]" ".retries = 3 | .deploy = \"echo x >>n; test \$(wc -l <n) -ge 3\"" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	events out "select(.phase == \"deploy\" and .status != \"start\") | [.status, .attempt]" >got &&
	cat >want <<-\EOF &&
	["retry",1]
	["retry",2]
	["ok",3]
	["ok",null]
	EOF
	test_cmp want got
'

test_expect_success 'rolling: the rollback runs where a deploy started, newest target first' '
	rm -f record fail.* &&
	step web rolling "[\"a\",\"b\",\"c\",\"d\"]" >plan.ndjson &&
	touch fail.deploy.web.c &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy web a -
	health web a -
	deploy web b -
	health web b -
	deploy web c -
	rollback web c -
	rollback web b -
	rollback web a -
	EOF
	test_cmp want record
'

test_expect_success 'rolling: a rollback not naming {target} still runs on each target, with CODE_DEPLOY_TARGET' '
	rm -f record fail.* &&
	step web rolling "[\"a\",\"b\",\"c\"]" "del(.health) |
		.rollback = [\"sh\", \"-c\", \"echo rollback \$CODE_DEPLOY_TARGET >>record\"]" >plan.ndjson &&
	touch fail.deploy.web.c &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	grep "^rollback" record >got &&
	printf "rollback %s\n" c b a >want && test_cmp want got
'

test_expect_success 'cascade: the failed service rolls back first, then the completed ones, newest first' '
	rm -f record fail.* &&
	{ step one rolling "[\"x\"]" &&
	  step two rolling "[\"x\"]" ".stage = 1" &&
	  step three rolling "[\"x\"]" ".stage = 2"; } >plan.ndjson &&
	touch fail.health.three.x &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy one x -
	health one x -
	deploy two x -
	health two x -
	deploy three x -
	health three x -
	rollback three x -
	rollback two x -
	rollback one x -
	EOF
	test_cmp want record &&
	events out "select(.target == null and .phase == \"rollback\") | [.service, .status]" >got &&
	cat >want <<-\EOF &&
	["three","start"]
	["three","ok"]
	["two","start"]
	["two","ok"]
	["one","start"]
	["one","ok"]
	EOF
	test_cmp want got &&
	summary out "[.status, .failed, (.rolled_back | sort)]" >got &&
	echo "[\"rolled_back\",[\"three\"],[\"one\",\"three\",\"two\"]]" >want && test_cmp want got
'

test_expect_success 'cascade inside a stage: the newest completion rolls back first; the rest are not started' '
	rm -f record fail.* &&
	{ step a rolling "[\"x\"]" &&
	  step b rolling "[\"x\"]" &&
	  step c rolling "[\"x\"]" ".stage = 1" &&
	  step d rolling "[\"x\"]" ".stage = 2"; } >plan.ndjson &&
	touch fail.deploy.c.x &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	events out "select(.target == null and .phase == \"deploy\" and .status == \"ok\") | .service" |
		tr -d "\"" >done &&
	{ echo "rollback c x -" && sed -n "2p" done && sed -n "1p" done; } |
		sed -e "s/^\\([ab]\\)\$/rollback \\1 x -/" >want &&
	grep "^rollback" record >got && test_cmp want got &&
	! grep -q " d " record &&
	events out "select(.service == \"d\") | [.phase, .status, .message]" >got &&
	echo "[\"deploy\",\"skipped\",\"not started: the run failed\"]" >want && test_cmp want got
'

test_expect_success 'a failed rollback is exit 3, named in the summary; the other rollbacks still run' '
	rm -f record fail.* &&
	{ step one rolling "[\"x\"]" &&
	  step two rolling "[\"x\"]" ".stage = 1" &&
	  step three rolling "[\"x\"]" ".stage = 2"; } >plan.ndjson &&
	touch fail.deploy.three.x fail.rollback.two.x &&
	test_expect_code 3 timeout 60 $D plan.ndjson >out &&
	grep "^rollback" record >got &&
	cat >want <<-\EOF &&
	rollback three x -
	rollback two x -
	rollback one x -
	EOF
	test_cmp want got &&
	summary out "[.status, .failed, .rollback_failed, (.rolled_back | sort)]" >got &&
	echo "[\"rollback_failed\",[\"three\"],[\"two\"],[\"one\",\"three\"]]" >want &&
	test_cmp want got &&
	events out "select(.service == \"two\" and .phase == \"rollback\" and .target == null) | .status" >got &&
	printf "%s\n" "\"start\"" "\"fail\"" >want && test_cmp want got
'

test_expect_success 'no rollback command: skipped, listed in not_rolled_back, exit 1' '
	rm -f record fail.* &&
	step web rolling "[\"a\"]" "del(.rollback)" >plan.ndjson &&
	touch fail.deploy.web.a &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	events out "select(.phase == \"rollback\") | [.service, .status, .message]" >got &&
	printf "%s\n" "[\"web\",\"start\",null]" "[\"web\",\"skipped\",\"no rollback command\"]" >want &&
	test_cmp want got &&
	summary out "[.status, .failed, .not_rolled_back]" >got &&
	echo "[\"rolled_back\",[\"web\"],[\"web\"]]" >want && test_cmp want got
'

test_expect_success 'rollback_on_failure false: the rollback is skipped and says why' '
	rm -f record fail.* &&
	step web rolling "[\"a\"]" ".rollback_on_failure = false" >plan.ndjson &&
	touch fail.deploy.web.a &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	! grep -q rollback record &&
	events out "select(.phase == \"rollback\") | [.service, .status, .message]" >got &&
	printf "%s\n" "[\"web\",\"start\",null]" "[\"web\",\"skipped\",\"rollback_on_failure is false\"]" >want &&
	test_cmp want got
'

test_expect_success 'blue_green failing before the switch: no rollback, "traffic was never switched"' '
	rm -f record fail.* &&
	step web blue_green "[\"a\",\"b\"]" \
		".switch = [\"./bin/rec\", \"switch\", \"{service}\", \"-\", \"green\"] |
		 .rollback = [\"./bin/rec\", \"rollback\", \"{service}\", \"-\", \"blue\"]" >plan.ndjson &&
	touch fail.health.web.b &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	! grep -q -e switch -e rollback record &&
	events out "select(.phase == \"rollback\") | [.status, .message]" >got &&
	printf "%s\n" "[\"start\",null]" "[\"skipped\",\"traffic was never switched\"]" >want &&
	test_cmp want got
'

# bin/switch-and-break SERVICE COLOUR: a switch after which target a is unhealthy.
cat >bin/switch-and-break <<-\EOF && chmod +x bin/switch-and-break || exit 1
#!/bin/sh
echo "switch $1 - $2" >>record
touch "fail.health.$1.a"
EOF

test_expect_success 'blue_green failing after the switch (monitor): the rollback switches back' '
	rm -f record fail.* &&
	step web blue_green "[\"a\"]" \
		".switch = [\"./bin/switch-and-break\", \"{service}\", \"green\"] |
		 .rollback = [\"./bin/rec\", \"rollback\", \"{service}\", \"-\", \"blue\"] |
		 .monitor = {duration_ms: 60000, interval_ms: 10, max_interval_ms: 20}" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy web a -
	health web a -
	switch web - green
	health web a -
	rollback web - blue
	EOF
	test_cmp want record &&
	events out "select(.phase == \"monitor\" and .status == \"fail\") | .target" >got &&
	printf "%s\n" "\"a\"" null >want && test_cmp want got
'

test_expect_success 'canary failing at a gate: switch to weight 0, then the rollback on the deployed targets' '
	rm -f record fail.* &&
	step api canary "[\"a\",\"b\"]" "
		.switch = [\"./bin/rec\", \"switch\", \"{service}\", \"-\", \"{weight}\"] |
		.canary = {steps: [10, 50, 100],
			   gate: [\"./bin/rec\", \"gate\", \"{service}\", \"{weight}\", \"{weight}\"]}" >plan.ndjson &&
	touch fail.gate.api.50 &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy api a -
	deploy api b -
	--
	health api a -
	health api b -
	--
	switch api - 10
	--
	health api a -
	health api b -
	--
	gate api 10 10
	--
	switch api - 50
	--
	health api a -
	health api b -
	--
	gate api 50 50
	--
	switch api - 0
	--
	rollback api a -
	rollback api b -
	EOF
	test_cmp_groups want record &&
	events out "select(.phase == \"gate\" and .status == \"fail\") | [.weight, .exit]" >got &&
	echo "[50,1]" >want && test_cmp want got
'

test_expect_success 'a failing gate is retried like a deploy command' '
	rm -f record fail.* &&
	step api canary "[\"a\"]" "del(.health) | .retries = 1 |
		.switch = [\"./bin/rec\", \"switch\", \"{service}\", \"-\", \"{weight}\"] |
		.canary = {steps: [100], gate: [\"./bin/rec\", \"gate\", \"{service}\", \"-\", \"{weight}\"]}" >plan.ndjson &&
	touch fail.gate.api.- &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	test "$(grep -c "^gate" record)" = 2 &&
	events out "select(.phase == \"gate\") | [.status, .attempt, .weight]" >got &&
	cat >want <<-\EOF &&
	["start",1,100]
	["retry",1,100]
	["start",2,100]
	["fail",2,100]
	EOF
	test_cmp want got
'

test_expect_success 'HTTP health: retried until the server answers 200; each failed attempt a retry event' '
	rm -f record fail.* &&
	echo 2 >www/warm.fail-until &&
	step web rolling "[\"a\"]" ".health = {http: \"$URL/count/warm\", interval_ms: 10, retries: 3}" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	events out "select(.phase == \"health\") | [.status, .attempt]" >got &&
	cat >want <<-\EOF &&
	["start",null]
	["retry",1]
	["retry",2]
	["ok",3]
	EOF
	test_cmp want got &&
	test "$(grep -c "/count/warm" httpd.log)" = 3
'

test_expect_success 'HTTP health: out of retries is a failed service' '
	rm -f record fail.* &&
	echo 100 >www/cold.fail-until &&
	step web rolling "[\"a\"]" ".health = {http: \"$URL/count/cold\", interval_ms: 10, retries: 2}" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	events out "select(.phase == \"health\") | .status" >got &&
	printf "\"%s\"\n" start retry retry fail >want && test_cmp want got &&
	test "$(grep -c "/count/cold" httpd.log)" = 3 &&
	events out "select(.phase == \"health\" and .status == \"fail\") | .message" >msg &&
	test_grep 503 msg
'

test_expect_success 'HTTP health: {target} in the URL; a body not matching the pattern fails' '
	rm -f record fail.* &&
	printf "200\nrelease v2 ready\n" >www/a &&
	printf "200\nrelease v1 ready\n" >www/b &&
	step web all_at_once "[\"a\",\"b\"]" \
		".health = {http: \"$URL/file/{target}\", body: \"v2 ready\$\", interval_ms: 10, retries: 0}" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	events out "select(.phase == \"health\" and .status != \"start\") | [.target, .status]" | sort >got &&
	printf "%s\n" "[\"a\",\"ok\"]" "[\"b\",\"fail\"]" >want && test_cmp want got &&
	printf "200\nrelease v2 ready\n" >www/b &&
	timeout 60 $D plan.ndjson >out
'

test_expect_success 'HTTP health: "expect" is the status that counts as healthy' '
	rm -f record fail.* &&
	step web rolling "[\"a\"]" ".health = {http: \"$URL/status/204\", expect: 204, retries: 0}" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	step web rolling "[\"a\"]" ".health = {http: \"$URL/ok\", expect: 201, retries: 0}" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	step web rolling "[\"a\"]" ".health = {http: \"$URL/status/500\", retries: 0}" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out
'

test_expect_success 'HTTP health: an attempt longer than the health timeout fails' '
	rm -f record fail.* &&
	step web rolling "[\"a\"]" ".health = {http: \"$URL/sleep/5000\", timeout_ms: 200, retries: 0}" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	events out "select(.phase == \"health\") | .status" >got &&
	printf "\"%s\"\n" start fail >want && test_cmp want got
'

test_expect_success 'command health: retried until it passes, with the env of the step' '
	rm -f record fail.* n &&
	step web rolling "[\"a\"]" ".env = {WANT: \"3\"} |
		.health = {cmd: [\"sh\", \"-c\", \"echo {target} >>n; test \$(wc -l <n) -ge \$WANT\"],
			   interval_ms: 10, retries: 5}" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	events out "select(.phase == \"health\") | [.status, .attempt]" >got &&
	cat >want <<-\EOF &&
	["start",null]
	["retry",1]
	["retry",2]
	["ok",3]
	EOF
	test_cmp want got &&
	printf "a\na\na\n" >want && test_cmp want n
'

test_expect_success 'command health: failing every attempt fails the service' '
	rm -f record fail.* &&
	step web rolling "[\"a\"]" ".health.retries = 2" >plan.ndjson &&
	touch fail.health.web.a &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	test "$(grep -c "^health" record)" = 3 &&
	events out "select(.phase == \"health\") | .status" >got &&
	printf "\"%s\"\n" start retry retry fail >want && test_cmp want got
'

# gone PGID: waits (10 s at most) until no process is left in group PGID.
gone() {
	for _ in $(seq 200); do
		pgrep -g "$1" >/dev/null || return 0
		sleep 0.05
	done
	echo "processes left in group $1:" >&2
	ps -o pid,pgid,stat,args -g "$1" >&2
	return 1
}

test_expect_success 'a command past its timeout: its whole process group is stopped, event "timeout"' '
	rm -f record fail.* pgid &&
	step web rolling "[\"a\"]" "del(.health) | .timeout_ms = 300 |
		.deploy = [\"sh\", \"-c\", \"echo \$\$ >pgid; sleep 100 & sleep 100; wait\"]" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D --kill-after 5s plan.ndjson >out &&
	events out "select(.phase == \"deploy\" and .target == \"a\") | .status" >got &&
	printf "\"%s\"\n" start timeout >want && test_cmp want got &&
	events out "select(.status == \"timeout\") | .message" >msg &&
	test_grep "timed out" msg &&
	test -s pgid && gone "$(cat pgid)"
'

test_expect_success 'a health command past the health timeout: a failed attempt, its group stopped' '
	rm -f record fail.* pgid &&
	step web rolling "[\"a\"]" ".health = {cmd: [\"sh\", \"-c\", \"echo \$\$ >pgid; sleep 100 & sleep 100\"],
		timeout_ms: 200, interval_ms: 10, retries: 0}" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D --kill-after 5s plan.ndjson >out &&
	events out "select(.phase == \"health\" and .status == \"fail\") | .message" >msg &&
	test_grep "timed out" msg &&
	test -s pgid && gone "$(cat pgid)"
'

test_expect_success 'a process tree ignoring SIGTERM is killed with SIGKILL after --kill-after' '
	rm -f record fail.* pgid &&
	step web rolling "[\"a\"]" "del(.health) | .timeout_ms = 300 |
		.deploy = [\"sh\", \"-c\", \"trap \\\"\\\" TERM; echo \$\$ >pgid; sleep 100 & sleep 100; wait\"]" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D --kill-after 200ms plan.ndjson >out &&
	events out "select(.phase == \"deploy\" and .target == \"a\") | .status" >got &&
	printf "\"%s\"\n" start timeout >want && test_cmp want got &&
	test -s pgid && gone "$(cat pgid)"
'

test_expect_success 'a failing event carries the last 20 lines of output and the log'"'"'s path' '
	rm -f record fail.* &&
	step web rolling "[\"a\"]" "del(.health) |
		.deploy = [\"sh\", \"-c\", \"for i in \$(seq 30); do echo line \$i; done; echo oops >&2; exit 3\"]" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D --log-dir logs plan.ndjson >out &&
	events out "select(.status == \"fail\" and .target == \"a\") | [.exit, .message]" >got &&
	echo "[3,\"exit 3\"]" >want && test_cmp want got &&
	events out "select(.status == \"fail\" and .target == \"a\") | .tail[]" | jq -r . >got &&
	{ seq 12 30 | sed -e "s/^/line /" && echo oops; } >want && test_cmp want got &&
	log=$(events out "select(.status == \"fail\" and .target == \"a\") | .log" | jq -r .) &&
	run=$(jq -r "select(.type == \"run\") | .run" out) &&
	case "$log" in *logs/$run/web.a.deploy.log) ;; *) false ;; esac &&
	{ seq 1 30 | sed -e "s/^/line /" && echo oops; } >want && test_cmp want "$log"
'

test_expect_success 'a command that cannot be run fails with the reason' '
	rm -f record fail.* &&
	step web rolling "[\"a\"]" "del(.health) | .deploy = [\"./bin/no-such-tool\", \"{target}\"]" >plan.ndjson &&
	test_expect_code 1 timeout 60 $D plan.ndjson >out &&
	events out "select(.status == \"fail\" and .target == \"a\") | .message" >msg &&
	test_grep "cannot run.*no-such-tool" msg
'

test_expect_success 'breaker: five runs failing health on h1 open it; the sixth run is 69 and runs nothing' '
	rm -f record fail.* &&
	rm -rf "$CODE_STATE_DIR" &&
	step db rolling "[\"h1\"]" >plan.ndjson &&
	touch fail.health.db.h1 &&
	for i in 1 2 3 4 5; do
		test_expect_code 1 timeout 60 $D plan.ndjson >out || return 1
	done &&
	test "$(grep -c "^deploy db h1" record)" = 5 &&
	jq -r ".breakers.h1.state" "$CODE_STATE_DIR/breakers.json" >got &&
	echo open >want && test_cmp want got &&
	rm fail.health.db.h1 &&
	cp record record.before &&
	test_expect_code 69 timeout 60 $D plan.ndjson >out 2>err &&
	test_grep "circuit open for h1 (db)" err &&
	test_cmp record.before record &&
	test -z "$(events out .)"
'

test_expect_success 'breaker: another target of the same run is not what is refused' '
	step db rolling "[\"h2\"]" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	tail -n 2 record >got && printf "%s\n" "deploy db h2 -" "health db h2 -" >want && test_cmp want got
'

test_done
