#!/bin/bash
# 0001-meta.sh: every tool answers -h and -V, and its --help, man page and
# completions list the same options.
. "$top_srcdir/tests/lib/test-lib.sh"

for bin in "$top_builddir"/code-*; do
	[ -x "$bin" ] || continue
	tool=${bin##*/}
	man="$top_srcdir/man/man1/$tool.1"

	test_expect_success "$tool -h prints usage to stdout and exits 0" '
		$tool -h >out 2>err && test_grep "^Usage: $tool" out && test_must_be_empty err
	'
	test_expect_success "$tool -V prints '$tool (code-tools) X.Y.Z'" '
		$tool -V >out && grep -Eq "^$tool \(code-tools\) [0-9]+\.[0-9]+\.[0-9]+$" out
	'
	test_expect_success "$tool with a bad option exits 64 with a hint" '
		test_expect_code 64 $tool --no-such-option >out 2>err &&
		test_must_be_empty out && test_grep "Try .$tool --help." err
	'
	$tool --help | grep -Eo -- "--[a-z][a-z-]+" | sort -u >"$TEST_DIR/$tool.opts"
	test_expect_success "$tool: the man page documents every option in --help" '
		test -f "$man" &&
		while read -r opt; do
			grep -q -- "${opt#--}" "$man" || { echo "missing in man page: $opt"; exit 1; }
		done <"$TEST_DIR/$tool.opts"
	'
	test_expect_success "$tool: completions know every option" '
		for c in "$top_srcdir/completions/$tool.bash" "$top_srcdir/completions/_$tool" \
			 "$top_srcdir/completions/$tool.fish"; do
			test -f "$c" || { echo "missing $c"; exit 1; }
			while read -r opt; do
				grep -q -- "${opt#--}" "$c" || { echo "missing in $c: $opt"; exit 1; }
			done <"$TEST_DIR/$tool.opts"
		done
	'
	if command -v mandoc >/dev/null 2>&1; then
		test_expect_success "$tool: the man page is lint-clean" '
			mandoc -Tlint -W warning "$man" >lint 2>&1; test_must_be_empty lint
		'
	else
		test_skip "$tool: the man page is lint-clean" "mandoc is not installed"
	fi
	test_expect_success "$tool: the man page EXAMPLES run" '
		bash "$top_srcdir/tests/lib/run-examples.sh" "$man" "$TEST_DATA/${tool#code-}/sample"
	'
done
test_done
