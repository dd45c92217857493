#!/bin/bash
# 0001-strategies.sh: code-deploy runs rolling, all_at_once, blue_green and canary plans in the documented order, with its records, state, logs and dry run.
. "$top_srcdir/tests/lib/test-lib.sh"

. "$top_srcdir/tests/cli/deploy/lib.sh"

test_expect_success 'rolling, batch 1: each target deployed then checked before the next' '
	rm -f record &&
	step web rolling "[\"a\",\"b\",\"c\"]" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy web a -
	health web a -
	deploy web b -
	health web b -
	deploy web c -
	health web c -
	EOF
	test_cmp want record &&
	summary out "[.status, .services, .deployed, .skipped]" >got &&
	echo "[\"succeeded\",1,1,0]" >want && test_cmp want got &&
	events out "select(.target == null) | [.service, .phase, .status]" >got &&
	echo "[\"web\",\"deploy\",\"ok\"]" >want && test_cmp want got
'

test_expect_success 'rolling, batch 2: two targets at a time, the batch checked before the next' '
	rm -f record &&
	step web rolling "[\"a\",\"b\",\"c\",\"d\",\"e\"]" ".batch = 2" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy web a -
	deploy web b -
	--
	health web a -
	health web b -
	--
	deploy web c -
	deploy web d -
	--
	health web c -
	health web d -
	--
	deploy web e -
	--
	health web e -
	EOF
	test_cmp_groups want record
'

test_expect_success 'all_at_once: every target deployed, then each checked' '
	rm -f record &&
	step api all_at_once "[\"a\",\"b\",\"c\"]" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy api a -
	deploy api b -
	deploy api c -
	--
	health api a -
	health api b -
	health api c -
	EOF
	test_cmp_groups want record &&
	test "$(summary out .status)" = "\"succeeded\""
'

test_expect_success 'blue_green: deploy all, check all, then switch once' '
	rm -f record &&
	step web blue_green "[\"a\",\"b\"]" \
		".switch = [\"./bin/rec\", \"switch\", \"{service}\", \"-\", \"green\"]" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy web a -
	deploy web b -
	--
	health web a -
	health web b -
	--
	switch web - green
	EOF
	test_cmp_groups want record &&
	events out "select(.phase == \"switch\") | [.target, .status]" >got &&
	printf "%s\n" "[null,\"start\"]" "[null,\"ok\"]" >want && test_cmp want got
'

test_expect_success 'blue_green: a switch naming {target} runs once per target' '
	rm -f record &&
	step web blue_green "[\"a\",\"b\"]" \
		".switch = [\"./bin/rec\", \"switch\", \"{service}\", \"{target}\", \"green\"]" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy web a -
	deploy web b -
	--
	health web a -
	health web b -
	--
	switch web a green
	switch web b green
	EOF
	test_cmp_groups want record &&
	events out "select(.phase == \"switch\" and .status == \"ok\") | .target" | sort >got &&
	printf "%s\n" "\"a\"" "\"b\"" >want && test_cmp want got
'

