#!/bin/bash
# 0001-match.sh: code-logscan's match records, text output, inputs and exit codes.
. "$top_srcdir/tests/lib/test-lib.sh"

write_app_log() {
	cat >app.log <<'L'
2026-11-23T10:00:00.000Z INFO started
2026-11-23T10:00:01.500Z ERROR db connection failed: timeout after 5s
2026-11-23T10:00:02Z WARN slow request
2026-11-23T10:00:03+01:00 ERROR java.lang.IllegalStateException: boom
    at com.example.Foo(Foo.java:10)
2026-11-23T10:00:04Z INFO done
L
}

test_expect_success 'default set: one record per matching line, all its patterns listed' '
	write_app_log &&
	code-logscan app.log >out &&
	jq -c "[.type, .file, .line, .offset, .patterns, .ts, .level]" out >got &&
	cat >want <<-\W &&
	["match","app.log",2,38,["error","failed","timeout"],"2026-11-23T10:00:01.500Z","ERROR"]
	["match","app.log",4,147,["error","exception"],"2026-11-23T09:00:03.000Z","ERROR"]
	W
	test_cmp want got
'

test_expect_success 'text is the line without its newline; offset points at it' '
	jq -r .text out | head -1 >got &&
	echo "2026-11-23T10:00:01.500Z ERROR db connection failed: timeout after 5s" >want &&
	test_cmp want got &&
	off=$(jq -r .offset out | sed -n 2p) &&
	tail -c +$((off + 1)) app.log | head -1 >got &&
	jq -r .text out | sed -n 2p >want &&
	test_cmp want got
'

test_expect_success 'exit 0 on a match, 1 on none, like grep' '
	test_expect_code 0 code-logscan app.log >/dev/null &&
	test_expect_code 1 code-logscan -e nothing-like-this app.log >out &&
	test_must_be_empty out
'

test_expect_success '-e is repeatable and named by its text; -i makes every pattern caseless' '
	code-logscan -e started -e DONE app.log >out &&
	jq -r ".patterns[]" out >got && echo started >want && test_cmp want got &&
	code-logscan -i -e started -e DONE app.log >out &&
	jq -r ".patterns[]" out >got && printf "started\nDONE\n" >want && test_cmp want got
'

test_expect_success 'named groups become fields' '
	code-logscan -e "after (?<secs>\\d+)s" -e "(?<exc>\\w+Exception)" app.log >out &&
	jq -c .fields out >got &&
	printf "%s\n" "{\"secs\":\"5\"}" "{\"exc\":\"IllegalStateException\"}" >want &&
	test_cmp want got
'

test_expect_success 'a pattern without literals still runs on every line' '
	code-logscan -e "^\\s+at " -e "[0-9]s$" app.log >out &&
	jq -c "[.line, .patterns]" out >got &&
	printf "%s\n" "[2,[\"[0-9]s\$\"]]" "[5,[\"^\\\\s+at \"]]" >want &&
	test_cmp want got
'

test_expect_success '--format text: grep-like LINE:TEXT for one file, FILE:LINE:TEXT for several' '
	code-logscan --format text app.log >got &&
	printf "%s\n" "2:2026-11-23T10:00:01.500Z ERROR db connection failed: timeout after 5s" \
		"4:2026-11-23T10:00:03+01:00 ERROR java.lang.IllegalStateException: boom" >want &&
	test_cmp want got &&
	cp app.log b.log &&
	code-logscan --format text -e started app.log b.log >got &&
	printf "%s\n" "app.log:1:2026-11-23T10:00:00.000Z INFO started" \
		"b.log:1:2026-11-23T10:00:00.000Z INFO started" >want &&
	test_cmp want got
'

test_expect_success '--color always highlights file, line and each match' '
	code-logscan --format text --color always -e fail app.log >got &&
	printf "\033[32m2\033[0m:2026-11-23T10:00:01.500Z ERROR db connection \033[1;31mfail\033[0med: timeout after 5s\n" >want &&
	test_cmp want got
'

test_expect_success 'stdin, "-" and zstd-compressed files' '
	code-logscan <app.log >a &&
	code-logscan - <app.log >b &&
	zstd -q -o app.log.zst app.log &&
	code-logscan app.log.zst >c &&
	jq -c "[.file, .line, .patterns]" a >got &&
	printf "%s\n" "[\"<stdin>\",2,[\"error\",\"failed\",\"timeout\"]]" \
		"[\"<stdin>\",4,[\"error\",\"exception\"]]" >want &&
	test_cmp want got &&
	test_cmp a b &&
	jq -c "[.line, .patterns, .text]" a >want && jq -c "[.line, .patterns, .text]" c >got &&
	test_cmp want got && test "$(jq -r .file c | sort -u)" = app.log.zst
'

test_expect_success 'stdin among files keeps its place in the output, on any thread count' '
	printf "b error\n" >s1.log &&
	printf "c error\n" | code-logscan -j2 --format text s1.log - s1.log >got &&
	printf "s1.log:1:b error\n<stdin>:1:c error\ns1.log:1:b error\n" >want &&
	test_cmp want got
