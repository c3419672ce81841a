# bench/lib.sh — helpers shared by bench/ftp.sh, tls.sh, load.sh and transfer.sh (sourced,
# not run). Bash >= 5. The caller defines die() and log() and these globals:
#   LOGS                 the run's log directory
#   LOAD_MAX LOAD_WAIT   wait_load: 1-min load average bound / seconds to wait
#   BUSY_MAX BUSY_WAIT   wait_quiet: other processes' cores / seconds to wait
#   INSTALL              1 = ensure_pkg may install missing packages
#   FTP_USER PW VSFTPD_CRYPT   ensure_user: the local system user for PAM
#   PY                   /usr/bin/python3 (free_port)
# and reads back NOISY_RUNS, LOAD_NOTE, START_ERR, CRYPT_NAME, USER_MADE.
# shellcheck shell=bash disable=SC2034 # globals set here are read by the caller

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

stop_pid() { # PID [SECONDS]: TERM, wait up to SECONDS (5) s, KILL
  local p=$1
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq $((${2:-5} * 10))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

# ---- timing, numbers ------------------------------------------------------------
now_us() { local t; t=$(date +%s%N); echo $((t / 1000)); }
fixed2() { local v=$1; printf '%d.%02d' $((v / 100)) $((v % 100)); }
mbps() { echo $((($1 + $2 / 2) / $2)); }                   # BYTES US -> MB/s (10^6)
per_s() { echo $((($1 * 1000000 + $2 / 2) / $2)); }        # COUNT US -> per second
flt_lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; } # float a < b

# ---- quiet machine --------------------------------------------------------------
# The machine has 2 cores and other jobs compile on it: wait for quiet first.
LOAD_NOTE=
wait_load() {
  local waited=0 l
  while :; do
    l=$(cut -d' ' -f1 /proc/loadavg)
    flt_lt "$l" "$LOAD_MAX" && break
    if ((waited >= LOAD_WAIT)); then
      log "load average $l still >= $LOAD_MAX after ${LOAD_WAIT}s; running anyway"
      LOAD_NOTE="load average was $l (>= $LOAD_MAX) at start: numbers are noisy"
      return 0
    fi
    ((waited == 0)) && log "load average $l >= $LOAD_MAX: waiting (at most ${LOAD_WAIT}s)"
    sleep 10; waited=$((waited + 10))
  done
  log "load average $l"
}
# Busy cores (all processes) over 0.5 s, as "N.NN"; measured while nothing of
# ours runs, so it is the others' load.
busy_cores() {
  local a b
  read -r -a a < <(head -1 /proc/stat); sleep 0.5; read -r -a b < <(head -1 /proc/stat)
  local i tot=0 idle
  for i in 1 2 3 4 5 6 7 8; do tot=$((tot + b[i] - a[i])); done
  idle=$((b[4] - a[4] + b[5] - a[5]))
  ((tot > 0)) || { echo 0.00; return; }
  fixed2 $(((tot - idle) * 100 * $(nproc) / tot))
}
# prefault_page_cache DIR BYTES: writes BYTES (+256 MiB) of zeros to a file in
# DIR and deletes it. This machine kind's VM hands free memory back to its host
# (virtio free page reporting): the first write into such memory ran at
# 0.40-0.46 GB/s here, against 4.0-4.5 GB/s into memory just freed (dd of 1 GiB
# into /tmp after a 20 s pause, then again at once). A run that writes a big
# file would time the host, at random. Freshly freed pages are handed out
# before reported ones, so writing and deleting as much page cache right
# before the timer starts gives every contender memory the guest really holds.
prefault_page_cache() {
  dd if=/dev/zero of="$1/.prefault" bs=1M count=$((($2 >> 20) + 256)) status=none
  rm -f "$1/.prefault"
}
NOISY_RUNS=0
wait_quiet() {
  local waited=0 b
  while :; do
    b=$(busy_cores)
    flt_lt "$b" "$BUSY_MAX" && return 0
    if ((waited >= BUSY_WAIT)); then
      NOISY_RUNS=$((NOISY_RUNS + 1))
      echo "$(date +%T) busy $b cores before a run (waited ${waited}s)" >>"$LOGS/noise.txt"
      return 0
    fi
    sleep 2; waited=$((waited + 3))
  done
}

