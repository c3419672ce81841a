#!/usr/bin/env bash
# Installs the Debian 12 packages ferry builds and tests with. Idempotent: does
# nothing (and needs no network) when every package is already present.
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build pkg-config
  libasio-dev libssl-dev libxxhash-dev nlohmann-json3-dev libtomlplusplus-dev
  libcli11-dev libspdlog-dev libfmt-dev libedit-dev libgtest-dev libbenchmark-dev
  python3 python3-pytest python3-pexpect curl lftp xxhash openssl
  # make test-asan / test-tsan / fuzz: clang with its sanitizer and libFuzzer runtimes
  clang libclang-rt-14-dev
  # tests/faults/slowfs (FUSE passthrough with delays) for test_slow_disk.py
  libfuse3-dev fuse3
  # tests/install: render the man pages (man --warnings, groff -ww); cpack -G DEB
  # uses dpkg-shlibdeps (dpkg-dev, in build-essential). systemd-analyze verifies
  # the unit when systemd is installed (skipped otherwise: not worth pulling in).
  man-db groff-base
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
