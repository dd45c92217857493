#!/bin/sh
# cache.sh: code-cache batch throughput against the seeds' figures, and a
# `code-cache run` hit against a `ccache gcc` hit on the same compile.
#
#   cd BUILDDIR && ../scripts/bench/cache.sh [N] [RUNS]    (default 100000 5)
#
# (1) batch: generates N puts and N gets of distinct keys with 100-byte
# values, as NDJSON requests, then takes the best of RUNS wall-clock runs of
#   code-cache --dir DIR batch <puts.ndjson >/dev/null    (a fresh DIR each run)
#   code-cache --dir DIR batch <gets.ndjson >/dev/null    (DIR holding the N)
# (whole process: start, parse, store, answer, exit, as the seeds measured).
# Before timing, one run's answers are checked: every put answered ok and
# every get answered hit with its own value; the script exits 1 otherwise.
# Prints puts/s and gets/s and their ratios to the seeds' Rust figures,
# 126,394 puts/s and 208,253 gets/s; the goal is >= 2x both.
#
# (2) run: compiles a C file once through `code-cache run` and once through
# `ccache gcc`, checks that the next run of each is a hit, then times the
# hits with hyperfine when installed (-N, warmup, no prepare step), else
# best of RUNS.  The goal is code-cache <= 1.0x ccache's time.  Skipped,
# with a message, when ccache or gcc is not installed.
#
# CODE_CACHE names the binary (default ./code-cache); when it is missing,
# the script says so and exits 0 without timing anything.
set -eu
n=${1:-100000}
runs=${2:-5}
bin=${CODE_CACHE:-./code-cache}
tmp=${TMPDIR:-/tmp}
seed_gets=208253
seed_puts=126394

die() {
	echo "cache.sh: $*" >&2
	exit 1
}

case $n in
'' | *[!0-9]* | 0) die "N must be a positive integer, not '$n'" ;;
esac
case $runs in
'' | *[!0-9]* | 0) die "RUNS must be a positive integer, not '$runs'" ;;
esac
if [ ! -x "$bin" ]; then
	echo "cache.sh: $bin is missing (build it, or set CODE_CACHE): skipping" >&2
	exit 0
fi
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
# hyperfine -N splits its commands like a shell: keep the paths plain.
case $tmp$bin in
*[!A-Za-z0-9/._+-]*) die "TMPDIR and the binary's path must be plain paths: $tmp, $bin" ;;
esac
work=$(mktemp -d "$tmp/bench-cache.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Seconds since the epoch, with nanoseconds.
now() {
	date +%s.%N
}

# best_of RUNS PREPARE CMD: the best wall-clock time of CMD (a shell
# command line), running PREPARE (untimed) before each run.
best_of() {
	_b=
	for _ in $(seq "$1"); do
		sh -c "$2"
		_s=$(now)
		sh -c "$3"
		_e=$(now)
		_b=$(awk -v s="$_s" -v e="$_e" -v b="$_b" 'BEGIN {
			t = e - s; print (b == "" || t < b + 0) ? t : b }')
	done
	echo "$_b"
}

# ---------------------------------------------------------------- (1) batch
echo "batch: generating $n puts and $n gets (100-byte values)"
# Key i is "bench-key-i"; its value is "i-" and the index's digits, then
# a slice of a fixed random text, 100 bytes in all: distinct values that
# need no JSON escaping, cheap to recompute when checking.
awk -v n="$n" -v puts="$work/puts.ndjson" -v gets="$work/gets.ndjson" \
    -v want="$work/want.txt" 'BEGIN {
	srand(7)
	abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for (i = 0; i < 400; i++)
		text = text substr(abc, int(rand() * 62) + 1, 1)
	for (i = 0; i < n; i++) {
		head = sprintf("%d-", i)
		v = head substr(text, (i * 37) % 300 + 1, 100 - length(head))
		printf "{\"op\":\"put\",\"key\":\"bench-key-%d\",\"value\":\"%s\"}\n", i, v > puts
		printf "{\"op\":\"get\",\"key\":\"bench-key-%d\"}\n", i > gets
		printf "bench-key-%d %s\n", i, v > want
	}
}'

# Checks one run's answers: every put ok, every get a hit with its value,
# whatever the order of the fields in an answer.
dir=$work/batch-check
"$bin" -q --dir "$dir" batch <"$work/puts.ndjson" >"$work/put-answers.ndjson" ||
	die "batch of puts exited $?"
"$bin" -q --dir "$dir" batch <"$work/gets.ndjson" >"$work/get-answers.ndjson" ||
	die "batch of gets exited $?"
awk -v n="$n" '
	function field(name,    s) {
		if (!match($0, "\"" name "\":(\"[^\"]*\"|true|false)"))
			return ""
		s = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 3)
		gsub(/"/, "", s)
		return s
	}
	FILENAME ~ /want/ { key[FNR] = $1; val[FNR] = $2; next }
	FILENAME ~ /put-answers/ {
		puts++
		if (field("ok") != "true" || field("key") != key[FNR]) {
			if (bad++ < 5)
				printf "put answer %d is wrong: %s\n", FNR, $0 > "/dev/stderr"
		}
		next
	}
	{
		gets++
		if (field("hit") != "true" || field("key") != key[FNR] || field("value") != val[FNR]) {
			if (bad++ < 5)
				printf "get answer %d is wrong: %s\n", FNR, $0 > "/dev/stderr"
		}
	}
	END {
		if (puts != n || gets != n) {
			printf "%d put answers and %d get answers for %d requests each\n",
			    puts, gets, n > "/dev/stderr"
			exit 1
		}
		exit bad > 0
	}' "$work/want.txt" "$work/put-answers.ndjson" "$work/get-answers.ndjson" ||
	die "batch answers are wrong; not timing"
