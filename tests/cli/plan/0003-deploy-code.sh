#!/bin/bash
# 0003-deploy-code.sh: code-plan reads CODE's deploy-code YAML (SPEC section 2).
. "$top_srcdir/tests/lib/test-lib.sh"

cp "$TEST_DATA/plan/deploy-code/deploy-code.yaml" . || exit 1

# step FILE SERVICE FILTER: FILTER applied to SERVICE's step, compact.
step() {
	jq -c --arg s "$2" "select(.type == \"step\" and .service == \$s) | $3" "$1"
}

# line_of PATTERN: the line of deploy-code.yaml where PATTERN first matches.
line_of() {
	grep -n -e "$1" deploy-code.yaml | head -n 1 | cut -d: -f1
}

# plan_with SED-SCRIPT: plans deploy-code.yaml edited by SED-SCRIPT into
# bad.yaml; stdout to out, stderr to err; returns code-plan's status.
plan_with() {
	sed -e "$1" deploy-code.yaml >bad.yaml &&
	code-plan bad.yaml >out 2>err
}

test_expect_success 'a deploy-code file is recognised without --input-format' '
	code-plan deploy-code.yaml >plan.ndjson 2>plan.err &&
	test_must_be_empty plan.err &&
	jq -c "select(.type == \"plan\") | [.format, .services, .stages, .changed, .parallel]" plan.ndjson >got &&
	echo "[\"deploy-code\",6,4,5,4]" >want && test_cmp want got
'

test_expect_success 'dependencies give the stage order, ties by name' '
	jq -r "select(.type == \"step\") | \"\(.stage) \(.service) [\(.depends_on | join(\",\"))]\"" plan.ndjson >got &&
	cat >want <<-\EOF &&
	0 postgresql []
	0 redis []
	1 auth_service [postgresql,redis]
	1 mcp_memory [redis]
	2 circle_of_experts [auth_service]
	3 api_gateway [auth_service,circle_of_experts]
	EOF
	test_cmp want got
'

test_expect_success 'command + args become the deploy argv' '
	step plan.ndjson postgresql .deploy >got &&
	echo "[\"docker\",\"run\",\"--name\",\"code-postgres\",\"-d\",\"postgres:16\"]" >want &&
	test_cmp want got &&
	step plan.ndjson api_gateway .deploy >got &&
	echo "[\"./bin/api-gateway\"]" >want && test_cmp want got
'

test_expect_success 'a lone command is an argv of one, unless it needs a shell' '
	step plan.ndjson redis .deploy >got &&
	echo "[\"redis-server\"]" >want && test_cmp want got &&
	step plan.ndjson auth_service .deploy >got &&
	echo "\"python -m auth_service --port 8001\"" >want && test_cmp want got
'

test_expect_success 'step keys come in the native order, extra last' '
	step plan.ndjson postgresql "keys_unsorted" >got &&
	echo "[\"type\",\"stage\",\"service\",\"action\",\"reason\",\"digest\",\"depends_on\",\"strategy\",\"targets\",\"deploy\",\"health\",\"timeout_ms\",\"retries\",\"rollback_on_failure\",\"env\",\"secrets\",\"extra\",\"config_digest\",\"inputs_digest\"]" >want &&
	test_cmp want got
'

test_expect_success 'deployment: gives parallel, timeout and rollback_on_failure; strategy is rolling' '
	jq -c "select(.type == \"step\") | [.service, .strategy, .timeout_ms, .retries, .rollback_on_failure]" plan.ndjson >got &&
	cat >want <<-\EOF &&
	["postgresql","rolling",600000,0,true]
	["redis","rolling",600000,0,true]
	["auth_service","rolling",120000,0,true]
	["mcp_memory","rolling",600000,0,true]
	["circle_of_experts","rolling",600000,0,true]
	["api_gateway","rolling",600000,0,true]
	EOF
	test_cmp want got
'

test_expect_success 'replicas: 3 gives three targets; 1 or none gives the service name' '
	step plan.ndjson circle_of_experts .targets >got &&
	echo "[\"circle_of_experts-1\",\"circle_of_experts-2\",\"circle_of_experts-3\"]" >want &&
	test_cmp want got &&
	step plan.ndjson postgresql .targets >got && echo "[\"postgresql\"]" >want && test_cmp want got &&
	step plan.ndjson redis .targets >got && echo "[\"redis\"]" >want && test_cmp want got
'

test_expect_success 'enabled: false is a skip with reason disabled; the rest are new' '
	jq -r "select(.type == \"step\") | \"\(.service) \(.action) \(.reason)\"" plan.ndjson >got &&
	cat >want <<-\EOF &&
	postgresql deploy new
	redis deploy new
	auth_service deploy new
	mcp_memory skip disabled
	circle_of_experts deploy new
	api_gateway deploy new
	EOF
	test_cmp want got
