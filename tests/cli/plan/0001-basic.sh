#!/bin/bash
# 0001-basic.sh: code-plan's records, reasons, formats and exit codes.
. "$top_srcdir/tests/lib/test-lib.sh"

write_manifest() {
	mkdir -p db/migrations api
	echo "create table t (id int);" >db/schema.sql
	echo "alter table t add c int;" >db/migrations/001.sql
	echo "port=8080" >api/app.conf
	cat >deploy.yaml <<'Y'
version: 1
defaults: {timeout: 5m, retries: 2, strategy: rolling, parallel: 3}
services:
  web:
    deploy: ./deploy-web.sh {target}
    depends_on: [api]
    strategy: blue_green
    switch: ["./lb.sh", "swap"]
  db:
    deploy: ["./deploy-db.sh", "--host", "{target}"]
    rollback: ["./rollback-db.sh", "{target}"]
    health: {http: "http://{target}:8080/health", expect: 200, timeout: 5s, interval: 2s, retries: 10}
    targets: [db1, db2]
    inputs: ["db/**"]
    batch: 2
  cache:
    deploy: [./cache.sh]
  api:
    depends_on: [db, cache]
    deploy: [./api.sh, "{target}"]
    strategy: canary
    canary: {steps: [10, 50, 100], pause: 30s, gate: ["code-logscan", "--count", "api.log"]}
    health: {cmd: ["./check-api.sh", "{target}"]}
    switch: ["./lb.sh", "weight", "{weight}"]
    env: {REGION: eu-1, API_TOKEN: "${API_TOKEN}"}
    secrets: [API_TOKEN]
    inputs: [api/app.conf]
    timeout: 90s
    monitor: {duration: 300s}
Y
}

# state_from PLAN: the state code-deploy would write after deploying PLAN.
state_from() {
	jq -s '{version: 1, services: (map(select(.type == "step")) | map({(.service): {digest, config_digest, inputs_digest}}) | add)}' "$1"
}

reason_of() {
	jq -r --arg s "$2" 'select(.type == "step" and .service == $s) | "\(.action) \(.reason)"' "$1"
}

test_expect_success 'first plan: one plan record, then steps in stage order, ties by name' '
	write_manifest &&
	code-plan deploy.yaml >plan.ndjson &&
	jq -r .type plan.ndjson >types &&
	printf "plan\nstep\nstep\nstep\nstep\n" >want && test_cmp want types &&
	jq -r "select(.type==\"step\") | \"\(.stage) \(.service)\"" plan.ndjson >order &&
	printf "0 cache\n0 db\n1 api\n2 web\n" >want && test_cmp want order
'

test_expect_success 'plan record counts services, stages and changes' '
	jq -c "select(.type==\"plan\") | [.version, .manifest, .services, .stages, .changed, .parallel, (.digest|length)]" plan.ndjson >got &&
	echo "[1,\"deploy.yaml\",4,3,4,3,32]" >want && test_cmp want got
'

test_expect_success 'every service is new without a state file' '
	jq -r "select(.type==\"step\") | .reason" plan.ndjson | sort -u >got &&
	echo new >want && test_cmp want got
'

test_expect_success 'steps are resolved against defaults, durations in _ms' '
	jq -c "select(.service==\"db\") | [.strategy, .targets, .timeout_ms, .retries, .batch, .health.timeout_ms, .health.interval_ms, .health.expect, .depends_on]" plan.ndjson >got &&
	echo "[\"rolling\",[\"db1\",\"db2\"],300000,2,2,5000,2000,200,[]]" >want && test_cmp want got &&
	jq -c "select(.service==\"api\") | [.timeout_ms, .canary, .monitor, .env, .secrets, .depends_on]" plan.ndjson >got &&
	echo "[90000,{\"steps\":[10,50,100],\"pause_ms\":30000,\"gate\":[\"code-logscan\",\"--count\",\"api.log\"]},{\"duration_ms\":300000,\"interval_ms\":5000,\"max_interval_ms\":60000},{\"API_TOKEN\":\"\${API_TOKEN}\",\"REGION\":\"eu-1\"},[\"API_TOKEN\"],[\"db\",\"cache\"]]" >want &&
	test_cmp want got
'

