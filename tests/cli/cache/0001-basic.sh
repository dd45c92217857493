#!/bin/bash
# 0001-basic.sh: code-cache put/get/has/del/stats/gc/clear, TTL, eviction, corruption and exit codes.
. "$top_srcdir/tests/lib/test-lib.sh"

C="code-cache --dir $TEST_DIR/c"

test_expect_success 'put then get returns the bytes; a miss is exit 1 with nothing written' '
	printf "hello\n" | $C put greeting &&
	$C get greeting >out && printf "hello\n" >want && test_cmp want out &&
	test_expect_code 1 $C get nothing >out && test_must_be_empty out
'

test_expect_success 'put from a file; binary values and large values round-trip' '
	head -c 300000 /dev/urandom >bin &&
	$C put blob bin && $C get blob >out && cmp bin out &&
	printf "a\0b\0" >nul && $C put nul - <nul && $C get nul >out && cmp nul out &&
	: >empty && $C put empty empty && $C get empty >out && test_must_be_empty out
'

test_expect_success 'has and del answer with exit codes only' '
	test_expect_code 0 $C has greeting >out && test_must_be_empty out &&
	test_expect_code 1 $C has nothing &&
	test_expect_code 0 $C del greeting &&
	test_expect_code 1 $C del greeting &&
	test_expect_code 1 $C get greeting
'

test_expect_success 'the cache directory is 0700 and its files 0600' '
	test "$(stat -c %a c)" = 700 &&
	find c -type f ! -perm 600 >bad && test_must_be_empty bad
'

test_expect_success 'overwriting a key keeps the last value' '
	echo one | $C put k && echo two | $C put k && $C get k >out &&
	echo two >want && test_cmp want out
'

test_expect_success '--ttl: an entry expires' '
	echo soon | $C --ttl 4s put brief &&
	$C get brief >out && echo soon >want && test_cmp want out &&
	sleep 4.2 &&
	test_expect_code 1 $C get brief
'

test_expect_success 'stats: one record with entries, hits, misses and the hit rate' '
	rm -rf c2 && D="code-cache --dir $TEST_DIR/c2" &&
	echo v | $D put a && $D get a >/dev/null && $D get a >/dev/null &&
	test_expect_code 1 $D get b &&
	$D stats >s &&
	test "$(jq -r .type s)" = stats &&
	test "$(jq -r .entries s)" = 1 && test "$(jq -r .hits s)" = 2 &&
	test "$(jq -r .misses s)" = 1 && test "$(jq -r .hit_rate s)" = 0.6667 &&
	test "$(wc -l <s)" = 1
'

# LRU is per shard and its access times move at most once a minute, so
# the test compares entries written a second apart by how many survive.
test_expect_success 'eviction under --max-size drops the least recently used first' '
	rm -rf c3 && D="code-cache --dir $TEST_DIR/c3 --max-size 8M" &&
	head -c 40000 /dev/urandom >v &&
	for i in $(seq 40); do $D put "old$i" v || return 1; done &&
	sleep 1.1 &&
	for i in $(seq 300); do $D put "new$i" v || return 1; done &&
	$D gc >g && $D stats >s &&
	test "$(jq -r .bytes s)" -le 9000000 &&
	test "$(jq -r .evictions s)" -gt 0 &&
	old=0 && for i in $(seq 40); do if $D has "old$i"; then old=$((old + 1)); fi; done &&
	new=0 && for i in $(seq 300); do if $D has "new$i"; then new=$((new + 1)); fi; done &&
	echo "old kept: $old of 40, new kept: $new of 300" >&2 &&
	test $((old * 300 * 2)) -lt $((new * 40)) &&
	$D get new300 >out && cmp v out
'

test_expect_success 'a value too big for the cache is not stored, with a warning, exit 0' '
	rm -rf c5 && head -c 100000 /dev/urandom >huge &&
	code-cache --dir "$TEST_DIR/c5" --max-size 2M put h huge 2>err &&
	test_grep "too big" err &&
	test_expect_code 1 code-cache --dir "$TEST_DIR/c5" get h
'

test_expect_success 'a corrupt entry is a miss, then gone; a truncated pack is a miss, never a crash' '
	rm -rf c4 && D="code-cache --dir $TEST_DIR/c4" &&
	printf "precious value that is long enough to find in the pack\n" | $D put p &&
	pack=$(grep -l "precious value" c4/v1/*.pack) &&
	off=$(grep -b -o "precious value" "$pack" | head -1 | cut -d: -f1) &&
	printf "X" | dd of="$pack" bs=1 seek=$((off + 3)) conv=notrunc 2>/dev/null &&
	test_expect_code 1 $D -v get p 2>err &&
	test_expect_code 1 $D get p &&
	echo again | $D put q && truncate -s 10 c4/v1/*.pack &&
	test_expect_code 1 $D get q &&
	$D gc >/dev/null && echo fine | $D put r && $D get r >out && echo fine >want && test_cmp want out
'

test_expect_success 'clear empties the cache and the counters' '
	$C clear &&
	test_expect_code 1 $C get blob &&
	$C stats >s && test "$(jq -r .entries s)" = 0 && test "$(jq -r .hits s)" = 0
'

test_expect_success 'usage errors are 64' '
	test_expect_code 64 $C 2>err &&
	test_expect_code 64 $C frobnicate 2>err && test_grep "frobnicate" err &&
	test_expect_code 64 $C get 2>err &&
	test_expect_code 64 $C get --input x k 2>err && test_grep "option of run" err &&
	test_expect_code 64 $C --max-size 10 stats 2>err
'

test_expect_success 'a cache dir reached through another user'"'"'s symlink is refused (66)' '
	if [ "$(id -u)" != 0 ]; then echo "skipped: needs root" >&2; exit 0; fi &&
	mkdir -p real && ln -s real theirs && chown -h 65534:65534 theirs &&
	test_expect_code 66 code-cache --dir "$TEST_DIR/theirs" stats 2>err &&
	test_grep "symbolic link owned by another user" err
'

test_done
