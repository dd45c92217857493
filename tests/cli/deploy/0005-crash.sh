#!/bin/bash
# 0005-crash.sh: placeholder until written.
. "$top_srcdir/tests/lib/test-lib.sh"
test_done