test_expect_success 'a service without targets targets its own name; string commands stay strings' '
	jq -c "select(.service==\"cache\") | .targets" plan.ndjson >got && echo "[\"cache\"]" >want && test_cmp want got &&
	jq -c "select(.service==\"web\") | .deploy" plan.ndjson >got && echo "\"./deploy-web.sh {target}\"" >want && test_cmp want got
'

test_expect_success 'the same manifest and state always give byte-identical plans' '
	code-plan deploy.yaml >again.ndjson && test_cmp plan.ndjson again.ndjson
'

test_expect_success 'after a deploy nothing changes: all unchanged, exit 0 with --detailed-exitcode' '
	state_from plan.ndjson >state.json &&
	test_expect_code 0 code-plan --detailed-exitcode --state state.json deploy.yaml >plan2.ndjson &&
	jq -r "select(.type==\"step\") | .reason" plan2.ndjson | sort -u >got &&
	echo unchanged >want && test_cmp want got &&
	jq -r "select(.type==\"plan\") | .changed" plan2.ndjson >got && echo 0 >want && test_cmp want got
'

test_expect_success 'changed input files: inputs changed, dependents re-planned, exit 2' '
	echo "alter table t add d int;" >db/migrations/002.sql &&
	test_expect_code 2 code-plan --detailed-exitcode --state state.json deploy.yaml >plan3.ndjson &&
	test "$(reason_of plan3.ndjson db)" = "deploy inputs changed" &&
	test "$(reason_of plan3.ndjson api)" = "deploy dependency changed" &&
	test "$(reason_of plan3.ndjson web)" = "deploy dependency changed" &&
	test "$(reason_of plan3.ndjson cache)" = "skip unchanged"
'

test_expect_success 'touching a file without changing it changes nothing' '
	rm db/migrations/002.sql && touch db/schema.sql &&
	test_expect_code 0 code-plan --detailed-exitcode --state state.json deploy.yaml >/dev/null
'

test_expect_success 'an edited service entry: manifest changed' '
	sed "s/timeout: 90s/timeout: 95s/" deploy.yaml >edited.yaml &&
	code-plan --state state.json edited.yaml >plan4.ndjson &&
	test "$(reason_of plan4.ndjson api)" = "deploy manifest changed" &&
	test "$(reason_of plan4.ndjson web)" = "deploy dependency changed" &&
	test "$(reason_of plan4.ndjson db)" = "skip unchanged"
'

test_expect_success 'key order and comments do not change digests' '
	{ echo "# a comment"; cat deploy.yaml; } | sed "s/{timeout: 5m, retries: 2, strategy: rolling, parallel: 3}/{parallel: 3, strategy: rolling, retries: 2, timeout: 300s}/" >reordered.yaml &&
	test_expect_code 0 code-plan --detailed-exitcode --state state.json reordered.yaml >/dev/null
'

test_expect_success 'a state entry holding only a digest string still works' '
	jq "{version, services: (.services | map_values(.digest))}" state.json >flat.json &&
	code-plan --state flat.json edited.yaml >plan5.ndjson &&
	test "$(reason_of plan5.ndjson api)" = "deploy manifest changed" &&
	test "$(reason_of plan5.ndjson cache)" = "skip unchanged"
'

test_expect_success '--force deploys an unchanged service, and its dependents' '
	code-plan --state state.json --force cache deploy.yaml >plan6.ndjson &&
	test "$(reason_of plan6.ndjson cache)" = "deploy forced" &&
	test "$(reason_of plan6.ndjson api)" = "deploy dependency changed" &&
	test "$(reason_of plan6.ndjson db)" = "skip unchanged"
'

test_expect_success '--only plans just the named services' '
	code-plan --only db --only web deploy.yaml >plan7.ndjson &&
	test "$(reason_of plan7.ndjson db)" = "deploy new" &&
	test "$(reason_of plan7.ndjson web)" = "deploy new" &&
	test "$(reason_of plan7.ndjson api)" = "skip not selected" &&
	test "$(reason_of plan7.ndjson cache)" = "skip not selected"
'

test_expect_success 'a missing state file means a first deploy' '
	code-plan --state nothing-here.json deploy.yaml >plan8.ndjson &&
	jq -r "select(.type==\"step\") | .reason" plan8.ndjson | sort -u >got &&
	echo new >want && test_cmp want got
'