'

test_expect_success 'health_check.command and its seconds become health.cmd and _ms' '
	step plan.ndjson postgresql .health >got &&
	echo "{\"cmd\":[\"pg_isready\",\"-U\",\"postgres\"],\"timeout_ms\":10000,\"interval_ms\":30000,\"retries\":3,\"start_period_ms\":60000}" >want &&
	test_cmp want got
'

test_expect_success 'unset health durations: deployment.health_check_interval, else the native defaults' '
	step plan.ndjson redis .health >got &&
	echo "{\"cmd\":\"redis-cli -p 6379 ping | grep -q PONG\",\"timeout_ms\":5000,\"interval_ms\":15000,\"retries\":10}" >want &&
	test_cmp want got &&
	sed "/health_check_interval/d" deploy-code.yaml >nointerval.yaml &&
	code-plan nointerval.yaml >ni.ndjson &&
	step ni.ndjson circle_of_experts "[.health.interval_ms, .health.timeout_ms, .health.retries]" >got &&
	echo "[2000,5000,5]" >want && test_cmp want got
'

test_expect_success 'an endpoint path is joined to 127.0.0.1 and the first host_port' '
	step plan.ndjson api_gateway .health >got &&
	echo "{\"http\":\"http://127.0.0.1:8080/health\",\"expect\":200,\"timeout_ms\":5000,\"interval_ms\":10000,\"retries\":10}" >want &&
	test_cmp want got
'

test_expect_success 'an endpoint URL is kept; without host_port the container_port is used' '
	step plan.ndjson auth_service .health.http >got &&
	echo "\"http://127.0.0.1:8001/health\"" >want && test_cmp want got &&
	sed "/host_port: 8080/d" deploy-code.yaml >cport.yaml &&
	code-plan cport.yaml >cport.ndjson &&
	step cport.ndjson api_gateway .health.http >got &&
	echo "\"http://127.0.0.1:8000/health\"" >want && test_cmp want got
'

test_expect_success 'an endpoint path with no ports is a located error' '
	n=$(line_of "endpoint: \"/health\"") &&
	p=$(grep -n "^    ports:$" deploy-code.yaml | tail -n 1 | cut -d: -f1) &&
	test_expect_code 65 plan_with "$p,\$d" &&
	test_must_be_empty out &&
	test_grep "^code-plan: bad.yaml:$n:17: .endpoint. is a path but service .api_gateway. has no .ports." err
'

test_expect_success '${VAR} values stay verbatim; each VAR is a secret; both in name order' '
	step plan.ndjson postgresql "[.env, .secrets]" >got &&
	echo "[{\"POSTGRES_DB\":\"code_platform\",\"POSTGRES_PASSWORD\":\"\${POSTGRES_PASSWORD}\"},[\"POSTGRES_PASSWORD\"]]" >want &&
	test_cmp want got &&
	step plan.ndjson auth_service "[.env, .secrets]" >got &&
	echo "[{\"DATABASE_URL\":\"postgresql://code:\${POSTGRES_PASSWORD}@127.0.0.1:5432/code_platform\",\"JWT_SECRET\":\"\${JWT_SECRET}\",\"REDIS_URL\":\"redis://127.0.0.1:6379\",\"TOKEN_TTL\":\"3600\"},[\"JWT_SECRET\",\"POSTGRES_PASSWORD\"]]" >want &&
	test_cmp want got
'

test_expect_success 'environment: is read as env, $VAR is a reference too' '
	step plan.ndjson api_gateway "[.env, .secrets]" >got &&
	echo "[{\"MCP_AUTH_TOKEN\":\"\$MCP_AUTH_TOKEN\",\"UPSTREAM\":\"http://127.0.0.1:8002\"},[\"MCP_AUTH_TOKEN\"]]" >want &&
	test_cmp want got &&
	step plan.ndjson redis "has(\"env\"), has(\"secrets\")" >got &&
	printf "false\nfalse\n" >want && test_cmp want got
'

test_expect_success 'a literal secret in env never reaches the plan' '
	sed "s/\"\${POSTGRES_PASSWORD}\"$/hunter2/" deploy-code.yaml >literal.yaml &&
	code-plan literal.yaml >lit.ndjson 2>lit.err &&
	! grep -q hunter2 lit.ndjson && ! grep -q hunter2 lit.err &&
	step lit.ndjson postgresql .env.POSTGRES_PASSWORD >got &&
	echo "\"***\"" >want && test_cmp want got &&
	test_grep "warning: secret .POSTGRES_PASSWORD. has a literal value" lit.err
