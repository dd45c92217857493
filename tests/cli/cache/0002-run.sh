#!/bin/bash
# 0002-run.sh: code-cache run memoises a command: stdout, stderr, exit status and output files.
. "$top_srcdir/tests/lib/test-lib.sh"

C="code-cache --dir $TEST_DIR/c"

write_step() {
	mkdir -p src &&
	echo "int main(void) { return 0; }" >src/main.c &&
	cat >step.sh <<-\S &&
	#!/bin/sh
	echo "built at $(date +%s%N)" >>runs.log
	echo "compiling"
	echo "warning: something" >&2
	mkdir -p out && cat src/main.c >out/app && chmod 751 out/app
	printf "\0binary\0" >out/data.bin
	S
	chmod +x step.sh
}

test_expect_success 'a miss runs the command and shows its output' '
	write_step &&
	$C run --input src --output out/app --output out/data.bin -- ./step.sh >o1 2>e1 &&
	echo compiling >want && test_cmp want o1 &&
	echo "warning: something" >want && test_cmp want e1 &&
	test "$(wc -l <runs.log)" = 1
'

test_expect_success 'a hit replays stdout, stderr and the files, without running' '
	rm -rf out &&
	$C run --input src --output out/app --output out/data.bin -- ./step.sh >o2 2>e2 &&
	test_cmp o1 o2 && test_cmp e1 e2 &&
	test "$(wc -l <runs.log)" = 1 &&
	cmp src/main.c out/app && test "$(stat -c %a out/app)" = 751 &&
	printf "\0binary\0" >want && cmp want out/data.bin
'

test_expect_success 'a changed input, argument or output list is another entry' '
	echo "/* changed */" >>src/main.c &&
	$C run --input src --output out/app --output out/data.bin -- ./step.sh >/dev/null 2>&1 &&
	test "$(wc -l <runs.log)" = 2 &&
	$C run --input src --output out/app --output out/data.bin -- ./step.sh extra >/dev/null 2>&1 &&
	test "$(wc -l <runs.log)" = 3 &&
	$C run --input src --output out/app -- ./step.sh >/dev/null 2>&1 &&
	test "$(wc -l <runs.log)" = 4
'

test_expect_success '--env: the named variable'"'"'s value is part of the key' '
	FLAVOUR=a $C run --env FLAVOUR -- sh -c "echo \$FLAVOUR; echo x >>env.log" >o &&
	FLAVOUR=a $C run --env FLAVOUR -- sh -c "echo \$FLAVOUR; echo x >>env.log" >o &&
	test "$(wc -l <env.log)" = 1 &&
	FLAVOUR=b $C run --env FLAVOUR -- sh -c "echo \$FLAVOUR; echo x >>env.log" >o &&
	test "$(wc -l <env.log)" = 2 && echo b >want && test_cmp want o
'

test_expect_success 'piped stdin is part of the key and reaches the command' '
	echo one | $C run -- sh -c "cat; echo x >>stdin.log" >o &&
	echo one >want && test_cmp want o &&
	echo one | $C run -- sh -c "cat; echo x >>stdin.log" >o &&
	test "$(wc -l <stdin.log)" = 1 &&
	echo two | $C run -- sh -c "cat; echo x >>stdin.log" >o &&
	echo two >want && test_cmp want o && test "$(wc -l <stdin.log)" = 2
'

test_expect_success 'a failing command is not cached and its status comes back' '
	test_expect_code 3 $C run -- sh -c "echo x >>fail.log; exit 3" &&
	test_expect_code 3 $C run -- sh -c "echo x >>fail.log; exit 3" &&
	test "$(wc -l <fail.log)" = 2
'

test_expect_success 'a missing program is 66; a missing --output is not cached' '
	test_expect_code 66 $C run -- /nonexistent/prog 2>err &&
	test_grep "cannot run" err &&
	$C run --output never.txt -- sh -c "echo x >>noout.log" 2>err &&
	test_grep "did not write" err &&
	$C run --output never.txt -- sh -c "echo x >>noout.log" 2>err &&
	test "$(wc -l <noout.log)" = 2
'

test_expect_success 'no lock is held while the command runs: another process uses the cache meanwhile' '
	$C run -- sh -c "sleep 1; echo slow" >slow.out &
	sleep 0.3 &&
	echo v | $C put during && $C get during >o && echo v >want && test_cmp want o &&
	wait && echo slow >want && test_cmp want slow.out
'

test_done
