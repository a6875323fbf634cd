#!/usr/bin/env bash
# Installs every Debian package corevisor's build, tests and QEMU runs need.
# Idempotent and quiet when everything is present; called by make targets.
set -euo pipefail

HOST_PKGS="build-essential clang llvm libclang-rt-14-dev libsodium-dev \
libcriterion-dev valgrind python3 python3-hypothesis lcov gcovr"
CROSS_PKGS="gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-system-arm \
gdb-multiarch device-tree-compiler libc6-dev-arm64-cross"
ARM64_PKGS="libsodium-dev:arm64 libfdt-dev:arm64"
BENCH_PKGS="python3-matplotlib" # make bench: the plot

want="${1:-all}"
# make -j runs the host and aarch64 dependency steps at once: apt and dpkg
# take their own locks and fail rather than wait, so install one at a time.
exec 9>"${TMPDIR:-/tmp}/corevisor-install-deps.lock"
flock 9
missing=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }

for p in $HOST_PKGS; do need "$p"; done
if [ "$want" = all ] || [ "$want" = aarch64 ]; then
	for p in $CROSS_PKGS $ARM64_PKGS; do need "$p"; done
fi
[ "$want" = bench ] && for p in $BENCH_PKGS; do need "$p"; done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
if printf '%s\n' "${missing[@]}" | grep -q ':arm64'; then
	dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
