#!/bin/bash
# 0005-equivalence.sh: SIMD and scalar prefilters, one thread or several, io_uring or pread: the same output.
. "$top_srcdir/tests/lib/test-lib.sh"

# random_log SEED LINES: lines of random words, the pattern words in random
# case among them, sometimes cut, doubled or next to a line boundary.
random_log() {
	awk -v seed="$1" -v n="$2" 'BEGIN {
		srand(seed)
		split("error exception failed timeout errorr erro fail timeou EXCEPTION x y zz", w, " ")
		for (i = 0; i < n; i++) {
			k = int(rand() * 12); s = ""
			for (j = 0; j < k; j++) {
				t = w[int(rand() * 12) + 1]
				if (rand() < 0.3) t = toupper(substr(t, 1, 1)) substr(t, 2)
				s = s (rand() < 0.5 ? " " : "") t
			}
			if (rand() < 0.01) s = s sprintf("%*s", int(rand() * 3000), "")
			print s
		}
	}'
}

test_expect_success 'scalar and AVX2 prefilters agree on 20 random logs, every output mode' '
	for seed in $(seq 20); do
		random_log $seed 2000 >r$seed.log || return 1
	done &&
	for mode in "" "--count" "--aggregate pattern"; do
		CODE_SIMD=scalar code-logscan $mode -j1 r*.log >scalar.out
		rc1=$?
		code-logscan $mode -j1 r*.log >simd.out
		rc2=$?
		test "$rc1" = "$rc2" && test_cmp scalar.out simd.out || return 1
	done &&
	test "$(jq -r "select(.type==\"match\")" simd.out | wc -l)" = 0 &&
	code-logscan -j1 r*.log | wc -l >n && test "$(cat n)" -gt 1000
'

test_expect_success 'per-pattern counts equal grep -c -i for each word' '
	code-logscan --count r1.log r2.log >out &&
	for w in error exception failed timeout; do
		want=$(cat r1.log r2.log | grep -c -i -e "$w")
		got=$(jq -s "[.[] | select(.type==\"count\" and .pattern==\"$w\") | .lines] | add" out)
		test "$want" = "$got" || { echo "$w: grep $want, code-logscan $got" >&2; return 1; }
	done &&
	test "$(jq -r "select(.type==\"total\") | .matched" out)" = \
		"$(cat r1.log r2.log | grep -c -i -E "error|exception|failed|timeout")"
'

test_expect_success 'regex patterns: the same with scalar and AVX2, and the same as grep -P' '
	code-logscan -e "fail(ed)?\\b" -e "(?i)time.?out" -e "^\\s*x" r3.log >simd.out &&
	CODE_SIMD=scalar code-logscan -e "fail(ed)?\\b" -e "(?i)time.?out" -e "^\\s*x" r3.log >scalar.out &&
	test_cmp scalar.out simd.out &&
	test "$(wc -l <simd.out)" = "$(grep -c -P "^\\s*x|fail(ed)?\\b|(?i)time.?out" r3.log)"
'

test_expect_success 'a file cut into stretches gives the same output on 1, 2 and 5 threads' '
	random_log 99 30000 >part &&
	for i in $(seq 40); do cat part; done >big.log &&
	test "$(wc -c <big.log)" -gt 20000000 &&
	code-logscan -j1 big.log >j1.out &&
	code-logscan -j2 big.log >j2.out &&
	code-logscan -j5 big.log >j5.out &&
	test_cmp j1.out j2.out && test_cmp j1.out j5.out &&
	test "$(tail -1 j1.out | jq .line)" = "$(grep -n -i -E "error|exception|failed|timeout" big.log | tail -1 | cut -d: -f1)" &&
	code-logscan --count -j1 big.log >c1 && code-logscan --count -j2 big.log >c2 && test_cmp c1 c2 &&
	code-logscan --aggregate pattern,level -j1 big.log >a1 &&
	code-logscan --aggregate pattern,level -j2 big.log >a2 && test_cmp a1 a2
'

test_expect_success 'io_uring and pread read the same bytes' '
	code-logscan --io read --count big.log >read.out &&
	code-logscan --io uring --count big.log >uring.out 2>err &&
	test_cmp read.out uring.out
'

test_done
