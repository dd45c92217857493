#!/bin/bash
# 0003-safety.sh: placeholder until written.
. "$top_srcdir/tests/lib/test-lib.sh"
test_done
