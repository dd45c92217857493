#!/bin/sh
# logscan.sh: code-logscan --count against ripgrep and GNU grep on a generated log.
#
#   cd BUILDDIR && ../scripts/bench/logscan.sh [MEGABYTES]     (default 1024)
#
# Generates MEGABYTES of `TIMESTAMP LEVEL message` lines (ISO 8601 stamps,
# INFO/DEBUG/WARN/ERROR, messages of 60-200 bytes, about 3% of the lines
# holding error, exception, failed or timeout in mixed case, some two) with
# scripts/bench/logscan-gen.c, compiled here, and keeps the file as
# $TMPDIR/code-bench-logscan-MEGABYTES.log for the next run (delete it after
# changing the generator).  Then, from a warm page cache, times
#   code-logscan --count LOG                      (all four, one pass)
#   rg -c -i -e error -e exception -e failed -e timeout LOG
#   grep -c -i -E 'error|exception|failed|timeout' LOG
#   rg -c -i WORD LOG, once per word              (the per-pattern way)
# with hyperfine when it is installed, else best of 3, every output going
# to a pipe (GNU grep stops at the first match when stdout is /dev/null).
# Before timing, the counts must agree: code-logscan's total "matched"
# with rg's and grep's, and its count records with the four rg -c; the
# script exits 1 when they do not.  CODE_LOGSCAN names the binary (default
# ./code-logscan); when it is missing, only the peers run.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mb=${1:-1024}
bin=${CODE_LOGSCAN:-./code-logscan}
tmp=${TMPDIR:-/tmp}
log=$tmp/code-bench-logscan-$mb.log
words="error exception failed timeout"
cc=${CC:-cc}

die() {
	echo "logscan.sh: $*" >&2
	exit 1
}

case $mb in
'' | *[!0-9]* | 0) die "MEGABYTES must be a positive integer, not '$mb'" ;;
esac
# hyperfine splits its commands like a shell: keep the path plain.
case $log in
*[!A-Za-z0-9/._+-]*) die "TMPDIR must be a plain path for hyperfine: $tmp" ;;
esac
work=$(mktemp -d "$tmp/bench-logscan.XXXXXX")
trap 'rm -rf "$work" "$log.tmp.$$"' EXIT
trap 'exit 130' INT TERM

if [ -s "$log" ]; then
	echo "input: reusing $log"
else
	echo "input: generating $log ($mb MiB)"
	$cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -o "$work/gen" \
		"$top/scripts/bench/logscan-gen.c"
	# Renamed into place only when whole, so an interrupted run leaves no cache.
	"$work/gen" "$mb" >"$log.tmp.$$" || die "generator failed"
	mv "$log.tmp.$$" "$log"
fi

have_bin=1
if [ -x "$bin" ]; then
	case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
	command -v jq >/dev/null 2>&1 || die "jq is needed to read code-logscan's counts"
else
	have_bin=0
	echo "logscan.sh: $bin is missing (build it, or set CODE_LOGSCAN):" \
		"skipping code-logscan and its count checks" >&2
fi
# The per-pattern way and the per-word counts: rg, or grep without it.
if command -v rg >/dev/null 2>&1; then
	have_rg=1
	one="rg -c -i"
else
	have_rg=0
	one="grep -c -i"
	echo "logscan.sh: rg is not installed: the per-pattern way uses grep" >&2
fi

# Warms the page cache; the timed runs read from memory.
cat "$log" >/dev/null
bytes=$(wc -c <"$log")
lines=$(wc -l <"$log")

# A count printed by a -c run; no output (rg with no match) is 0.
count() {
	c=$("$@" | cat) || true
	echo "${c:-0}"
}

echo "checking counts..."
grep_any=$(count grep -c -i -E 'error|exception|failed|timeout' "$log")
any=$grep_any
if [ $have_rg = 1 ]; then
	rg_any=$(count rg -c -i -e error -e exception -e failed -e timeout "$log")
	[ "$rg_any" = "$grep_any" ] ||
		die "rg and grep disagree: rg $rg_any lines, grep $grep_any lines"
fi
for w in $words; do
	# shellcheck disable=SC2086 # $one is a command and its options
	echo "$w $(count $one "$w" "$log")"
done >"$work/peer-words"
awk -v b="$bytes" -v l="$lines" -v m="$any" 'BEGIN {
	printf "input: %d bytes, %d lines, %d matching (%.2f%%)\n", b, l, m, 100 * m / l }'
