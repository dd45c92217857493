#!/bin/bash
# 0002-failure.sh: placeholder until written.
. "$top_srcdir/tests/lib/test-lib.sh"
test_done
