#!/bin/bash
# run-examples.sh MANPAGE DATADIR: runs the command lines of a man page's
# EXAMPLES section in a copy of DATADIR. A line whose pipeline names a
# command that is not installed is skipped (and said so); an example may
# exit 0, 1 or 2 (the documented answers), never a failure code (>= 3).
set -u
man=$1
data=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/code-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -d "$data" ] && cp -R "$data/." "$work/"
cd "$work" || exit 1

# Literal displays inside EXAMPLES, with mdoc escapes undone and
# backslash-continued lines joined.
sed -n '/^\.Sh EXAMPLES/,/^\.Sh [^E]/p' "$man" |
	sed -n '/^\.Bd/,/^\.Ed/p' | grep -v '^\.[BE]d' | grep -v '^\.\\"' |
	sed -e 's/\\e/\\/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\-/-/g' -e 's/\\&//g' |
	sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' >"$work/.examples"

ran=0
failed=0
while IFS= read -r line; do
	case $line in ''|'#'*) continue ;; esac
	missing=""
	# Command words: the first word and each word after |, ;, && or ||.
	# Quoted text is blanked first: a '|' inside a jq filter is no pipe.
	for word in $(printf '%s\n' "$line" | sed -E "s/'[^']*'/Q/g; s/\"[^\"]*\"/Q/g" |
			sed -E 's/(\|\||&&|[|;])/\n/g' |
			awk '{ for (i = 1; i <= NF; i++) if ($i !~ /=/) { print $i; break } }'); do
		command -v "$word" >/dev/null 2>&1 || missing="$missing $word"
	done
	if [ -n "$missing" ]; then
		echo "# skipped (not installed:$missing): $line"
		continue
	fi
	ran=$((ran + 1))
	bash -c "$line" >"$work/.out" 2>"$work/.err" </dev/null
	status=$?
	if [ "$status" -ge 3 ]; then
		echo "example failed (exit $status): $line" >&2
		cat "$work/.err" >&2
		failed=$((failed + 1))
	fi
done <"$work/.examples"
echo "# $ran examples ran, $failed failed"
[ "$ran" -gt 0 ] && [ "$failed" -eq 0 ]
