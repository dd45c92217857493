#!/bin/bash
# 0003-state-follow.sh: --state across cron-like runs (append, rotation, truncation) and --follow.
. "$top_srcdir/tests/lib/test-lib.sh"

matched() {
	jq -r 'select(.type=="total") | .matched' "$1"
}

test_expect_success 'the first run reads everything and writes the state 0600' '
	printf "1 error\n2 ok\n3 timeout\n" >app.log &&
	code-logscan --count --state s.json app.log >out &&
	test "$(matched out)" = 2 &&
	test "$(stat -c %a s.json)" = 600 &&
	test "$(jq -r ".files[\"app.log\"].offset" s.json)" = "$(wc -c <app.log)" &&
	test "$(jq -r ".files[\"app.log\"].line" s.json)" = 3
'

test_expect_success 'the next run reads only what was appended; nothing new is exit 1' '
	printf "4 failed\n5 ok\n" >>app.log &&
	code-logscan --state s.json app.log >out &&
	jq -c "[.line, .patterns]" out >got &&
	echo "[4,[\"failed\"]]" >want && test_cmp want got &&
	test_expect_code 1 code-logscan --count --state s.json app.log >out &&
	test "$(matched out)" = 0
'

test_expect_success 'a line still being written is left for the next run' '
	printf "6 partial error" >>app.log &&
	test_expect_code 1 code-logscan --state s.json app.log >out &&
	test_must_be_empty out &&
	printf " now complete\n" >>app.log &&
	code-logscan --state s.json app.log >out &&
	jq -c "[.line, .text]" out >got &&
	echo "[6,\"6 partial error now complete\"]" >want && test_cmp want got
'

test_expect_success 'rotation: the old file is finished before the new one starts' '
	printf "7 late error in the old file\n" >>app.log &&
	mv app.log app.log.1 &&
	printf "1 new file error\n" >app.log &&
	code-logscan --state s.json app.log >out 2>err &&
	jq -c "[.file, .line]" out >got &&
	printf "%s\n" "[\"app.log.1\",7]" "[\"app.log\",1]" >want && test_cmp want got &&
	test_expect_code 1 code-logscan --state s.json app.log >out
'

test_expect_success 'copytruncate: a shorter file is read again from the start, with a warning' '
	printf "2 more\n" >>app.log &&
	code-logscan --state s.json app.log >/dev/null;
	: >app.log && printf "x after truncation error\n" >>app.log &&
	code-logscan --state s.json app.log >out 2>err &&
	test_grep "truncated or rewritten" err &&
	jq -c "[.line, .text]" out >got &&
	echo "[1,\"x after truncation error\"]" >want && test_cmp want got
'

test_expect_success 'a rotated file that is gone is a warning, and the new file is read' '
	printf "8 unseen error\n" >>app.log && mv app.log gone.log &&
	printf "fresh error\n" >app.log && rm gone.log &&
	code-logscan --state s.json app.log >out 2>err &&
	test_grep "rotated and the old file is gone" err &&
	test "$(jq -r .text out)" = "fresh error"
'

test_expect_success 'compressed rotated logs are read once' '
	printf "z error\n" | zstd -q -o old.log.zst &&
	code-logscan --count --state s.json old.log.zst >out &&
	test "$(matched out)" = 1 &&
	test_expect_code 1 code-logscan --count --state s.json old.log.zst >out &&
	test "$(matched out)" = 0
'

test_expect_success 'another run holding the state lock: exit 75, state untouched' '
	cp s.json before.json &&
	printf "9 error\n" >>app.log &&
	test_expect_code 75 flock s.json.lock code-logscan --state s.json app.log >out 2>err &&
	test_grep "locked by another run" err &&
	test_must_be_empty out &&
	test_cmp before.json s.json
'

test_expect_success 'a malformed state file is 65 with its location' '
	echo "{\"version\":1,\"files\":[" >bad.json &&
	test_expect_code 65 code-logscan --state bad.json app.log >out 2>err &&
	test_grep "bad.json:" err
'

# Started in the background, the tool is run directly (not through the
# test wrapper function), so $! is its own pid and signals reach it.
logscan_bin="$top_builddir/code-logscan"

# wait_lines N FILE: waits up to 10 s for FILE to have N lines.
wait_lines() {
	for _ in $(seq 200); do
		[ "$(wc -l <"$2")" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $1 lines in $2:" >&2
	cat "$2" >&2
	return 1
}

test_expect_success '--follow: appends, rotation and truncation, then SIGTERM is exit 130' '
	printf "a error\n" >f.log &&
	{ CODE_LOGSCAN_POLL_MS=20 "$logscan_bin" --follow --format text f.log >fout 2>ferr &
	  echo $! >pid; } &&
	wait_lines 1 fout &&
	printf "b error\n" >>f.log && wait_lines 2 fout &&
	printf "c partial error" >>f.log && sleep 0.2 &&
	test "$(wc -l <fout)" = 2 &&
	printf " done\n" >>f.log && wait_lines 3 fout &&
	exec 7>>f.log && mv f.log f.log.1 &&
	printf "d late error\n" >&7 && exec 7>&- &&
	printf "e new error in the new file\n" >f.log && wait_lines 5 fout &&
	: >f.log && printf "f trunc error\n" >>f.log && wait_lines 6 fout &&
	kill -TERM "$(cat pid)" &&
	{ wait "$(cat pid)"; echo $? >rc; } &&
	cat >want <<-\W &&
	1:a error
	2:b error
	3:c partial error done
	4:d late error
	1:e new error in the new file
	1:f trunc error
	W
	test_cmp want fout &&
	test "$(cat rc)" = 130 &&
	test_grep "has been replaced" ferr && test_grep "truncated" ferr
'

test_expect_success '--follow --count prints the counts when stopped, and --state keeps the place' '
	printf "1 error\n" >g.log &&
	{ CODE_LOGSCAN_POLL_MS=20 "$logscan_bin" --follow --count --state g.json g.log >gout &
	  echo $! >pid; } &&
	sleep 0.3 && printf "2 error\n" >>g.log && sleep 0.3 &&
	kill -TERM "$(cat pid)" &&
	{ wait "$(cat pid)"; echo $? >rc; } &&
	test "$(cat rc)" = 130 &&
	test "$(matched gout)" = 2 &&
	test "$(jq -r ".files[\"g.log\"].line" g.json)" = 2
'

test_expect_success '--follow on a pipe alone ends at its end, like tail -f' '
	printf "p error\n" | code-logscan --follow --format text >out &&
	echo "1:p error" >want && test_cmp want out
'

test_done
