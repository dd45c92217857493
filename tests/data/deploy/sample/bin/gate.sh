#!/bin/sh
# gate.sh SERVICE WEIGHT: a canary gate; a real one runs code-logscan or code-bench --slo.
echo "gate for $1 at $2%: ok"
