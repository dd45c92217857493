#!/bin/bash
# 0005-redis.sh: the shared Redis tier against a real redis-server, and life without it.
. "$top_srcdir/tests/lib/test-lib.sh"

if ! command -v redis-server >/dev/null; then
	test_skip 'redis tier' 'redis-server is not installed'
	test_done
fi

# A free loopback port: ask the kernel for one.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >redis.log 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
URL="redis://127.0.0.1:$port/0"

test_expect_success 'write-through: a put reaches Redis' '
	echo shared | code-cache --dir "$TEST_DIR/a" --redis "$URL" put k1 &&
	test "$(redis-cli -p "$port" --scan --pattern "code-cache:v1:*" | wc -l)" = 1
'

test_expect_success 'read-through: another host (empty local dir) gets it and fills its local tier' '
	code-cache --dir "$TEST_DIR/b" --redis "$URL" get k1 >out &&
	echo shared >want && test_cmp want out &&
	redis-cli -p "$port" flushall >/dev/null &&
	code-cache --dir "$TEST_DIR/b" get k1 >out && test_cmp want out
'

test_expect_success 'CODE_CACHE_REDIS works like --redis; TTL becomes Redis expiry' '
	echo t | CODE_CACHE_REDIS="$URL" code-cache --dir "$TEST_DIR/a" --ttl 10s put k2 &&
	ttl=$(redis-cli -p "$port" pttl "$(redis-cli -p "$port" --scan --pattern "code-cache:v1:*" | head -1)") &&
	test "$ttl" -gt 0 && test "$ttl" -le 10000
'

test_expect_success 'Redis down: commands go on locally, one warning, the breaker opens' '
	kill "$redis_pid" &&
	for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 || break; sleep 0.05; done &&
	echo local | code-cache --dir "$TEST_DIR/a" --redis "$URL" put k3 2>err1 &&
	code-cache --dir "$TEST_DIR/a" --redis "$URL" get k3 >out 2>err2 &&
	echo local >want && test_cmp want out &&
	cat err1 err2 >err && test_grep "unavailable" err &&
	for i in 1 2 3 4 5 6; do
		test_expect_code 1 code-cache --dir "$TEST_DIR/a" --redis "$URL" get nope$i 2>>err3 || return 1
	done &&
	code-cache --dir "$TEST_DIR/a" --redis "$URL" stats >s &&
	test "$(jq -r .redis s)" = open
'

test_done
