#!/bin/bash
# 0002-cases.sh: data-driven code-plan cases, one directory each under
# tests/data/plan/cases/NAME/ holding:
#   manifest.yaml   the input (any other files the case needs sit beside it)
#   args            optional: arguments, one per line (default: manifest.yaml)
#   exit            the expected exit status
#   out             optional: the exact expected stdout
#   err             optional: the exact expected stderr
#   err.grep        optional: patterns (one a line) stderr must match
. "$top_srcdir/tests/lib/test-lib.sh"

for case_dir in "$TEST_DATA"/plan/cases/*/; do
	name=$(basename "$case_dir")
	test_expect_success "case $name: $(head -n 1 "$case_dir/exit" | cut -d' ' -f2-)" '
		rm -rf "$TEST_DIR/case" && cp -R "$case_dir" "$TEST_DIR/case" &&
		cd "$TEST_DIR/case" &&
		if [ -f args ]; then mapfile -t argv <args; else argv=(manifest.yaml); fi &&
		want=$(head -n 1 exit | cut -d" " -f1) &&
		{ code-plan "${argv[@]}" >actual.out 2>actual.err; got=$?; true; } &&
		{ [ "$got" = "$want" ] || { echo "exit $got, want $want"; cat actual.err; false; }; } &&
		{ [ ! -f out ] || test_cmp out actual.out; } &&
		{ [ ! -f err ] || test_cmp err actual.err; } &&
		{ [ ! -f err.grep ] || while IFS= read -r pat; do test_grep "$pat" actual.err || exit 1; done <err.grep; }
	'
done
test_done
