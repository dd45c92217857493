#!/bin/sh
# deploy.sh SERVICE TARGET: "deploys" by writing the release into hosts/TARGET/SERVICE.
# FAIL_SERVICE=NAME makes that service's deployment fail (to see a rollback).
set -e
mkdir -p "hosts/$2"
echo "deploying $1 to $2"
if [ "${FAIL_SERVICE:-}" = "$1" ]; then
	echo "error: $1 does not start on $2" >&2
	exit 1
fi
echo "${RELEASE:-v2}" >"hosts/$2/$1"
