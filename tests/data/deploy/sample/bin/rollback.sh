#!/bin/sh
# rollback.sh SERVICE TARGET: puts the previous release back.
set -e
mkdir -p "hosts/$2"
echo "rolling back $1 on $2"
echo v1 >"hosts/$2/$1"
