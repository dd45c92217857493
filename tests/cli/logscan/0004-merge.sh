#!/bin/bash
# 0004-merge.sh: code-logscan merge sums count, bucket and total streams from several hosts.
. "$top_srcdir/tests/lib/test-lib.sh"

write_hosts() {
	printf "2026-11-23T10:00:01Z ERROR a failed\n2026-11-23T10:01:00Z WARN timeout\n" >h1.log
	printf "2026-11-23T10:00:30Z ERROR b failed\n2026-11-23T10:00:31Z INFO ok\n" >h2.log
}

test_expect_success 'count streams: per file and pattern sums, one total' '
	write_hosts &&
	code-logscan --count h1.log >c1 && code-logscan --count h1.log h2.log >c2 &&
	code-logscan merge c1 c2 >out &&
	jq -c "select(.type==\"count\" and .pattern==\"failed\") | [.file, .lines]" out >got &&
	printf "%s\n" "[\"h1.log\",2]" "[\"h2.log\",1]" >want && test_cmp want got &&
	jq -c "select(.type==\"total\") | del(.type)" out >got &&
	echo "{\"files\":3,\"lines\":6,\"matched\":5,\"bytes\":$(( $(wc -c <h1.log) * 2 + $(wc -c <h2.log) ))}" >want &&
	test_cmp want got
'

test_expect_success 'bucket streams from stdin and files; windows line up' '
	code-logscan --aggregate pattern,window:1m h1.log >b1 &&
	code-logscan --aggregate pattern,window:1m h2.log >b2 &&
	cat b1 | code-logscan merge - b2 >out &&
	jq -r "select(.type==\"bucket\") | [.window_start, .pattern, .count] | @tsv" out >got &&
	cat >want <<-\W &&
	2026-11-23T10:00:00.000Z	error	2
	2026-11-23T10:00:00.000Z	failed	2
	2026-11-23T10:01:00.000Z	timeout	1
	W
	test_cmp want got
'

test_expect_success 'merge writes prom and text too' '
	code-logscan merge --format prom b1 b2 >out.prom &&
	test_grep "^code_logscan_bucket_lines{pattern=\"timeout\"} 1$" out.prom &&
	test_grep "^# TYPE code_logscan_bucket_lines gauge$" out.prom &&
	code-logscan merge --format text c1 c2 >out.txt &&
	test_grep "^h1.log:failed:2$" out.txt
'

test_expect_success 'other record types are skipped; merge of merges is stable' '
	code-logscan h1.log >matches &&
	cat matches c1 | code-logscan merge >m1 &&
	code-logscan merge c1 >m2 && test_cmp m2 m1 &&
	code-logscan merge m1 >m3 && test_cmp m1 m3
'

test_expect_success 'a malformed line is 65 with its location; --skip-invalid goes on' '
	{ head -2 c1; echo "{not json"; tail -n +3 c1; } >bad &&
	test_expect_code 65 code-logscan merge bad >out 2>err &&
	test_grep "bad:3" err &&
	code-logscan merge --skip-invalid bad >out 2>err &&
	code-logscan merge c1 >want && test_cmp want out
'

test_expect_success 'a bad field is 65 naming record and field' '
	echo "{\"type\":\"count\",\"file\":\"x\",\"pattern\":\"p\",\"lines\":-1}" >neg &&
	test_expect_code 65 code-logscan merge neg 2>err &&
	test_grep "neg:1" err && test_grep "lines" err
'

test_expect_success 'a missing host file is 66, the others are still merged' '
	test_expect_code 66 code-logscan merge c1 nohost.ndjson >out 2>err &&
	test_grep "cannot open .nohost.ndjson." err &&
	code-logscan merge c1 >want && test_cmp want out
'

test_expect_success 'merge takes no scan options' '
	test_expect_code 64 code-logscan merge --count c1 2>err &&
	test_grep "merge takes only" err
'

test_done