test_expect_success 'canary: for each step, switch at its weight, check, gate at its weight' '
	rm -f record &&
	step api canary "[\"a\",\"b\"]" "
		.switch = [\"./bin/rec\", \"switch\", \"{service}\", \"-\", \"{weight}\"] |
		.canary = {steps: [10, 50, 100], pause_ms: 300,
			   gate: [\"./bin/rec\", \"gate\", \"{service}\", \"-\", \"{weight}\"]}" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
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
	gate api - 10
	--
	switch api - 50
	--
	health api a -
	health api b -
	--
	gate api - 50
	--
	switch api - 100
	--
	health api a -
	health api b -
	--
	gate api - 100
	EOF
	test_cmp_groups want record &&
	events out "select(.phase == \"switch\" or .phase == \"gate\") | select(.status == \"ok\") |
		[.phase, .weight, .target]" >got &&
	cat >want <<-\EOF &&
	["switch",10,null]
	["gate",10,null]
	["switch",50,null]
	["gate",50,null]
	["switch",100,null]
	["gate",100,null]
	EOF
	test_cmp want got
'

# ms EVENT-FILTER: the time of the first event of out matching FILTER, in ms.
ms() {
	events out "select($1) | .ts | (.[0:19] + \"Z\" | fromdate) * 1000 + (.[20:23] | tonumber)" |
		head -n 1
}

test_expect_success 'canary: the pause comes after each step but the last' '
	g10=$(ms ".phase == \"gate\" and .status == \"ok\" and .weight == 10") &&
	s50=$(ms ".phase == \"switch\" and .status == \"start\" and .weight == 50") &&
	g50=$(ms ".phase == \"gate\" and .status == \"ok\" and .weight == 50") &&
	s100=$(ms ".phase == \"switch\" and .status == \"start\" and .weight == 100") &&
	test $((s50 - g10)) -ge 290 &&
	test $((s100 - g50)) -ge 290
'

test_expect_success '{service} {target} {weight} inside words; a string runs under /bin/sh -c' '
	rm -f record shell.out &&
	step web canary "[\"eu-1\"]" "
		.deploy = \"printf \\\"%s\\\\n\\\" {service} {target} | tr a-z A-Z >>shell.out\" |
		del(.health) |
		.switch = [\"./bin/rec\", \"switch\", \"svc={service}\", \"host-{target}\", \"w{weight}%\"] |
		.canary = {steps: [25, 100]}" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	printf "%s\n" WEB EU-1 >want && test_cmp want shell.out &&
	cat >want <<-\EOF &&
	switch svc=web host-eu-1 w25%
	switch svc=web host-eu-1 w100%
	EOF
	test_cmp want record
'

test_expect_success 'commands get CODE_DEPLOY_* and the step env, ${VAR} resolved from ours' '
	rm -f env.* &&
	step api canary "[\"a\"]" "
		.deploy = [\"sh\", \"-c\", \"env | grep -E \\\"^(CODE_DEPLOY_|REGION=|GREETING=)\\\" | sort >env.deploy.{target}\"] |
		del(.health) |
		.switch = \"env | grep -E \\\"^(CODE_DEPLOY_|REGION=|GREETING=)\\\" | sort >env.switch.{weight}\" |
		.canary = {steps: [100]} |
		.env = {REGION: \"eu-1\", GREETING: \"hello \${WHO}\"}" >plan.ndjson &&
	WHO=world timeout 60 $D plan.ndjson >out &&
	run=$(jq -r "select(.type == \"run\") | .run" out) &&
	cat >want <<-EOF &&
	CODE_DEPLOY_PHASE=deploy
	CODE_DEPLOY_RUN=$run
	CODE_DEPLOY_SERVICE=api
	CODE_DEPLOY_TARGET=a
	GREETING=hello world
	REGION=eu-1
	EOF
	test_cmp want env.deploy.a &&
	grep -e PHASE -e WEIGHT -e GREETING env.switch.100 >got &&
	cat >want <<-\EOF &&
	CODE_DEPLOY_PHASE=switch
	CODE_DEPLOY_WEIGHT=100
	GREETING=hello world
	EOF
	test_cmp want got
'

test_expect_success 'an unset ${VAR} in a step env is 65 before anything runs' '
	rm -f record &&
	{ step first rolling "[\"a\"]" &&
	  step second rolling "[\"b\"]" ".stage = 1 | .env = {X: \"\${CODE_TEST_UNSET_VAR}\"}"; } >plan.ndjson &&
	test_expect_code 65 $D plan.ndjson >out 2>err &&
	test_grep CODE_TEST_UNSET_VAR err &&
	! test -e record &&
	test -z "$(events out .)"
'

# bin/meet NAME OTHER: creates NAME.here, then waits (20 s at most) for
# OTHER.here: two services that each wait for the other only finish when
# they run at the same time.
cat >bin/meet <<-\EOF && chmod +x bin/meet || exit 1
#!/bin/sh
echo "deploy $1 - -" >>record
touch "$1.here"
i=0
while [ ! -e "$2.here" ]; do
	i=$((i + 1))
	[ $i -gt 400 ] && { echo "no $2 after 20 s" >&2; exit 1; }
	sleep 0.05
done
EOF

test_expect_success 'stages in order; the services of a stage run at once (--parallel 2)' '
	rm -f record *.here &&
	{ step a rolling "[\"a1\"]" ".deploy = [\"./bin/meet\", \"a\", \"b\"] | del(.health)" &&
	  step b rolling "[\"b1\"]" ".deploy = [\"./bin/meet\", \"b\", \"a\"] | del(.health)" &&
	  step c rolling "[\"c1\"]" ".stage = 1 | .depends_on = [\"a\", \"b\"]" &&
	  step d rolling "[\"d1\"]" ".stage = 2 | .depends_on = [\"c\"]"; } >plan.ndjson &&
	timeout 60 $D --parallel 2 plan.ndjson >out &&
	cat >want <<-\EOF &&
	deploy a - -
	deploy b - -
	--
	deploy c c1 -
	--
	health c c1 -
	--
	deploy d d1 -
	--
	health d d1 -
	EOF
	test_cmp_groups want record &&
	test "$(summary out .deployed)" = 4
'

test_expect_success 'without --parallel, the plan record'"'"'s "parallel" is used' '
	rm -f record *.here &&
	{ echo "{\"type\":\"plan\",\"version\":1,\"digest\":\"p1\",\"parallel\":2}" &&
	  step a rolling "[\"a1\"]" ".deploy = [\"./bin/meet\", \"a\", \"b\"] | del(.health)" &&
	  step b rolling "[\"b1\"]" ".deploy = [\"./bin/meet\", \"b\", \"a\"] | del(.health)"; } >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	test "$(jq -c "select(.type == \"run\") | [.plan, .parallel]" out)" = "[\"p1\",2]"
'

# bin/alone NAME: fails when another bin/alone runs at the same time.
cat >bin/alone <<-\EOF && chmod +x bin/alone || exit 1
#!/bin/sh
echo "deploy $1 - -" >>record
for f in running.*; do
	[ -e "$f" ] && echo "overlap $1 $f" >>record
done
touch "running.$1"
sleep 0.1
rm "running.$1"
EOF

test_expect_success '--parallel 1: one service at a time' '
	rm -f record running.* &&
	for s in a b c d; do
		step $s rolling "[\"x\"]" ".deploy = [\"./bin/alone\", \"$s\"] | del(.health)" || return 1
	done >plan.ndjson &&
	timeout 60 $D --parallel 1 plan.ndjson >out &&
	printf "deploy %s - -\n" a b c d >want &&
	sort record >got && test_cmp want got
'

test_expect_success 'a skip action is a skipped event with the plan'"'"'s reason; nothing runs' '
	rm -f record &&
	{ step kept rolling "[\"k1\"]" ".action = \"skip\" | .reason = \"unchanged\"" &&
	  step off rolling "[\"o1\"]" ".action = \"skip\" | .reason = \"disabled\"" &&
	  step new rolling "[\"n1\"]"; } >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	printf "%s\n" "deploy new n1 -" "health new n1 -" >want && test_cmp want record &&
	events out "select(.status == \"skipped\") | [.service, .phase, .message, .target]" | sort >got &&
	cat >want <<-\EOF &&
	["kept","deploy","unchanged",null]
	["off","deploy","disabled",null]
	EOF
	test_cmp want got &&
	summary out "[.status, .services, .deployed, .skipped]" >got &&
	echo "[\"succeeded\",3,1,2]" >want && test_cmp want got
'

test_expect_success 'success writes the state file (0600): digests, time and run of each deployed service' '
	rm -rf record state.json* &&
	cat >m.yaml <<-\EOF &&
	version: 1
	services:
	  db:
	    deploy: ["./bin/rec", "deploy", "{service}", "{target}", "-"]
	    targets: [db1]
	  api:
	    depends_on: [db]
	    deploy: ["./bin/rec", "deploy", "{service}", "{target}", "-"]
	    targets: [api1]
	EOF
	code-plan m.yaml >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	test "$(stat -c %a state.json)" = 600 &&
	run=$(jq -r "select(.type == \"run\") | .run" out) &&
	jq -c "select(.type == \"step\") | {(.service): {digest, config_digest, inputs_digest}}" plan.ndjson |
		jq -sSc "add" >want &&
	jq -Sc ".services | map_values({digest, config_digest, inputs_digest})" state.json >got &&
	test_cmp want got &&
	jq -r ".services[] | .run" state.json | sort -u >got &&
	echo "$run" >want && test_cmp want got &&
	jq -r ".services[] | .deployed_at" state.json >got &&
	grep -c "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:.]*Z\$" got >n && test "$(cat n)" = 2
'

test_expect_success 'code-plan --state then skips both, and code-deploy runs nothing' '
	rm -f record &&
	code-plan --state state.json m.yaml >plan2.ndjson &&
	jq -c "select(.type == \"step\") | [.service, .action]" plan2.ndjson | sort >got &&
	printf "%s\n" "[\"api\",\"skip\"]" "[\"db\",\"skip\"]" >want && test_cmp want got &&
	cp state.json state.before &&
	timeout 60 $D plan2.ndjson >out &&
	! test -e record &&
	summary out "[.status, .deployed, .skipped]" >got &&
	echo "[\"succeeded\",0,2]" >want && test_cmp want got
'

test_expect_success 'a changed service is deployed again, the other still skipped' '
	rm -f record &&
	sed -e "s/targets: \\[api1\\]/targets: [api1, api2]/" m.yaml >m2.yaml &&
	code-plan --state state.json m2.yaml >plan3.ndjson &&
	timeout 60 $D plan3.ndjson >out &&
	printf "%s\n" "deploy api api1 -" "deploy api api2 -" >want &&
	sort record >got && test_cmp want got &&
	run=$(jq -r "select(.type == \"run\") | .run" out) &&
	test "$(jq -r .services.api.run state.json)" = "$run" &&
	test "$(jq -r .services.db.run state.json)" = "$(jq -r .services.db.run state.before)"
'

test_expect_success 'dry run: a command record per target, a summary, nothing run or written' '
	rm -rf record state.json* "$CODE_STATE_DIR" &&
	{ step web rolling "[\"a\",\"b\"]" &&
	  step api all_at_once "[\"c\"]" ".stage = 1 | .health = {http: \"http://{target}:8080/{service}/health\"}" &&
	  step old rolling "[\"z\"]" ".stage = 1 | .action = \"skip\" | .reason = \"unchanged\""; } >plan.ndjson &&
	timeout 60 $D --dry-run plan.ndjson >out &&
	! test -e record && ! test -e state.json && ! test -e state.json.journal &&
	! test -e state.json.lock && ! test -e "$CODE_STATE_DIR/logs" &&
	jq -c "select(.type == \"command\") | [.service, .target, .stage, .phase, .strategy, .argv]" out >got &&
	cat >want <<-\EOF &&
	["web","a",0,"deploy","rolling",["./bin/rec","deploy","web","a","-"]]
	["web","b",0,"deploy","rolling",["./bin/rec","deploy","web","b","-"]]
	["api","c",1,"deploy","all_at_once",["./bin/rec","deploy","api","c","-"]]
	EOF
	test_cmp want got &&
	jq -c "select(.type == \"command\" and .service == \"api\") | .health" out >got &&
	echo "\"http://c:8080/api/health\"" >want && test_cmp want got &&
	summary out "[.dry_run, .would_deploy]" >got &&
	echo "[true,2]" >want && test_cmp want got &&
	test -z "$(events out .)"
'

test_expect_success 'the run record, the events and the summary; the journal holds the same records' '
	rm -rf record state.json* &&
	{ echo "{\"type\":\"plan\",\"version\":1,\"manifest\":\"m.yaml\",\"digest\":\"abc123\",\"parallel\":3}" &&
	  step web rolling "[\"a\"]" &&
	  step old rolling "[\"z\"]" ".action = \"skip\" | .reason = \"unchanged\""; } >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	head -n 1 out | jq -c "[.type, .plan, .manifest, .services, .parallel, .resumed, (.pid | type)]" >got &&
	echo "[\"run\",\"abc123\",\"m.yaml\",2,3,false,\"number\"]" >want && test_cmp want got &&
	run=$(head -n 1 out | jq -r .run) &&
	echo "$run" | grep -q "^[0-9]\\{8\\}T[0-9]\\{6\\}Z-[0-9a-f]\\{4\\}\$" &&
	jq -r .run out | sort -u >got && echo "$run" >want && test_cmp want got &&
	jq -r "select(.type != \"summary\") | .ts" out | grep -v "^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]\\{3\\}Z\$" >bad;
	test_must_be_empty bad &&
	tail -n 1 out | jq -c "[.type, .status, .services, .deployed, .skipped, (.duration_ms | type)]" >got &&
	echo "[\"summary\",\"succeeded\",2,1,1,\"number\"]" >want && test_cmp want got &&
	tail -n 1 out | jq -e "has(\"failed\") or has(\"rolled_back\") or has(\"rollback_failed\") | not" &&
	events out "select(.target == \"a\") | [.phase, .status, .attempt, .exit]" >got &&
	cat >want <<-\EOF &&
	["deploy","start",1,null]
	["deploy","ok",1,0]
	["health","start",null,null]
	["health","ok",1,null]
	EOF
	test_cmp want got &&
	events out "select(.status == \"ok\" and .target == \"a\") | .duration_ms | type" | sort -u >got &&
	echo "\"number\"" >want && test_cmp want got &&
	test_cmp out state.json.journal
'

test_expect_success 'without a plan record, plans of other steps have other digests' '
	step web rolling "[\"a\"]" "del(.digest)" >p1.ndjson &&
	step api rolling "[\"b\"]" "del(.digest) | .deploy = [\"false\"]" >p2.ndjson &&
	d1=$(timeout 60 $D p1.ndjson | head -n 1 | jq -r .plan) &&
	d2=$(timeout 60 $D p2.ndjson | head -n 1 | jq -r .plan);
	test -n "$d1" && test -n "$d2" && test "$d1" != "$d2"
'

test_expect_success 'commands read /dev/null, not our stdin' '
	step web rolling "[\"a\"]" "del(.health) |
		.deploy = [\"sh\", \"-c\", \"readlink /proc/self/fd/0 >stdin.{target}; cat >/dev/null\"]" >plan.ndjson &&
	if test -e /proc/self/fd/0; then
		yes | timeout 60 $D plan.ndjson >out &&
		echo /dev/null >want && test_cmp want stdin.a
	fi
'

test_expect_success 'a monitor without a health check is a skipped event; the service succeeds' '
	step web rolling "[\"a\"]" "del(.health) | .monitor = {duration_ms: 60000}" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	events out "select(.phase == \"monitor\") | [.status, .message]" >got &&
	echo "[\"skipped\",\"no health check to monitor with\"]" >want && test_cmp want got
'

test_expect_success 'a zstd-compressed plan and a plan on stdin are read' '
	rm -f record &&
	step web rolling "[\"a\"]" >plan.ndjson &&
	zstd -q -f plan.ndjson -o plan.ndjson.zst &&
	timeout 60 $D plan.ndjson.zst >out &&
	timeout 60 $D - <plan.ndjson >out2 &&
	test "$(grep -c "^deploy web a" record)" = 2 &&
	test "$(summary out .status)" = "\"succeeded\""
'

test_expect_success 'each command'"'"'s output goes to a 0600 log under --log-dir' '
	rm -rf record logs &&
	step web blue_green "[\"a\",\"eu/b\"]" \
		".switch = [\"./bin/rec\", \"switch\", \"{service}\", \"-\", \"green\"]" >plan.ndjson &&
	timeout 60 $D --log-dir logs plan.ndjson >out &&
	run=$(jq -r "select(.type == \"run\") | .run" out) &&
	(cd logs/$run && ls) >got &&
	cat >want <<-\EOF &&
	web.a.deploy.log
	web.a.health.log
	web.eu_b.deploy.log
	web.eu_b.health.log
	web.switch.log
	EOF
	test_cmp want got &&
	echo "rec: deploy web eu/b -" >want && test_cmp want logs/$run/web.eu_b.deploy.log &&
	echo "rec: switch web - green" >want && test_cmp want logs/$run/web.switch.log &&
	stat -c %a logs/$run/* | sort -u >got && echo 600 >want && test_cmp want got
'

test_expect_success 'without --log-dir, logs go under $CODE_STATE_DIR/logs' '
	rm -rf "$CODE_STATE_DIR" &&
	step web rolling "[\"a\"]" >plan.ndjson &&
	timeout 60 $D plan.ndjson >out &&
	run=$(jq -r "select(.type == \"run\") | .run" out) &&
	echo "rec: deploy web a -" >want && test_cmp want "$CODE_STATE_DIR/logs/$run/web.a.deploy.log"
'

test_done
