#!/bin/bash
# 0001-strategies.sh: placeholder until written.
. "$top_srcdir/tests/lib/test-lib.sh"
test_done
