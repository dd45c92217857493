# test-lib.sh: sourced by every CLI test; TAP output in the style of git's t/.
#
#   . "$top_srcdir/tests/lib/test-lib.sh"
#   test_expect_success 'what a user would observe' '
#       code-plan m.yaml >out &&
#       test_cmp expected out
#   '
#   test_done
#
# Each test script runs in its own empty directory ($TEST_DIR), removed at
# the end unless a test failed (then its path is printed). Tools are the
# ones just built; under `make check-valgrind` each runs under valgrind.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
TEST_DATA="$top_srcdir/tests/data"
PATH="$top_builddir:$PATH"
export PATH LC_ALL=C TZ=UTC NO_COLOR=1
unset CODE_STATE_DIR CODE_CACHE_DIR XDG_STATE_HOME XDG_CACHE_HOME CODE_CACHE_REDIS

test_count=0
test_failures=0
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/code-test.XXXXXX")
HOME="$TEST_DIR/home"
mkdir -p "$HOME"
export HOME
cd "$TEST_DIR" || exit 1

# Wrap each built tool so tests call it by name, under valgrind if asked.
for test_tool in "$top_builddir"/code-*; do
	[ -x "$test_tool" ] || continue
	test_name=${test_tool##*/}
	if [ -n "${CODE_VALGRIND:-}" ]; then
		eval "$test_name() { valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \"$test_tool\" \"\$@\"; }"
	else
		eval "$test_name() { \"$test_tool\" \"\$@\"; }"
	fi
done

test_expect_success() {
	test_count=$((test_count + 1))
	# Traced to a file of its own (fd 9, so no redirection of stderr in the
	# test catches it): a failure then shows the command that failed even
	# when that command printed nothing.
	if (exec 9>"$TEST_DIR/.trace"; BASH_XTRACEFD=9; set -x; eval "$2") \
		>"$TEST_DIR/.log" 2>&1; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TEST_DIR/.log"
		echo "#   trace:"
		sed 's/^/#   /' "$TEST_DIR/.trace"
		test_failures=$((test_failures + 1))
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_expect_code CODE CMD...: runs CMD and fails unless it exits CODE.
test_expect_code() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" != "$want" ]; then
		echo "command exited $got, expected $want: $*" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	diff -u "$1" "$2"
}

# test_grep PATTERN FILE: like grep, but shows the file when it fails.
test_grep() {
	if ! grep -q -e "$1" "$2"; then
		echo "no line matching '$1' in $2:" >&2
		cat "$2" >&2
		return 1
	fi
}

test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "'$1' is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}

test_done() {
	echo "1..$test_count"
	cd / || true
	if [ "$test_failures" -eq 0 ]; then
		rm -rf "$TEST_DIR"
		exit 0
	fi
	echo "# $test_failures failed; files kept in $TEST_DIR"
	exit 1
}
