#!/bin/sh
# demo.sh: the main job on bundled sample data, with the tools built so
# far: code-plan on the sample manifest (the plan for people, then the
# NDJSON records code-deploy reads), then code-logscan on the sample logs.
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

logscan=${CODE_LOGSCAN:-$(dirname "$plan")/code-logscan}
if [ -x "$logscan" ]; then
	cd "$srcdir/tests/data/logscan/sample"
	echo
	echo "code-logscan on tests/data/logscan/sample: the lines with error, exception, failed or timeout,"
	echo
	"$logscan" --format text app.log || true
	echo
	echo "how many per pattern and file,"
	echo
	"$logscan" --count --format text app.log syslog.log || true
	echo
	echo "and the HTTP patterns of patterns.yaml by minute, as Prometheus reads them:"
	echo
	"$logscan" -f patterns.yaml --set http --aggregate pattern,window:1m --format prom access.log || true
fi