awk -v one="$one" '{ s = s (NR > 1 ? ", " : "") $1 " " $2 }
	END { print "per pattern (" one "): " s }' "$work/peer-words"

if [ $have_bin = 1 ]; then
	st=0
	"$bin" --count "$log" >"$work/count.ndjson" || st=$?
	[ $st -le 1 ] || die "code-logscan --count exited $st"
	got=$(jq -r 'select(.type == "total") | .matched' "$work/count.ndjson")
	bad=0
	if [ "$got" != "$any" ]; then
		echo "logscan.sh: code-logscan matched $got lines, grep and rg $any" >&2
		bad=1
	fi
	for w in $words; do
		got=$(jq -r --arg p "$w" \
			'select(.type == "count" and .pattern == $p) | .lines' \
			"$work/count.ndjson" | awk '{ s += $1 } END { print s + 0 }')
		want=$(awk -v w="$w" '$1 == w { print $2 }' "$work/peer-words")
		if [ "$got" != "$want" ]; then
			echo "logscan.sh: pattern '$w': code-logscan $got lines, $one $want" >&2
			bad=1
		fi
	done
	[ $bad = 0 ] || die "counts disagree; not timing"
	echo "counts agree: code-logscan matched $any lines, per pattern as above"
fi

# The commands, as NAME|COMMAND lines, in the order of the results.
four="sh -c 'for w in $words; do $one \$w $log; done'"
{
	[ $have_bin = 0 ] || echo "code-logscan --count|$bin --count $log"
	[ $have_rg = 0 ] ||
		echo "rg -c -i (4 -e)|rg -c -i -e error -e exception -e failed -e timeout $log"
	echo "grep -c -i -E|grep -c -i -E 'error|exception|failed|timeout' $log"
	echo "$one WORD (x4)|$four"
} >"$work/cmds"

if command -v hyperfine >/dev/null 2>&1; then
	set --
	while IFS='|' read -r name cmd; do
		set -- "$@" -n "$name" "$cmd"
	done <"$work/cmds"
	# IFS='|' above split only at the first '|': grep's alternation survives.
	hyperfine -N --warmup 2 --runs 5 --output=pipe --export-json "$work/h.json" "$@" >&2
	jq -r '.results[] | "\(.mean) \(.stddev // 0)"' "$work/h.json" >"$work/times"
else
	echo "logscan.sh: hyperfine is not installed: best of 3 wall-clock runs" >&2
	: >"$work/times"
	while IFS='|' read -r name cmd; do
		b=
		for _ in 1 2 3; do
			s=$(date +%s.%N)
			sh -c "$cmd" | cat >/dev/null
			e=$(date +%s.%N)
			b=$(awk -v s="$s" -v e="$e" -v b="$b" 'BEGIN {
				t = e - s; print (b == "" || t < b + 0) ? t : b }')
		done
		echo "$b -" >>"$work/times"
	done <"$work/cmds"
fi

cut -d'|' -f1 "$work/cmds" | paste -d'|' - "$work/times" |
	awk -F'|' -v bytes="$bytes" -v have_bin=$have_bin '
	{
		split($2, t, " ")
		name[NR] = $1; mean[NR] = t[1]; sd[NR] = t[2]
		printf "%-28s %8.3f s %-10s %6.2f GB/s\n", $1, t[1],
		    t[2] == "-" ? "(best)" : sprintf("± %.3f", t[2]), bytes / t[1] / 1e9
	}
	END {
		# Rows: [code-logscan], [rg], grep, four-run; the peers are the middle ones.
		first = have_bin ? 2 : 1
		best = 0
		for (i = first; i < NR; i++)
			if (!best || mean[i] < mean[best])
				best = i
		if (!have_bin) {
			printf "fastest any-match count: %s\n", name[best]
			exit
		}
		r1 = mean[best] / mean[1]; r4 = mean[NR] / mean[1]
		printf "code-logscan vs %s (the faster peer): %.2fx\n", name[best], r1
		printf "code-logscan vs %s: %.2fx\n", name[NR], r4
		printf "goal >= 1.0x the faster peer (stretch 1.5x): %s; >= 3x the four-run way: %s\n",
		    (r1 >= 1.5 ? "met, stretch met" : r1 >= 1.0 ? "met" : "NOT met"),
		    (r4 >= 3 ? "met" : "NOT met")
	}'