echo "batch answers agree: $n puts ok, $n gets hit with their own values"
rm -rf "$dir"

dir=$work/batch
echo "batch: timing, best of $runs"
tput=$(best_of "$runs" "rm -rf '$dir'" "'$bin' -q --dir '$dir' batch <'$work/puts.ndjson' >/dev/null")
tget=$(best_of "$runs" ":" "'$bin' -q --dir '$dir' batch <'$work/gets.ndjson' >/dev/null")
awk -v n="$n" -v tp="$tput" -v tg="$tget" -v sp="$seed_puts" -v sg="$seed_gets" 'BEGIN {
	p = n / tp; g = n / tg
	printf "batch puts: %9.0f /s  (%.3f s for %d)  %.2fx the seeds (%d /s)\n", p, tp, n, p / sp, sp
	printf "batch gets: %9.0f /s  (%.3f s for %d)  %.2fx the seeds (%d /s)\n", g, tg, n, g / sg, sg
	printf "goal >= 2x both: %s\n", (p >= 2 * sp && g >= 2 * sg) ? "met" : "NOT met"
}'

# ---------------------------------------------------------------- (2) run
if ! command -v ccache >/dev/null 2>&1; then
	echo "cache.sh: ccache is not installed: skipping the run-hit comparison" >&2
	exit 0
fi
gcc=$(command -v gcc) || {
	echo "cache.sh: gcc is not installed: skipping the run-hit comparison" >&2
	exit 0
}
ccache=$(command -v ccache)
src=$work/run
mkdir -p "$src"
# A compile step of a realistic size: a few hundred lines using libc headers.
awk 'BEGIN {
	print "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
	for (i = 0; i < 200; i++) {
		printf "int\nf%d(const char *s)\n{\n\tsize_t n = strlen(s);\n", i
		printf "\tchar *t = malloc(n + %d);\n\tif (t == NULL)\n\t\treturn -1;\n", i + 1
		printf "\tsnprintf(t, n + %d, \"%%s\", s);\n\tn = strlen(t) * %d;\n", i + 1, i
		printf "\tfree(t);\n\treturn (int)n;\n}\n\n"
	}
	print "int\nmain(int argc, char **argv)\n{\n\treturn argc > 1 ? f0(argv[1]) : 0;\n}"
}' >"$src/unit.c"
cd "$src"
CCACHE_DIR=$work/ccache-dir
export CCACHE_DIR
cc_cache="$bin -q --dir $work/run-cache run --input unit.c --output unit.o -- $gcc -O2 -c unit.c -o unit.o"
cc_ccache="$ccache $gcc -O2 -c unit.c -o unit.o"
# The first runs compile and store; the second must be hits.
$cc_cache
$cc_ccache
$bin -v --dir "$work/run-cache" run --input unit.c --output unit.o -- \
	"$gcc" -O2 -c unit.c -o unit.o 2>"$work/run-v.txt"
grep -q 'hit' "$work/run-v.txt" || die "the second code-cache run was not a hit: $(cat "$work/run-v.txt")"
"$ccache" -z >/dev/null
$cc_ccache
"$ccache" --print-stats 2>/dev/null | awk '
	$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { h += $2 }
	END { exit h > 0 ? 0 : 1 }' ||
	die "the second ccache run was not a hit"
echo "run: code-cache and ccache both hit on unit.c ($(wc -l <unit.c) lines)"

if command -v hyperfine >/dev/null 2>&1 && command -v jq >/dev/null 2>&1; then
	hyperfine -N --warmup 5 --runs 50 --export-json "$work/h.json" \
		-n "code-cache run (hit)" "$cc_cache" \
		-n "ccache gcc (hit)" "$cc_ccache" >&2
	jq -r '.results[] | "\(.mean) \(.min)"' "$work/h.json" >"$work/times"
	tc=$(awk 'NR == 1 { print $1 }' "$work/times")
	mc=$(awk 'NR == 1 { print $2 }' "$work/times")
	tk=$(awk 'NR == 2 { print $1 }' "$work/times")
	mk=$(awk 'NR == 2 { print $2 }' "$work/times")
	how="hyperfine mean"
else
	echo "cache.sh: hyperfine or jq is not installed: best of $runs" >&2
	tc=$(best_of "$runs" ":" "$cc_cache")
	tk=$(best_of "$runs" ":" "$cc_ccache")
	mc=$tc
	mk=$tk
	how="best of $runs"
fi
awk -v tc="$tc" -v tk="$tk" -v mc="$mc" -v mk="$mk" -v how="$how" 'BEGIN {
	printf "code-cache run hit: %7.2f ms (%s), min %.2f ms\n", tc * 1000, how, mc * 1000
	printf "ccache gcc hit:     %7.2f ms, min %.2f ms\n", tk * 1000, mk * 1000
	printf "code-cache / ccache: %.2fx; goal <= 1.0x: %s\n", tc / tk, tc <= tk ? "met" : "NOT met"
}'
