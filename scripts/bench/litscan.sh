#!/bin/sh
# litscan.sh: the SIMD literal prefilter against grep and ripgrep, counting lines.
#
#   scripts/bench/litscan.sh [MEGABYTES]     (default 256)
#
# Generates MEGABYTES of `TIMESTAMP LEVEL message` log lines, about 2% of
# them holding error/exception/failed/timeout in random case, compiles
# scripts/bench/litscan-bench.c by hand against simd/litscan.c (it is not
# part of the build), and counts matching lines case-insensitively with the
# scalar path, the AVX2 path, GNU grep and ripgrep (when installed).  The
# litscan lines "in memory" time the count alone over a mapped file; the
# others, like grep's, the whole process from a warm page cache.  Every tool
# writes to a pipe: GNU grep stops at the first match on /dev/null.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mb=${1:-256}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-litscan.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc=${CC:-cc}

$cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$top" \
	-o "$work/bench" "$top/scripts/bench/litscan-bench.c" \
	"$top/simd/litscan.c" "$top/libcommon/xalloc.c" \
	"$top/libcommon/diag.c" "$top/libcommon/strbuf.c"

awk -v mb="$mb" 'BEGIN {
	srand(7)
	split("error timeout exception failed", bad, " ")
	split("INFO INFO INFO DEBUG WARN", lvl, " ")
	split("request ok|cache hit|user login|GET /api/v1/items 200|connection reused|job done|sent 512 bytes|health check passed", msg, "|")
	limit = mb * 1024 * 1024; size = 0; n = 0
	while (size < limit) {
		s = sprintf("2026-11-23T10:%02d:%02d.%03dZ %s %s id=%d", n / 60000 % 60,
			    n / 1000 % 60, n % 1000, lvl[int(rand() * 5) + 1],
			    msg[int(rand() * 8) + 1], int(rand() * 1000000))
		if (rand() < 0.02) {
			w = bad[int(rand() * 4) + 1]; v = ""
			for (i = 1; i <= length(w); i++) {
				c = substr(w, i, 1)
				v = v (rand() < 0.3 ? toupper(c) : c)
			}
			s = s " " v " talking to upstream"
		}
		print s; size += length(s) + 1; n++
	}
}' > "$work/log"
bytes=$(wc -c < "$work/log")
echo "input: $bytes bytes, $(wc -l < "$work/log") lines"

# Best of 3 wall-clock runs of a command (after its LABEL), output piped
# through cat.
best() {
	label=$1; shift
	b=
	for i in 1 2 3; do
		s=$(date +%s.%N)
		out=$("$@" | cat)
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	printf '%-40s count %-9s %6.3f s  %5.2f GB/s\n' "$label" "$out" "$b" \
		"$(echo "$bytes / $b / 1000000000" | bc -l)"
}

cat "$work/log" > /dev/null
for path in scalar auto; do
	if [ $path = scalar ]; then r=$(CODE_SIMD=scalar "$work/bench" "$work/log");
	else r=$("$work/bench" "$work/log"); fi
	set -- $r
	printf '%-40s count %-9s %6.3f s  %5.2f GB/s (in memory)\n' \
		"litscan $1" "$2" "$3" "$4"
done
best "litscan avx2 (whole process)" "$work/bench" "$work/log" 0
best "grep -c -i -E" grep -c -i -E 'error|exception|failed|timeout' "$work/log"
if command -v rg > /dev/null; then
	best "rg -c -i (4 -e)" rg -c -i -e error -e exception -e failed -e timeout "$work/log"
	best "rg -c -i -j1 (4 -e)" rg -c -i -j1 -e error -e exception -e failed -e timeout "$work/log"
fi
