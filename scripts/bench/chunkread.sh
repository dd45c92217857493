#!/bin/sh
# chunkread.sh: libcommon/chunkread throughput, pread against io_uring, per read size.
#
#   scripts/bench/chunkread.sh [MEGABYTES [REPS [cold]]]    (default 1024 3)
#
# Generates MEGABYTES of log lines, compiles scripts/bench/chunkread-bench.c
# by hand against libcommon (it is not part of the build), and counts the
# '\n' of the file through chunkread with each io mode and 64K, 256K and 1M
# reads, printing the best GB/s of REPS runs. Warm by default; "cold" drops
# the file (only it) from the page cache before each run.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
mb=${1:-1024}
reps=${2:-3}
mode=${3:-warm}
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-chunkread.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc=${CC:-cc}

$cc -O3 -march=native -I"$top" -o "$work/bench" "$top/scripts/bench/chunkread-bench.c" \
	"$top/libcommon/chunkread.c" "$top/libcommon/input.c" \
	"$top/libcommon/diag.c" "$top/libcommon/xalloc.c" \
	"$top/libcommon/units.c" "$top/libcommon/strbuf.c" -luring -lzstd

awk -v mb="$mb" 'BEGIN {
	srand(7)
	split("INFO INFO INFO DEBUG WARN ERROR", lvl, " ")
	split("request ok|cache hit|user login|GET /api/v1/items 200|connection reused|job done|sent 512 bytes|upstream timeout after 30s", msg, "|")
	n = 0
	while (n < mb * 1048576) {
		line = sprintf("2026-11-23T11:%02d:%02d.%03dZ %s %s id=%d", int(rand() * 60), int(rand() * 60), int(rand() * 1000), lvl[int(rand() * 6) + 1], msg[int(rand() * 8) + 1], int(rand() * 1000000))
		print line
		n += length(line) + 1
	}
}' >"$work/log"
cat "$work/log" >/dev/null
"$work/bench" "$work/log" "$reps" "$mode"