test_expect_success 'the manifest can come from stdin' '
	code-plan - <deploy.yaml >stdin.ndjson &&
	jq -r "select(.type==\"plan\") | .manifest" stdin.ndjson >got && echo - >want && test_cmp want got &&
	jq -c "select(.type==\"step\") | [.service, .digest]" stdin.ndjson >a &&
	jq -c "select(.type==\"step\") | [.service, .digest]" plan.ndjson >b && test_cmp b a
'

test_expect_success '--format text groups steps by stage for people' '
	code-plan --format text --state state.json --force cache deploy.yaml >text &&
	cat >want <<-\TXT &&
	Plan for deploy.yaml: 4 services in 3 stages, 3 to deploy, 1 to skip

	stage 0
	  ! cache  forced              rolling, target cache
	  = db     unchanged

	stage 1
	  ~ api    dependency changed  canary 10%/50%/100%, target api

	stage 2
	  ~ web    dependency changed  blue_green, target web
	TXT
	test_cmp want text
'

test_expect_success '--format dot draws dependency -> dependent, one rank per stage' '
	code-plan --format dot deploy.yaml >plan.dot &&
	head -n 1 plan.dot >got && echo "digraph plan {" >want && test_cmp want got &&
	test_grep "\"db\" -> \"api\";" plan.dot &&
	test_grep "\"api\" -> \"web\";" plan.dot &&
	test_grep "subgraph stage_2" plan.dot &&
	test "$(grep -c -- "->" plan.dot)" = 3 &&
	tail -n 1 plan.dot >got && echo "}" >want && test_cmp want got
'

test_expect_success 'a literal secret never reaches the plan' '
	printf "version: 1\nservices:\n  a:\n    deploy: [x]\n    env: {DB_PASSWORD: hunter2, X_SECRET_KEY: 42}\n" >s.yaml &&
	code-plan s.yaml >s.ndjson 2>s.err &&
	! grep -q hunter2 s.ndjson && ! grep -q hunter2 s.err &&
	jq -c "select(.type==\"step\") | .env" s.ndjson >got &&
	echo "{\"DB_PASSWORD\":\"***\",\"X_SECRET_KEY\":\"***\"}" >want && test_cmp want got
'

test_expect_success 'an input pattern that matches nothing is a warning, not an error' '
	printf "version: 1\nservices:\n  a: {deploy: [x], inputs: [\"nope/**\"]}\n" >w.yaml &&
	code-plan w.yaml >/dev/null 2>w.err &&
	test_grep "w.yaml:3:29: warning: input .nope/\*\*. matches no files" w.err
'

test_expect_success 'an empty services mapping is a valid, empty plan' '
	printf "version: 1\nservices: {}\n" >e.yaml &&
	test_expect_code 0 code-plan --detailed-exitcode e.yaml >e.ndjson &&
	jq -c "[.type, .services, .stages, .changed]" e.ndjson >got &&
	echo "[\"plan\",0,0,0]" >want && test_cmp want got
'

test_expect_success 'a 100 MB manifest is refused quickly with a clear message' '
	truncate -s 100M big.yaml &&
	test_expect_code 65 code-plan big.yaml >out 2>err &&
	test_must_be_empty out && test_grep "^code-plan: big.yaml: .*larger than" err
'

test_expect_success 'an unknown YAML tag is a located error' '
	printf "version: 1\nservices:\n  a: {deploy: !shell [x]}\n" >tag.yaml &&
	test_expect_code 65 code-plan tag.yaml 2>err &&
	test_grep "^code-plan: tag.yaml:3:.*tag" err
'

test_expect_success 'a file of NUL bytes is an error, not a crash' '
	head -c 4096 /dev/zero >nul.yaml &&
	test_expect_code 65 code-plan nul.yaml 2>err && test_grep "^code-plan: nul.yaml" err
'

test_expect_success 'a full disk is exit 74 with a message' '
	test_expect_code 74 code-plan deploy.yaml >/dev/full 2>full.err &&
	test_grep "write error" full.err
'

test_expect_success 'a reader that goes away is exit 74 without noise' '
	{ code-plan deploy.yaml 2>epipe.err; echo $? >status; } | true &&
	{ test "$(cat status)" = 74 || test "$(cat status)" = 0; } &&
	test_must_be_empty epipe.err
'

test_done