'

test_expect_success 'sections with no meaning here are carried as extra, keys in name order' '
	step plan.ndjson postgresql ".extra | keys_unsorted" >got &&
	echo "[\"deployment_strategy\",\"ports\",\"resources\",\"volumes\",\"working_dir\"]" >want &&
	test_cmp want got &&
	step plan.ndjson postgresql "[.extra.working_dir, .extra.resources.memory_mb, .extra.ports[0].host_port, .extra.volumes[0].name, .extra.deployment_strategy]" >got &&
	echo "[\"/app\",4096,5432,\"postgres_data\",\"Hybrid\"]" >want && test_cmp want got &&
	step plan.ndjson auth_service .extra >got &&
	echo "{\"deployment_strategy\":\"Hybrid\",\"health_check\":{\"expected_status\":200},\"restart_policy\":\"on-failure\"}" >want &&
	test_cmp want got
'

test_expect_success 'top-level sections go nowhere in the plan' '
	! grep -q -e "infrastructure" -e "prometheus" -e "rbac" -e "DockerCompose" plan.ndjson
'

test_expect_success '--verbose notes every section it does not use, on stderr only' '
	code-plan --verbose deploy-code.yaml >vplan.ndjson 2>verbose.err &&
	test_cmp plan.ndjson vplan.ndjson &&
	for key in infrastructure security monitoring environment dry_run version; do
		test_grep "^code-plan: deploy-code.yaml:$(line_of "^$key:"):1: .$key. has no meaning for code-plan; ignored" verbose.err || exit 1
	done &&
	test_grep "^code-plan: deploy-code.yaml:$(line_of resource_optimization):3: .deployment.resource_optimization. has no meaning" verbose.err &&
	test_grep "^code-plan: deploy-code.yaml:$(line_of "working_dir"):5: .working_dir. of service .postgresql. is not a code-plan setting; carried in the step as extra" verbose.err &&
	test_grep "deploy-code.yaml:$(line_of expected_status):7: .health_check.expected_status. of service .auth_service." verbose.err &&
	test_grep "deploy-code.yaml:$(line_of "strategy: Hybrid"):13: .deployment.strategy. orders" verbose.err
'

test_expect_success 'args: 5 is a located type error, exit 65' '
	n=$(line_of "args: \[\"run\"") &&
	test_expect_code 65 plan_with "${n}s/args: .*/args: 5/" &&
	test_must_be_empty out &&
	test_grep "^code-plan: bad.yaml:$n:11: .args. must be a list of strings, not an integer$" err
'

test_expect_success 'an argument that is not a string is located at the item' '
	n=$(line_of "args: \[\"--workers\"") &&
	test_expect_code 65 plan_with "${n}s/\"4\"/4/" &&
	test_grep "^code-plan: bad.yaml:$n:25: items of .args. must be strings, not an integer" err
'

test_expect_success 'wrong types in keys that mean something are located errors' '
	n=$(line_of "replicas: 3") &&
	test_expect_code 65 plan_with "${n}s/3/0/" &&
	test_grep "^code-plan: bad.yaml:$n:15: .replicas. must be between 1 and 10000, not 0" err &&
	test_expect_code 65 plan_with "${n}s/3/three/" &&
	test_grep "^code-plan: bad.yaml:$n:15: .replicas. must be an integer, not a string" err &&
	n=$(line_of "command: \"redis-server\"") &&
	test_expect_code 65 plan_with "${n}s/\"redis-server\"/[redis-server]/" &&
	test_grep "^code-plan: bad.yaml:$n:14: .command. must be a string, the program to run, not a list" err &&
	n=$(line_of "dependencies: \[redis\]") &&
	test_expect_code 65 plan_with "${n}s/\[redis\]/redis/" &&
	test_grep "^code-plan: bad.yaml:$n:19: .dependencies. must be a list of strings, not a string" err &&
	n=$(line_of "enabled: false") &&
	test_expect_code 65 plan_with "${n}s/false/\"no\"/" &&
	test_grep "^code-plan: bad.yaml:$n:14: .enabled. must be true or false, not a string" err &&
	n=$(line_of "rollback_on_failure") &&
	test_expect_code 65 plan_with "${n}s/true/yes/" &&
	test_grep "^code-plan: bad.yaml:$n:24: .rollback_on_failure. must be true or false, not a string" err
'

test_expect_success 'a bad environment variable name is a located error' '
	n=$(line_of "REDIS_URL") &&
	test_expect_code 65 plan_with "${n}s/REDIS_URL/REDIS-URL/" &&
	test_grep "^code-plan: bad.yaml:$n:7: .REDIS-URL. is not a valid environment variable name" err