'

test_expect_success 'a live pipe: matches come out as lines arrive, not at the end' '
	{ printf "first error\n"; sleep 2; printf "second error\n"; } |
		"$top_builddir/code-logscan" --format text >live &
	sleep 1 &&
	echo "1:first error" >want && test_cmp want live &&
	wait &&
	printf "1:first error\n2:second error\n" >want && test_cmp want live
'

test_expect_success 'directories: recursive, sorted, zstd decoded, binary files skipped unless -a' '
	mkdir -p logs/b logs/a &&
	echo "x error" >logs/b/z.log && echo "y error" >logs/a/y.log &&
	printf "bin\0ary error\n" >logs/a/core.bin &&
	printf "c error\n" | zstd -q -o logs/a/c.log.zst &&
	code-logscan logs >out &&
	jq -r .file out >got && printf "logs/a/c.log.zst\nlogs/a/y.log\nlogs/b/z.log\n" >want &&
	test_cmp want got &&
	code-logscan -a logs >out &&
	jq -r .file out >got &&
	printf "logs/a/c.log.zst\nlogs/a/core.bin\nlogs/a/y.log\nlogs/b/z.log\n" >want &&
	test_cmp want got &&
	code-logscan logs/a/core.bin >out && test_grep core.bin out
'

test_expect_success 'a missing input is 66; the others are still scanned' '
	test_expect_code 66 code-logscan nope.log app.log >out 2>err &&
	test_grep "code-logscan: cannot open .nope.log.: No such file or directory" err &&
	test $(wc -l <out) = 2
'

test_expect_success 'a bad regex is 65 with the pattern named' '
	test_expect_code 65 code-logscan -e ok -e "(unclosed" app.log >out 2>err &&
	test_grep "code-logscan: -e #2: invalid regex .(unclosed.: missing closing parenthesis" err &&
	test_must_be_empty out
'

test_expect_success 'usage errors are 64' '
	test_expect_code 64 code-logscan --format xml app.log 2>err &&
	test_expect_code 64 code-logscan --format prom app.log 2>err &&
	test_grep "needs --count or --aggregate" err &&
	test_expect_code 64 code-logscan --count --aggregate pattern app.log 2>err &&
	test_expect_code 64 code-logscan --aggregate patern app.log 2>err &&
	test_grep "pattern" err &&
	test_expect_code 64 code-logscan --threads 0 app.log 2>err
'

test_expect_success 'CRLF lines lose the CR; bytes that are not UTF-8 still give valid JSON' '
	printf "a error here\r\n\377\376 error \303\n" >odd.log &&
	code-logscan odd.log >out &&
	jq -r .text out >got &&
	printf "a error here\n\357\277\275\357\277\275 error \357\277\275\n" >want &&
	test_cmp want got
'

test_expect_success 'a huge line is fine; --max-text cuts the record text and says so' '
	{ printf "start "; head -c 3000000 /dev/zero | tr "\0" x; printf " error end\n"; } >huge.log &&
	code-logscan huge.log >out &&
	test "$(jq -r ".text | length" out)" = 65536 &&
	test "$(jq -r .text_truncated out)" = true &&
	code-logscan --max-text 10 huge.log >out &&
	test "$(jq -r .text out)" = "start xxxx"
'

test_expect_success 'a pathological regex is reported and counted, never hangs' '
	{ head -c 30000 /dev/zero | tr "\0" a; echo "!"; echo "aaa"; } >evil.log &&
	test_expect_code 0 code-logscan -e "(a+)+\$" evil.log >out 2>err &&
	test "$(jq -r .line out)" = 2 &&
	test_grep "hit the regex match limit on 1 lines" err
'

test_expect_success 'timestamps and levels of every supported format' '
	cat >formats.log <<-\L &&
	2026-11-23T10:00:00.123Z ERROR iso with zone Z
	2026-11-23 10:00:00,250 WARN iso with space and comma failed
	2026-11-23T11:00:00+01:00 [error] iso with offset
	Nov 23 10:00:01 host app[12]: syslog error
	<11>1 2026-11-23T10:00:02.000Z host app 12 - - rfc5424 error
	127.0.0.1 - - [23/Nov/2026:10:00:03 +0000] "GET /error HTTP/1.1" 500 12
	E1123 10:00:04.000000 12 main.cc:1] glog error
	ERROR: leading level only
	plain error without anything
	L
	code-logscan -e error -e failed -i formats.log >out &&
	jq -r "[.line, .ts // \"-\", .level // \"-\"] | @tsv" out >got &&
	cat >want <<-\W &&
	1	2026-11-23T10:00:00.123Z	ERROR
	2	2026-11-23T10:00:00.250Z	WARN
	3	2026-11-23T10:00:00.000Z	ERROR
	4	2026-11-23T10:00:01.000Z	-
	5	2026-11-23T10:00:02.000Z	ERROR
	6	2026-11-23T10:00:03.000Z	ERROR
	7	2026-11-23T10:00:04.000Z	ERROR
	8	-	ERROR
	9	-	-
	W
	test_cmp want got
'

test_done
