#!/bin/sh
# check.sh SERVICE TARGET: healthy when the release file is there.
test -s "hosts/$2/$1"
