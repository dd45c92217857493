#!/bin/sh
# setup.sh: install build/test dependencies (Debian 12), build, run the demo.
#
#   ./scripts/setup.sh            install what is missing, build, run the demo
#   ./scripts/setup.sh --no-demo  the same without the demo (CI)
set -eu

cd "$(dirname "$0")/.."
demo=yes
for arg in "$@"; do
	case $arg in
	--no-demo) demo=no ;;
	-h|--help) sed -n '2,5p' "$0"; exit 0 ;;
	*) echo "setup.sh: unknown option '$arg'" >&2; exit 64 ;;
	esac
done

# Build and test dependencies, by Debian package name.
packages="build-essential autoconf automake libtool pkg-config
libcurl4-openssl-dev libyaml-dev libjansson-dev libpcre2-dev libzstd-dev
liburing-dev libhiredis-dev libxxhash-dev
redis-server clang valgrind mandoc zstd jq"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	echo "setup.sh: installing:$missing"
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || {
			echo "setup.sh: run as root (or install sudo) to install:$missing" >&2
			exit 1
		}
		sudo=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing
else
	echo "setup.sh: all build and test dependencies are installed"
fi

autoreconf -fi
configure_flags=""
[ "${CI:-}" = true ] && configure_flags="--enable-werror"
# shellcheck disable=SC2086
./configure -q $configure_flags
make -j"$(nproc 2>/dev/null || echo 2)"

if [ "$demo" = yes ]; then
	./scripts/demo.sh
fi
