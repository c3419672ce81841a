#!/usr/bin/env bash
# Installs the Debian 12 packages the peer servers of bench/ftp.sh and
# bench/tls.sh come from. Idempotent: does nothing (and needs no network) when
# everything is already present.
#
#   scripts/install-bench-deps.sh              # all of them (see below)
#   scripts/install-bench-deps.sh PKG...       # only these packages
#   scripts/install-bench-deps.sh --unpack PKG DIR
#       download PKG's .deb (apt-get download) and unpack it under DIR
#       (DIR/usr/sbin/…) without installing it; its library dependencies
#       (lib* in Depends) are installed as packages.
#
# All: vsftpd, python3-pyftpdlib, openssh-server, curl, lftp, openssl as
# packages, pure-ftpd unpacked under /var/cache/ferry-bench/pure-ftpd and
# proftpd-core under /var/cache/ferry-bench/proftpd.
# Pure-FTPd and ProFTPD are never installed as packages: Debian's FTP servers
# conflict (Provides/Conflicts: ftp-server), so installing pure-ftpd or
# proftpd-core would remove vsftpd and installing vsftpd again would remove
# them. The benchmarks run the unpacked binaries from their directories
# (ProFTPD with its compiled-in modules only: no LoadModule, so the unpacked
# /usr/lib/proftpd is never looked for).
#
# The benchmarks run each server in the foreground from a generated config
# on 127.0.0.1 and never use the packages' services. So that installing them
# does not start a daemon listening on every interface (sshd on :22, vsftpd
# on :21), this installs with a policy-rc.d that forbids starting services,
# unless the machine already has one (containers usually do); it is removed
# again afterwards. On a machine booted with systemd the packages still enable
# their units for the next boot: disable them there (systemctl disable ssh
# vsftpd) if that is not wanted.
set -euo pipefail

PURE_DIR_DEFAULT=/var/cache/ferry-bench/pure-ftpd
PROFTPD_DIR_DEFAULT=/var/cache/ferry-bench/proftpd

die() { echo "install-bench-deps: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || NOT_ROOT=1

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

POLICY=/usr/sbin/policy-rc.d
made_policy=0
cleanup() { ((made_policy)) && rm -f "$POLICY"; return 0; }
trap cleanup EXIT

# apt_install PKG...: the missing ones, no service started.
apt_install() {
  local missing=() p
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  ((${#missing[@]} == 0)) && return 0
  [[ -z ${NOT_ROOT:-} ]] || die "run as root (apt-get install ${missing[*]})"
  if [[ ! -e $POLICY ]]; then
    printf '#!/bin/sh\n# temporary, scripts/install-bench-deps.sh: start no service\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    made_policy=1
  fi
  echo "install-bench-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Without a fresh index the candidate may be gone from the mirror.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}

# unpack PKG DIR: PKG's files under DIR (kept: a second call does nothing).
unpack() {
  local pkg=$1 dir=$2 tmp deb libs
  [[ -f $dir/.unpacked ]] && return 0
  [[ -z ${NOT_ROOT:-} ]] || die "run as root (apt-get download, library packages)"
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now
  trap "rm -rf '$tmp'; cleanup" EXIT
  echo "install-bench-deps: unpacking $pkg into $dir (not installed as a package)" >&2
  (cd "$tmp" && { apt-get download -qq "$pkg" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get download -qq "$pkg" >/dev/null; }; }) || die "apt-get download $pkg failed"
  deb=$(ls "$tmp"/*.deb)
  # Library dependencies only ("libfoo23 (>= 1)" -> libfoo23); alternatives
  # ("a | b") are not libraries here.
  libs=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep '^lib' || true)
  # shellcheck disable=SC2086 # one word per package
  [[ -z $libs ]] || apt_install $libs
  rm -rf "$dir"
  mkdir -p "$dir"
  dpkg-deb -x "$deb" "$dir"
  dpkg-deb -f "$deb" Package Version >"$dir/.unpacked"
  rm -rf "$tmp" # the next unpack's trap replaces this one's
}

if [[ ${1:-} == --unpack ]]; then
  (($# == 3)) || die "usage: $0 --unpack PKG DIR"
  unpack "$2" "$3"
  exit 0
fi
if (($#)); then
  for p in "$@"; do
    case $p in pure-ftpd | proftpd-core | proftpd-basic) die "$p conflicts with vsftpd: use --unpack $p DIR" ;; esac
  done
  apt_install "$@"
else
  apt_install vsftpd python3-pyftpdlib openssh-server curl lftp openssl
  unpack pure-ftpd "$PURE_DIR_DEFAULT"
  unpack proftpd-core "$PROFTPD_DIR_DEFAULT"
fi