# ---- packages and the system user for PAM ------------------------------------------
# Failures set START_ERR and return 1 (they run in the main shell: the PIDs and
# ports they record must survive).
START_ERR=
fail_start() { START_ERR=$*; return 1; }
ensure_pkg() { # PACKAGE TEST-COMMAND...
  local pkg=$1; shift
  "$@" >/dev/null 2>&1 && return 0
  [[ $INSTALL == 1 ]] || { fail_start "$pkg not installed (INSTALL=0)"; return 1; }
  log "installing $pkg (scripts/install-bench-deps.sh: no service is started)"
  "$BENCH_LIB_DIR/../scripts/install-bench-deps.sh" "$pkg" >"$LOGS/apt-$pkg.txt" 2>&1 ||
    { fail_start "apt-get install $pkg failed: $(tail -c 200 "$LOGS/apt-$pkg.txt")"; return 1; }
  "$@" >/dev/null 2>&1 || { fail_start "$pkg installed but unusable"; return 1; }
}
# ensure_unpacked PACKAGE DIR TEST-COMMAND...: PACKAGE's files unpacked under
# DIR (for servers whose package would conflict with another one's).
ensure_unpacked() {
  local pkg=$1 dir=$2; shift 2
  "$@" >/dev/null 2>&1 && return 0
  [[ $INSTALL == 1 ]] || { fail_start "$pkg not unpacked in $dir (INSTALL=0)"; return 1; }
  log "unpacking $pkg into $dir (scripts/install-bench-deps.sh --unpack: not installed as a package)"
  "$BENCH_LIB_DIR/../scripts/install-bench-deps.sh" --unpack "$pkg" "$dir" >"$LOGS/unpack-$pkg.txt" 2>&1 ||
    { fail_start "unpacking $pkg failed: $(tail -c 200 "$LOGS/unpack-$pkg.txt")"; return 1; }
  "$@" >/dev/null 2>&1 || { fail_start "$pkg unpacked in $dir but unusable"; return 1; }
}
CRYPT_NAME=
USER_MADE=0
ensure_user() {
  [[ $(id -u) == 0 ]] || { fail_start "needs root (a local system user for PAM)"; return 1; }
  if ! id "$FTP_USER" >/dev/null 2>&1; then
    useradd -m -s /bin/bash -c "ferry bench (bench/ftp.sh)" "$FTP_USER" >"$LOGS/useradd.txt" 2>&1 ||
      { fail_start "useradd failed: $(head -c 200 "$LOGS/useradd.txt")"; return 1; }
  fi
  # PAM's pam_shells wants a shell listed in /etc/shells.
  local sh; sh=$(getent passwd "$FTP_USER" | cut -d: -f7)
  grep -qx "$sh" /etc/shells || usermod -s /bin/bash "$FTP_USER"
  # sha512 (default) keeps vsftpd's per-login cost at a few ms; "system"
  # lets chpasswd (PAM) pick: yescrypt on Debian 12, ~0.1-0.3 s per login.
  if [[ $VSFTPD_CRYPT == sha512 ]]; then
    local h; h=$(openssl passwd -6 "$PW") || { fail_start "openssl passwd -6 failed"; return 1; }
    echo "$FTP_USER:$h" | chpasswd -e >"$LOGS/chpasswd.txt" 2>&1 || { fail_start "chpasswd -e failed"; return 1; }
  elif [[ $VSFTPD_CRYPT == system ]]; then
    echo "$FTP_USER:$PW" | chpasswd >"$LOGS/chpasswd.txt" 2>&1 || { fail_start "chpasswd failed"; return 1; }
  else
    fail_start "VSFTPD_CRYPT must be sha512 or system"; return 1
  fi
  CRYPT_NAME=$(getent shadow "$FTP_USER" | cut -d: -f2 | cut -d'$' -f2)
  case $CRYPT_NAME in y) CRYPT_NAME=yescrypt ;; 6) CRYPT_NAME=sha512crypt ;; esac
  USER_MADE=1
}

# ---- ports ------------------------------------------------------------------------
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# pick_pasv_base [WIDTH]: the first of WIDTH (600) consecutive ports from
# PASV_BASE (below the ephemeral range) none of which is listened on.
pick_pasv_base() {
  local base=$PASV_BASE width=${1:-600} p used clash
  used=$(ss -Htln 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }')
  for _ in $(seq 10); do
    clash=0
    for p in $used; do ((p >= base && p < base + width)) && clash=1; done
    ((clash)) || { echo "$base"; return 0; }
    base=$((base + 1000))
  done
  die "no free passive port ranges near $PASV_BASE"
}
wait_port() { # PORT PID SECONDS
  local i
  for i in $(seq $(($3 * 10))); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
