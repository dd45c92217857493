#!/bin/bash
# 0002-count-aggregate.sh: --count, --aggregate and their text and Prometheus forms.
. "$top_srcdir/tests/lib/test-lib.sh"

write_logs() {
	cat >st.log <<-\L
	2026-11-23T10:00:00.000Z INFO start
	2026-11-23T10:00:59.000Z ERROR request failed
	java.lang.RuntimeException: timeout
	    at Foo.bar(Foo.java:1)
	2026-11-23T10:01:05.000Z WARN retry timeout
	2026-11-23T10:02:00.000Z INFO all good
	L
	printf "exception before any timestamp\n" >pre.log
}

# prom_valid FILE: the text exposition format as a strict parser reads it.
prom_valid() {
	awk '
	/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$/ { help[$3]++; next }
	/^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (gauge|counter|untyped)$/ {
		if (seen[$3]) { print "TYPE after samples: " $0; bad = 1 }
		type[$3]++; next }
	/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\["\\n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\["\\n])*")*\})? -?[0-9]+$/ {
		name = $0; sub(/[{ ].*/, "", name)
		if (!type[name]) { print "sample before its TYPE: " $0; bad = 1 }
		seen[name] = 1; next }
	{ print "bad line: " $0; bad = 1 }
	END { for (n in type) if (type[n] > 1 || help[n] > 1) { print "family twice: " n; bad = 1 }
	      exit bad }' "$1"
}

test_expect_success '--count: a count per file and pattern (zeros too), then the total' '
	write_logs &&
	code-logscan --count st.log pre.log >out &&
	jq -c "del(.type)" out >got &&
	cat >want <<-\W &&
	{"file":"pre.log","pattern":"error","lines":0}
	{"file":"pre.log","pattern":"exception","lines":1}
	{"file":"pre.log","pattern":"failed","lines":0}
	{"file":"pre.log","pattern":"timeout","lines":0}
	{"file":"st.log","pattern":"error","lines":1}
	{"file":"st.log","pattern":"exception","lines":1}
	{"file":"st.log","pattern":"failed","lines":1}
	{"file":"st.log","pattern":"timeout","lines":2}
	{"files":2,"lines":7,"matched":4,"bytes":259}
	W
	test_cmp want got &&
	jq -r .type out | sort | uniq -c | awk "{print \$2, \$1}" >got &&
	printf "count 8\ntotal 1\n" >want && test_cmp want got
'

test_expect_success '--count exits 1 when nothing matched, with zero counts' '
	test_expect_code 1 code-logscan --count -e absent st.log >out &&
	test "$(jq -r "select(.type==\"total\") | .matched" out)" = 0
'

test_expect_success '--aggregate pattern,level,window: undated lines take the timestamp before them' '
	code-logscan --aggregate pattern,level,window:1m st.log pre.log >out &&
	jq -r "select(.type==\"bucket\") | [.window_start // \"-\", .pattern, .level, .count] | @tsv" out >got &&
	cat >want <<-\W &&
	-	exception		1
	2026-11-23T10:00:00.000Z	error	ERROR	1
	2026-11-23T10:00:00.000Z	exception		1
	2026-11-23T10:00:00.000Z	failed	ERROR	1
	2026-11-23T10:00:00.000Z	timeout		1
	2026-11-23T10:01:00.000Z	timeout	WARN	1
	W
	test_cmp want got &&
	test "$(jq -r "select(.type==\"bucket\") | .window_ms" out | sort -u)" = 60000
'

test_expect_success '--aggregate without pattern counts each line once' '
	code-logscan --aggregate level st.log >out &&
	jq -c "select(.type==\"bucket\") | [.level, .count]" out >got &&
	printf "%s\n" "[\"\",1]" "[\"ERROR\",1]" "[\"WARN\",1]" >want &&
	test_cmp want got
'

test_expect_success '--format text for counts and buckets' '
	code-logscan --count --format text st.log >got &&
	cat >want <<-\W &&
	st.log:error:1
	st.log:exception:1
	st.log:failed:1
	st.log:timeout:2
	total: 1 files, 6 lines, 3 matched, 228 bytes
	W
	test_cmp want got &&
	code-logscan --aggregate level --format text st.log >got &&
	test_grep "^LEVEL	COUNT$" got && test_grep "^ERROR	1$" got
'

test_expect_success '--format prom: valid exposition for counts and for windows' '
	code-logscan --count --format prom st.log pre.log >count.prom &&
	prom_valid count.prom &&
	test_grep "^code_logscan_matched_lines{file=\"st.log\",pattern=\"timeout\"} 2$" count.prom &&
	test_grep "^code_logscan_lines 7$" count.prom &&
	code-logscan --aggregate pattern,level,window:1m --format prom st.log >agg.prom &&
	prom_valid agg.prom &&
	test_grep "^code_logscan_bucket_lines{pattern=\"timeout\",level=\"WARN\"} 1$" agg.prom &&
	test_grep "^code_logscan_window_start_seconds 1795428060$" agg.prom
'

test_expect_success 'prom label values are escaped' '
	printf "quote \" and backslash \\\\ error\n" >"we\"ird.log" &&
	code-logscan --count --format prom -e "\"" "we\"ird.log" >q.prom &&
	prom_valid q.prom &&
	test_grep "file=\"we\\\\\"ird.log\"" q.prom
'

test_expect_success '--max-series folds the rarest label combinations into pattern="other"' '
	for i in 1 2 3 4 5; do echo "2026-11-23T10:00:00Z ERROR e$i error" >f$i.log; done &&
	echo "2026-11-23T10:00:00Z ERROR again error" >>f1.log &&
	code-logscan --aggregate file,pattern --max-series 3 f1.log f2.log f3.log f4.log f5.log >out 2>err &&
	test_grep "folded 3 label combinations into pattern=\"other\"" err &&
	jq -c "select(.type==\"bucket\") | [.file, .pattern, .count]" out >got &&
	printf "%s\n" "[\"\",\"other\",3]" "[\"f1.log\",\"error\",2]" "[\"f2.log\",\"error\",1]" >want &&
	test_cmp want got
'

test_done
