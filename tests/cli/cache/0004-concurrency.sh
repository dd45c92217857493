#!/bin/bash
# 0004-concurrency.sh: 8 processes x 2,000 random operations on one cache while a ninth is killed mid-put.
. "$top_srcdir/tests/lib/test-lib.sh"

bin="$top_builddir/code-cache"

# requests SEED: 2,000 random put/get/del on 200 keys; every value names its key.
requests() {
	awk -v seed="$1" 'BEGIN {
		srand(seed)
		for (i = 0; i < 2000; i++) {
			k = "key" int(rand() * 200); r = rand()
			if (r < 0.4) printf "{\"op\":\"put\",\"key\":\"%s\",\"value\":\"%s|%d|%s\"}\n", k, k, seed, sprintf("%0*d", int(rand() * 300), 0)
			else if (r < 0.9) printf "{\"op\":\"get\",\"key\":\"%s\"}\n", k
			else printf "{\"op\":\"del\",\"key\":\"%s\"}\n", k
		}
	}'
}

test_expect_success 'zero wrong values while writers race and a writer is killed mid-put' '
	for i in 1 2 3 4 5 6 7 8; do requests $i >req$i || return 1; done &&
	head -c 3000000 /dev/urandom >big &&
	"$bin" --dir "$TEST_DIR/c" stats >/dev/null &&
	{ ( for n in $(seq 30); do
		"$bin" --dir "$TEST_DIR/c" put "victim$((n % 3))" big &
		pid=$!
		sleep 0.0$((RANDOM % 9 + 1))
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
	    done ) & } &&
	for i in 1 2 3 4 5 6 7 8; do
		{ "$bin" --dir "$TEST_DIR/c" batch <req$i >ans$i & }
	done &&
	wait &&
	for i in 1 2 3 4 5 6 7 8; do
		test "$(wc -l <ans$i)" = 2000 || { echo "process $i answered $(wc -l <ans$i) of 2000" >&2; return 1; }
	done &&
	cat ans* | jq -r "select(.op==\"get\" and .hit) | select((.value | split(\"|\")[0]) != .key) | .key" >wrong &&
	test_must_be_empty wrong &&
	cat ans* | jq -r "select(.op==\"get\" and .hit) | .key" | wc -l >hits &&
	test "$(cat hits)" -gt 100 &&
	"$bin" --dir "$TEST_DIR/c" gc >g &&
	for k in victim0 victim1 victim2; do
		if "$bin" --dir "$TEST_DIR/c" get $k >v 2>/dev/null; then cmp big v || return 1; fi
	done
'

test_done