'

test_expect_success 'a service without command is a located error' '
	n=$(line_of "command: \"npx\"") &&
	test_expect_code 65 plan_with "${n}d" &&
	test_grep "^code-plan: bad.yaml:$(line_of "^  mcp_memory:"):3: service .mcp_memory. has no .command." err
'

test_expect_success 'an unknown dependency is located with a suggestion' '
	n=$(line_of "dependencies: \[auth_service\]") &&
	test_expect_code 65 plan_with "${n}s/auth_service/auth_servic/" &&
	test_grep "^code-plan: bad.yaml:$n:20: service .circle_of_experts. depends on unknown service .auth_servic. (did you mean .auth_service.?)" err
'

test_expect_success 'a health_check with both endpoint and command is refused' '
	n=$(line_of "endpoint: \"/health\"") &&
	test_expect_code 65 plan_with "${n}a\\      command: [true]" &&
	test_grep "^code-plan: bad.yaml:$n:7: .health_check. needs exactly one of .endpoint. or .command." err
'

test_expect_success '--input-format deploy-code gives the same plan as detection' '
	code-plan --input-format deploy-code deploy-code.yaml >forced.ndjson &&
	test_cmp plan.ndjson forced.ndjson
'

test_expect_success 'a native manifest is not taken for deploy-code, unless forced' '
	printf "version: 1\nservices:\n  a: {deploy: [x]}\n  b: {deploy: [y], depends_on: [a]}\n" >native.yaml &&
	code-plan native.yaml >native.ndjson &&
	jq -r "select(.type == \"plan\") | .format" native.ndjson >got &&
	echo native >want && test_cmp want got &&
	test_expect_code 65 code-plan --input-format deploy-code native.yaml 2>err &&
	test_grep "^code-plan: native.yaml:3:3: service .a. has no .command." err
'

test_expect_success '--input-format native reads a deploy-code file strictly' '
	test_expect_code 65 code-plan --input-format native deploy-code.yaml >out 2>err &&
	test_must_be_empty out && test_grep "^code-plan: deploy-code.yaml:[0-9]*:[0-9]*: unknown key" err
'

test_expect_success 'after a deploy nothing changes; an edited resources section is a change' '
	jq -s "{version: 1, services: (map(select(.type == \"step\")) | map({(.service): {digest, config_digest, inputs_digest}}) | add)}" plan.ndjson >state.json &&
	code-plan --state state.json deploy-code.yaml >again.ndjson &&
	jq -r "select(.type == \"step\") | .reason" again.ndjson | sort -u >got &&
	printf "disabled\nunchanged\n" >want && test_cmp want got &&
	sed "s/memory_mb: 4096/memory_mb: 8192/" deploy-code.yaml >bigger.yaml &&
	code-plan --state state.json bigger.yaml >bigger.ndjson &&
	step bigger.ndjson postgresql "\"\(.action) \(.reason)\"" >got &&
	echo "\"deploy manifest changed\"" >want && test_cmp want got &&
	step bigger.ndjson auth_service .reason >got &&
	echo "\"dependency changed\"" >want && test_cmp want got
'

test_expect_success 'reordering keys of env, extra sections and the top level changes no digest' '
	a=$(line_of POSTGRES_PASSWORD:) && b=$(line_of "cpu_cores: 2.0") &&
	sed -e "${a}{h;d};$((a + 1))G" -e "${b}{h;d};$((b + 1))G" \
	    -e "s/{cpu_cores: 0.5, memory_mb: 1024,/{memory_mb: 1024, cpu_cores: 0.5,/" \
	    -e "s/^dry_run: false$/# moved/" deploy-code.yaml >reordered.yaml &&
	echo "dry_run: false" >>reordered.yaml &&
	! cmp -s deploy-code.yaml reordered.yaml &&
	code-plan --state state.json reordered.yaml >reordered.ndjson &&
	jq -r "select(.type == \"step\") | .reason" reordered.ndjson | sort -u >got &&
	printf "disabled\nunchanged\n" >want && test_cmp want got &&
	jq -c "select(.type == \"step\") | [.service, .digest]" again.ndjson >want &&
	jq -c "select(.type == \"step\") | [.service, .digest]" reordered.ndjson >got &&
	test_cmp want got
'

test_expect_success '--format text shows the disabled service as skipped' '
	code-plan --format text deploy-code.yaml >text &&
	test_grep "^  - mcp_memory  *disabled$" text &&
	test_grep "^  + circle_of_experts  *new  *rolling, targets circle_of_experts-1, circle_of_experts-2, circle_of_experts-3$" text
'

test_done
