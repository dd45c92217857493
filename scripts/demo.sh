#!/bin/sh
# demo.sh: shows code-plan on the sample manifest: the plan for people, then
# the NDJSON records that code-deploy reads.
#
#   ./scripts/demo.sh      from the top of the build tree, after make
#                          (./scripts/setup.sh runs it for you)
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
plan=${CODE_PLAN:-./code-plan}
[ -x "$plan" ] || plan=$srcdir/code-plan
if [ ! -x "$plan" ]; then
	echo "demo.sh: no ./code-plan here: run me from the top of the build tree after 'make'" >&2
	exit 66
fi
plan=$(cd "$(dirname "$plan")" && pwd)/$(basename "$plan")

# Run in the sample directory: input patterns are relative to the manifest.
cd "$srcdir/tests/data/plan/sample"

echo "code-plan on tests/data/plan/sample/deploy.yaml: five services, three stages, nothing deployed yet."
echo
"$plan" --format text deploy.yaml
echo
echo "The same plan as NDJSON, one record a line, for code-deploy and jq:"
echo
"$plan" deploy.yaml
