#!/bin/bash
# 0003-batch.sh: code-cache batch answers NDJSON requests in order.
. "$top_srcdir/tests/lib/test-lib.sh"

C="code-cache --dir $TEST_DIR/c"

test_expect_success 'puts, gets and dels answered in order' '
	cat >req <<-\R &&
	{"op":"put","key":"a","value":"1"}
	{"op":"get","key":"a"}
	{"op":"get","key":"zz"}
	{"op":"put","key":"b","value":"två \"quoted\""}
	{"op":"del","key":"a"}
	{"op":"del","key":"a"}
	{"op":"get","key":"b"}
	R
	$C batch <req >out &&
	cat >want <<-\W &&
	{"type":"result","op":"put","key":"a","ok":true}
	{"type":"result","op":"get","key":"a","hit":true,"value":"1"}
	{"type":"result","op":"get","key":"zz","hit":false}
	{"type":"result","op":"put","key":"b","ok":true}
	{"type":"result","op":"del","key":"a","deleted":true}
	{"type":"result","op":"del","key":"a","deleted":false}
	{"type":"result","op":"get","key":"b","hit":true,"value":"två \"quoted\""}
	W
	test_cmp want out &&
	$C get b >v && printf "två \"quoted\"" >want && test_cmp want v
'

test_expect_success 'batch and the single commands share the cache' '
	echo -n direct | $C put d &&
	echo "{\"op\":\"get\",\"key\":\"d\"}" | $C batch >out &&
	test "$(jq -r .value out)" = direct
'

test_expect_success 'a malformed line is 65 with its line number; what came before is answered' '
	printf "%s\n" "{\"op\":\"put\",\"key\":\"x\",\"value\":\"1\"}" "{broken" "{\"op\":\"get\",\"key\":\"x\"}" >bad &&
	test_expect_code 65 $C batch <bad >out 2>err &&
	test_grep "<stdin>:2:" err &&
	test "$(wc -l <out)" = 1 && $C get x >v && echo -n 1 >want && test_cmp want v
'

test_expect_success '--skip-invalid answers a bad line with an error and goes on' '
	$C batch --skip-invalid <bad >out 2>err &&
	test "$(wc -l <out)" = 3 &&
	test "$(sed -n 2p out | jq -r "has(\"error\")")" = true &&
	test_grep "malformed" err
'

test_expect_success 'a per-request ttl' '
	echo "{\"op\":\"put\",\"key\":\"t\",\"value\":\"v\",\"ttl\":\"4s\"}" | $C batch >/dev/null &&
	$C get t >/dev/null && sleep 4.2 && test_expect_code 1 $C get t
'

test_expect_success '10,000 requests in one batch' '
	awk "BEGIN { for (i = 0; i < 5000; i++) printf \"{\\\"op\\\":\\\"put\\\",\\\"key\\\":\\\"k%d\\\",\\\"value\\\":\\\"v%d\\\"}\\n\", i, i;
		     for (i = 0; i < 5000; i++) printf \"{\\\"op\\\":\\\"get\\\",\\\"key\\\":\\\"k%d\\\"}\\n\", i }" >many &&
	$C batch <many >out &&
	test "$(grep -c "\"hit\":true" out)" = 5000 &&
	test "$(sed -n 10000p out | jq -r .value)" = v4999
'

test_done
