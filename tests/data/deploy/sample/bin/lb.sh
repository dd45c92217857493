#!/bin/sh
# lb.sh SERVICE WEIGHT|blue|green: records where traffic goes.
mkdir -p lb
echo "$2" >"lb/$1"
echo "traffic for $1: $2"
