#!/usr/bin/env bash
# bench/ftp.sh [BUILD_DIR] — ferryd's FTP front-end against four other FTP
# servers, side by side, on loopback, in one run (issue 14):
#   ferryd (ferryd serve --ftp-listen), vsftpd (standalone, generated config),
#   pyftpdlib (python3-pyftpdlib, a tiny generated script), Pure-FTPd and
#   ProFTPD (both unpacked from their .debs: Debian's FTP servers conflict with
#   each other as ftp-server providers, so only vsftpd is installed).
# Each server runs from a temp dir on its own loopback port and passive port
# range, with the same user and password and a home holding the same data.
# Rows (median of REPS, repetitions interleaved across the servers; every run
# is printed):
#   RETR 1 GiB into bench/ftp_recv_bench (a C++ client that discards with
#     1 MiB recv()s: not the bottleneck), also against the loopback limit
#     (tcp_limit_bench, target >= 0.85); curl RETR 1 GiB -> /tmp file and curl
#     STOR 1 GiB (cmp'd byte for byte);
#   lftp mirror / mirror -R / mirror --parallel=4 of 1,000 x 4 KiB files;
#   ftplib login+QUIT rate;
#   50 concurrent RETR clients of a 16 MiB file (aggregate MB/s), with the
#     server's memory: peak PSS of all its processes during the row and PSS a
#     few seconds after it (bench/pss_sample.py, /proc/PID/smaps_rollup);
#   300 clients connecting and logging in at once: wall time and peak PSS.
# Ratio column: ferryd / best peer for rates; best peer / ferryd for times and
# memory (lower is better there), so >= 1.00 always means ferryd wins.
# Not a test: numbers depend on the machine. Installs/unpacks the peers when
# missing (scripts/install-bench-deps.sh, which starts no service; INSTALL=0
# to forbid), creates the local system user ferrybench for vsftpd (kept,
# password locked at exit).
#
# Environment knobs (defaults in brackets):
#   SMALL [0]           1 = smoke run (< 2 min): BIG_MIB=64 REPS=1
#                       SMALL_FILES=100 LOGINS=50 CONC_MIB=4 SETTLE=1, quick limit
#   REPS [3]            repetitions per row and server, the median is reported
#   BIG_MIB [1024]      size of the big file
#   SMALL_FILES [1000] SMALL_KIB [4]   the tree (10 directories)
#   LOGINS [500]        sequential ftplib logins per run
#   CONC [50] CONC_MIB [16]   concurrent RETR clients and their file's size
#   LOGIN_CLIENTS [300] concurrent connect+login clients
#   SETTLE [3]          seconds after a memory row before the "after" PSS
#   SERVERS ["ferryd vsftpd pyftpdlib pure-ftpd proftpd"]  which servers to run
#   ROWS [all]          subset of: retr curl_retr stor mirror mirror_r
#                       mirror_p4 logins c50 c300
#   BENCH_TMP [/tmp]    where the work directory is created
#   SRC_FILE []         reuse an existing big file instead of generating one
#   LIMIT_LINE []       a "LIMIT download_MBps=..." line from tcp_limit_bench
#                       (skips running it); LIMIT=0 skips the limit row
#   LOAD_MAX [1.5] LOAD_WAIT [120]  wait (at most LOAD_WAIT s) for the 1-min
#                       load average to drop below LOAD_MAX before starting
#   BUSY_MAX [0.5] BUSY_WAIT [10]   before each timed run, wait (at most
#                       BUSY_WAIT s) until other processes use < BUSY_MAX cores
#   PASV_BASE [20100]   first passive port (5 ranges of 200 from there)
#   TIMEOUT_BIG [180]   seconds allowed for one big transfer
#   INSTALL [1]         install / unpack missing peers
#   VSFTPD_CRYPT [sha512]  how ferrybench's password is stored for PAM:
#                       sha512 = SHA-512-crypt, 5000 rounds (~ms per check);
#                       system = chpasswd's choice (yescrypt on Debian 12)
#   VSFTPD_ISOLATE [NO] vsftpd isolate/isolate_network
#   PURE_DIR [/var/cache/ferry-bench/pure-ftpd]  PROFTPD_DIR [/var/cache/ferry-bench/proftpd]
#                       where the two are unpacked when not installed
#   KEEP_LOGS [0]       keep the log directory even when all went well
#   LFTP_DEBUG [0]      write lftp debug logs (commands sent) to the log dir
#   FERRYD_ARGS []      extra `ferryd serve` flags (e.g. --threads 1)
#   FERRYD_CONFIG []    extra top-level ferryd.toml lines, e.g.
#                       'download_method = "sendfile"'
#   FERRYD_PASV [range] range: [ftp] pasv_ports = its range (like the peers);
#                       any: no pasv_ports (ferryd binds any free port)
#   SMAPS [1]           keep ferryd's /proc/PID/smaps at its peak PSS of each
#                       memory row in the log dir (ferryd-smaps-ROW.txt)
set -euo pipefail

die() { echo "ftp.sh: $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# stop_pid, timing, wait_load/wait_quiet, ensure_pkg/ensure_user, ports
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
BUILD=${1:-$REPO/build}
[[ -d $BUILD ]] || die "build directory '$BUILD' not found (usage: bench/ftp.sh [BUILD_DIR])"
BUILD=$(cd "$BUILD" && pwd)
FERRYD=$BUILD/apps/ferryd
LIMIT_BENCH=$BUILD/bench/tcp_limit_bench
RECV=$BUILD/bench/ftp_recv_bench
SAMPLER=$REPO/bench/pss_sample.py
for b in "$FERRYD" "$RECV"; do
  [[ -x $b ]] || die "missing $b (build it: cmake --build $BUILD --target ferryd ftp_recv_bench tcp_limit_bench)"
done

SMALL=${SMALL:-0}
if [[ $SMALL == 1 ]]; then
  : "${BIG_MIB:=64}" "${REPS:=1}" "${SMALL_FILES:=100}" "${LOGINS:=50}" "${CONC_MIB:=4}" "${SETTLE:=1}"
  : "${LOAD_WAIT:=10}" "${BUSY_WAIT:=2}"
fi
REPS=${REPS:-3}
BIG_MIB=${BIG_MIB:-1024}
SMALL_FILES=${SMALL_FILES:-1000}
SMALL_KIB=${SMALL_KIB:-4}
LOGINS=${LOGINS:-500}
CONC=${CONC:-50}
CONC_MIB=${CONC_MIB:-16}
LOGIN_CLIENTS=${LOGIN_CLIENTS:-300}
SETTLE=${SETTLE:-3}
read -r -a SERVERS <<<"${SERVERS:-ferryd vsftpd pyftpdlib pure-ftpd proftpd}"
ALL_SERVERS=(ferryd vsftpd pyftpdlib pure-ftpd proftpd)
PEERS=(vsftpd pyftpdlib pure-ftpd proftpd)
read -r -a ROWS <<<"${ROWS:-retr curl_retr stor mirror mirror_r mirror_p4 logins c50 c300}"
BENCH_TMP=${BENCH_TMP:-/tmp}
LOAD_MAX=${LOAD_MAX:-1.5}
LOAD_WAIT=${LOAD_WAIT:-120}
BUSY_MAX=${BUSY_MAX:-0.5}
BUSY_WAIT=${BUSY_WAIT:-10}
PASV_BASE=${PASV_BASE:-20100}
TIMEOUT_BIG=${TIMEOUT_BIG:-180}
INSTALL=${INSTALL:-1}
VSFTPD_ISOLATE=${VSFTPD_ISOLATE:-NO}
VSFTPD_CRYPT=${VSFTPD_CRYPT:-sha512}
PURE_DIR=${PURE_DIR:-/var/cache/ferry-bench/pure-ftpd}
PROFTPD_DIR=${PROFTPD_DIR:-/var/cache/ferry-bench/proftpd}
KEEP_LOGS=${KEEP_LOGS:-0}
LFTP_DEBUG=${LFTP_DEBUG:-0}
SMAPS=${SMAPS:-1}
read -r -a FERRYD_EXTRA <<<"${FERRYD_ARGS:-}"
FERRYD_CONFIG=${FERRYD_CONFIG:-}
FERRYD_PASV=${FERRYD_PASV:-range}
[[ $FERRYD_PASV == range || $FERRYD_PASV == any ]] || die "FERRYD_PASV must be range or any"
for n in REPS BIG_MIB SMALL_FILES SMALL_KIB LOGINS CONC CONC_MIB LOGIN_CLIENTS; do
  [[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer"
done
[[ $SETTLE =~ ^[0-9]+$ ]] || die "SETTLE must be a whole number of seconds"
for s in "${SERVERS[@]}"; do [[ " ${ALL_SERVERS[*]} " == *" $s "* ]] || die "unknown server '$s' in SERVERS"; done
[[ " ${SERVERS[*]} " == *" ferryd "* ]] || die "SERVERS must include ferryd"
for r in "${ROWS[@]}"; do
  case $r in retr | curl_retr | stor | mirror | mirror_r | mirror_p4 | logins | c50 | c300) ;; *) die "unknown row '$r' in ROWS" ;; esac
done
want_row() { [[ " ${ROWS[*]} " == *" $1 "* ]]; }
PY=/usr/bin/python3 # the system python: python3-pyftpdlib lives there
FTP_USER=ferrybench
PW=fb-$$-$RANDOM$RANDOM # letters, digits and '-': safe in URLs and lftp
BIG_BYTES=$((BIG_MIB * 1048576))
CONC_BYTES=$((CONC_MIB * 1048576))
((SMALL_FILES % 10 == 0)) || die "SMALL_FILES must be a multiple of 10"
[[ -x $PY ]] || die "$PY not found"
for t in curl lftp cmp; do command -v "$t" >/dev/null || die "$t not found (apt-get install -y $t)"; done
# Sessions of the forking servers, 300 client threads: descriptors to spare.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---- space check ---------------------------------------------------------------
# At once: the source, one downloaded copy, one uploaded copy, trees, slack.
need_mib=$((BIG_MIB * 3 + 1024))
[[ -n ${SRC_FILE:-} ]] && need_mib=$((need_mib - BIG_MIB))
avail_kib=$(df -Pk "$BENCH_TMP" | tail -1 | tr -s ' ' | cut -d' ' -f4)
((avail_kib / 1024 >= need_mib)) || die "$BENCH_TMP has $((avail_kib / 1024)) MiB free, need ~$need_mib MiB"

WORK=$(mktemp -d "$BENCH_TMP/ferry-ftpbench.XXXXXX")
chmod 755 "$WORK" # sessions of vsftpd, Pure-FTPd, ProFTPD run as $FTP_USER and must reach their homes
LOGS=$WORK/logs
mkdir -p "$LOGS"
FAILED=0
declare -A PID=() PORT=() HOMEDIR=() NOTE=() VERSION=()
UP=()       # servers that started and accepted a login
SAMPLERS=() # running pss_sample.py PIDs (stopped at exit too)

cleanup() {
  local rc=$? s p
  set +e
  for p in "${SAMPLERS[@]}"; do [[ -n $p ]] && stop_pid "$p"; done
  for s in "${!PID[@]}"; do [[ -n ${PID[$s]} ]] && stop_pid "${PID[$s]}"; done
  # The account stays (idempotent re-use) but nobody can log in with it.
  [[ ${USER_MADE:-0} == 1 ]] && usermod -L "$FTP_USER" >/dev/null 2>&1
  if ((FAILED || rc != 0)) || [[ $KEEP_LOGS == 1 ]]; then
    local keep=$BENCH_TMP/ferry-ftpbench-logs.$$
    rm -rf "$keep" && cp -r "$LOGS" "$keep" && echo "logs kept in $keep" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# check_login PORT: one ftplib login + PWD + QUIT; prints the error on failure.
check_login() {
  "$PY" - "$1" "$FTP_USER" "$PW" <<'EOF' 2>&1
import ftplib, sys
f = ftplib.FTP()
f.connect("127.0.0.1", int(sys.argv[1]), timeout=10)
f.login(sys.argv[2], sys.argv[3])
f.pwd()
f.quit()
EOF
}

START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
COMMIT="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src apps 2>/dev/null || echo '+dirty')"

# ---- inputs ------------------------------------------------------------------------
wait_load
if [[ -n ${SRC_FILE:-} ]]; then
  [[ -f $SRC_FILE ]] || die "SRC_FILE '$SRC_FILE' not found"
  BIG=$SRC_FILE
  BIG_BYTES=$(stat -c %s "$BIG")
  # Hard links into the homes need the same filesystem: else copy it here.
  if [[ $(stat -c %d "$BIG") != $(stat -c %d "$WORK") ]]; then cp "$BIG" "$WORK/big.src"; BIG=$WORK/big.src; fi
else
  BIG=$WORK/big.src
  log "creating ${BIG_MIB} MiB source file"
  head -c "$BIG_BYTES" /dev/urandom >"$BIG"
fi
chmod a+r "$BIG"
cat "$BIG" >/dev/null # into the page cache
MID=$WORK/mid.src
head -c "$CONC_BYTES" "$BIG" >"$MID"
chmod a+r "$MID"
TREE=$WORK/tree
per_dir=$((SMALL_FILES / 10))
for d in $(seq 0 9); do
  mkdir -p "$TREE/d$d"
  head -c $((per_dir * SMALL_KIB * 1024)) /dev/urandom |
    split -b $((SMALL_KIB * 1024)) -a 3 -d - "$TREE/d$d/f"
done
chmod -R a+rX "$TREE"
[[ $(find "$TREE" -type f | wc -l) == "$SMALL_FILES" ]] || die "tree generation failed"
mkdir -p "$WORK/lftp-home"

# fill_home DIR: the big and the 16 MiB file as hard links (one inode each, so
# one copy in the page cache for all servers; read-only for them) and a copy
# of the tree.
fill_home() {
  ln "$BIG" "$1/big.bin" 2>/dev/null || cp "$BIG" "$1/big.bin"
  ln "$MID" "$1/mid.bin" 2>/dev/null || cp "$MID" "$1/mid.bin"
  cp -r "$TREE" "$1/tree"
}

# ---- the single-stream limit (optional) -------------------------------------------
DOWN_LIMIT='' LIMIT_SRC='' DOWN_PATH=''
if [[ ${LIMIT:-1} != 0 ]] && want_row retr; then
  if [[ -n ${LIMIT_LINE:-} ]]; then
    limit_line=$LIMIT_LINE LIMIT_SRC="LIMIT_LINE"
  elif [[ -x $LIMIT_BENCH ]]; then
    # Only the download limit is used here: --quick skips most file-writing
    # receivers (the upload limits), minutes on this machine.
    lreps=$REPS quick=(--quick)
    [[ $SMALL == 1 ]] && lreps=1
    log "tcp_limit_bench (best of $lreps per path)"
    if "$LIMIT_BENCH" "$BIG" --reps "$lreps" "${quick[@]}" --tmpdir "$WORK" >"$LOGS/tcp_limit.txt" 2>&1; then :; else
      log "tcp_limit_bench failed: $(tail -c 300 "$LOGS/tcp_limit.txt")"
    fi
    limit_line=$(grep '^LIMIT ' "$LOGS/tcp_limit.txt" | tail -1 || true)
    LIMIT_SRC="tcp_limit_bench${quick[*]:+ ${quick[*]}}, best of $lreps per path, before the rows"
  else
    limit_line='' LIMIT_SRC="$LIMIT_BENCH not built"
  fi
  kv() { local k; for k in $limit_line; do if [[ $k == "$1="* ]]; then echo "${k#*=}"; fi; done; }
  if [[ -n $limit_line ]]; then
    DOWN_LIMIT=$(kv download_MBps) DOWN_PATH=$(kv best_download_path)
    [[ $DOWN_LIMIT =~ ^[1-9][0-9]*$ ]] || DOWN_LIMIT=
  fi
fi

# ---- servers -----------------------------------------------------------------------
PASV0=$(pick_pasv_base 1000)
declare -A PASV_LO=()
i=0
for s in "${ALL_SERVERS[@]}"; do PASV_LO[$s]=$((PASV0 + 200 * i)); i=$((i + 1)); done
pasv_hi() { echo $((PASV_LO[$1] + 199)); }
pasv_range() {
  if [[ $1 == ferryd && $FERRYD_PASV == any ]]; then echo "any (no pasv_ports)"
  else echo "${PASV_LO[$1]}-$(pasv_hi "$1")"; fi
}

BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[^=]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
start_ferryd() {
  local root=$WORK/ferryd p=
  FERRYD_ROOT=$root
  "$FERRYD" init --root "$root" --no-tls >"$LOGS/ferryd-init.txt" 2>&1 ||
    { fail_start "ferryd init failed: $(tail -c 200 "$LOGS/ferryd-init.txt")"; return 1; }
  echo "$PW" | "$FERRYD" user add "$FTP_USER" --root "$root" --password-stdin >"$LOGS/ferryd-useradd.txt" 2>&1 ||
    { fail_start "ferryd user add failed: $(tail -c 200 "$LOGS/ferryd-useradd.txt")"; return 1; }
  # ferryd init writes only comments: top-level keys may follow, then [ftp].
  # The connection caps are raised for the 300-client row (the peers' caps
  # are raised too: Pure-FTPd -c/-C, ProFTPD MaxInstances).
  local n=$((LOGIN_CLIENTS + CONC + 64))
  printf '\nmax_sessions = %d\nmax_sessions_per_ip = %d\nmax_pending_logins = %d\nmax_pending_logins_per_ip = %d\n' \
    "$n" "$n" "$n" "$n" >>"$root/ferryd.toml"
  [[ -n $FERRYD_CONFIG ]] && printf '%s\n' "$FERRYD_CONFIG" >>"$root/ferryd.toml"
  if [[ $FERRYD_PASV == range ]]; then
    printf '\n[ftp]\npasv_ports = "%s"\n' "$(pasv_range ferryd)" >>"$root/ferryd.toml"
  fi
  HOMEDIR[ferryd]=$root/home/$FTP_USER
  [[ -d ${HOMEDIR[ferryd]} ]] || { fail_start "no home ${HOMEDIR[ferryd]} after user add"; return 1; }
  fill_home "${HOMEDIR[ferryd]}"
  "$FERRYD" serve --root "$root" --listen 127.0.0.1:0 --ftp-listen 127.0.0.1:0 "${FERRYD_EXTRA[@]}" $( ((EUID == 0)) && echo --allow-root) \
    >"$LOGS/ferryd.out" 2>"$LOGS/ferryd.err" &
  PID[ferryd]=$!
  for _ in $(seq 100); do
    p=$(sed -n 's/^ferryd ftp listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOGS/ferryd.out" | head -1)
    [[ -n $p ]] && break
    kill -0 "${PID[ferryd]}" 2>/dev/null || { fail_start "exited at start: $(tail -c 300 "$LOGS/ferryd.err")"; return 1; }
    sleep 0.1
  done
  [[ -n $p ]] || { fail_start "did not print its FTP address within 10 s"; return 1; }
  PORT[ferryd]=$p
  VERSION[ferryd]="ferryd $COMMIT ($BUILD, build type ${BUILD_TYPE:-default})${FERRYD_CONFIG:+, $FERRYD_CONFIG}${FERRYD_EXTRA[*]:+, ${FERRYD_EXTRA[*]}}"
}

start_vsftpd() {
  ensure_pkg vsftpd test -x /usr/sbin/vsftpd || return 1
  ensure_user || return 1
  local dir=$WORK/vsftpd
  mkdir -p "$dir/home"
  fill_home "$dir/home"
  chown "$FTP_USER:" "$dir/home" # not -R: big.bin is a hard link to the source
  chown -R "$FTP_USER:" "$dir/home/tree"
  PORT[vsftpd]=$(free_port)
  HOMEDIR[vsftpd]=$dir/home
  mkdir -p /var/run/vsftpd/empty # secure_chroot_dir (the package makes it too)
  # max_clients / max_per_ip = 0: unlimited (its defaults).
  cat >"$dir/vsftpd.conf" <<EOF
# generated by bench/ftp.sh
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=${PORT[vsftpd]}
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
local_root=$dir/home
chroot_local_user=YES
allow_writeable_chroot=YES
pam_service_name=vsftpd
seccomp_sandbox=NO
isolate=$VSFTPD_ISOLATE
isolate_network=$VSFTPD_ISOLATE
pasv_enable=YES
pasv_min_port=${PASV_LO[vsftpd]}
pasv_max_port=$(pasv_hi vsftpd)
max_clients=0
max_per_ip=0
xferlog_enable=NO
dual_log_enable=NO
syslog_enable=NO
ssl_enable=NO
tcp_wrappers=NO
dirmessage_enable=NO
EOF
  /usr/sbin/vsftpd "$dir/vsftpd.conf" >"$LOGS/vsftpd.out" 2>&1 &
  PID[vsftpd]=$!
  wait_port "${PORT[vsftpd]}" "${PID[vsftpd]}" 10 ||
    { fail_start "did not listen: $(tail -c 300 "$LOGS/vsftpd.out")"; return 1; }
  VERSION[vsftpd]="vsftpd $(dpkg-query -W -f '${Version}' vsftpd 2>/dev/null) (package), PAM, $CRYPT_NAME, isolate=$VSFTPD_ISOLATE, no xferlog"
}

start_pyftpdlib() {
  ensure_pkg python3-pyftpdlib "$PY" -c 'import pyftpdlib' || return 1
  local dir=$WORK/pyftpdlib
  mkdir -p "$dir/home"
  fill_home "$dir/home"
  PORT[pyftpdlib]=$(free_port)
  HOMEDIR[pyftpdlib]=$dir/home
  # Its default logging (INFO: logins and transfers, like ferryd's) goes to a
  # file; max_cons (512) is above LOGIN_CLIENTS by default.
  "$PY" -c '
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
port, user, pw, home, lo, hi, n = sys.argv[1:8]
auth = DummyAuthorizer()
auth.add_user(user, pw, home, perm="elradfmwMT")
FTPHandler.authorizer = auth
FTPHandler.passive_ports = range(int(lo), int(hi) + 1)
srv = FTPServer(("127.0.0.1", int(port)), FTPHandler)
srv.max_cons = max(srv.max_cons, int(n))
srv.serve_forever()
' "${PORT[pyftpdlib]}" "$FTP_USER" "$PW" "$dir/home" "${PASV_LO[pyftpdlib]}" "$(pasv_hi pyftpdlib)" $((LOGIN_CLIENTS + CONC + 64)) \
    >"$LOGS/pyftpdlib.out" 2>"$LOGS/pyftpdlib.err" &
  PID[pyftpdlib]=$!
  wait_port "${PORT[pyftpdlib]}" "${PID[pyftpdlib]}" 10 ||
    { fail_start "did not listen: $(tail -c 300 "$LOGS/pyftpdlib.err")"; return 1; }
  VERSION[pyftpdlib]="pyftpdlib $("$PY" -c 'import pyftpdlib; print(pyftpdlib.__ver__)') (package), python $("$PY" -c 'import platform; print(platform.python_version())'), INFO log to a file"
}

# Pure-FTPd: the system's binary when the package is installed, else the
# package unpacked under PURE_DIR (installing it would remove vsftpd: both
# provide and conflict with ftp-server).
pure_usable() { [[ -x $1/usr/sbin/pure-ftpd && -x $1/usr/bin/pure-pw ]] && ! ldd "$1/usr/sbin/pure-ftpd" | grep -q 'not found'; }
start_pure-ftpd() {
  local from pure pw dir=$WORK/pure-ftpd uid gid h n=$((LOGIN_CLIENTS + CONC + 64))
  if pure_usable /; then
    pure=/usr/sbin/pure-ftpd pw=/usr/bin/pure-pw
    from="package $(dpkg-query -W -f '${Version}' pure-ftpd 2>/dev/null)"
  else
    ensure_unpacked pure-ftpd "$PURE_DIR" pure_usable "$PURE_DIR" || return 1
    pure=$PURE_DIR/usr/sbin/pure-ftpd pw=$PURE_DIR/usr/bin/pure-pw
    from="$(sed -n 's/^Version: //p' "$PURE_DIR/.unpacked" 2>/dev/null), unpacked .deb"
  fi
  ensure_user || return 1
  mkdir -p "$dir/home"
  fill_home "$dir/home"
  chown "$FTP_USER:" "$dir/home"
  chown -R "$FTP_USER:" "$dir/home/tree"
  HOMEDIR[pure-ftpd]=$dir/home
  uid=$(id -u "$FTP_USER") gid=$(id -g "$FTP_USER")
  # A virtual user in a temp PureDB (not /etc/pure-ftpd), mapped to
  # ferrybench, with a SHA-512-crypt hash (pure-pw's argon2id costs seconds of
  # CPU per login here; vsftpd gets the same hash).
  printf '%s\n%s\n' "$PW" "$PW" | "$pw" useradd "$FTP_USER" -u "$uid" -g "$gid" -d "$dir/home" \
    -f "$dir/pureftpd.passwd" -F "$dir/pureftpd.pdb" -m >"$LOGS/pure-pw.txt" 2>&1 ||
    { fail_start "pure-pw useradd failed: $(errtail "$LOGS/pure-pw.txt")"; return 1; }
  h=$(openssl passwd -6 "$PW") || { fail_start "openssl passwd -6 failed"; return 1; }
  awk -F: -v OFS=: -v u="$FTP_USER" -v h="$h" '$1 == u { $2 = h } 1' "$dir/pureftpd.passwd" >"$dir/pureftpd.passwd.new" &&
    mv "$dir/pureftpd.passwd.new" "$dir/pureftpd.passwd" &&
    "$pw" mkdb "$dir/pureftpd.pdb" -f "$dir/pureftpd.passwd" >>"$LOGS/pure-pw.txt" 2>&1 ||
    { fail_start "pure-pw mkdb failed: $(errtail "$LOGS/pure-pw.txt")"; return 1; }
  PORT[pure-ftpd]=$(free_port)
  # -A chroot; -E no anonymous; -H no DNS; -c/-C: clients in all / per IP
  # (default 50); -u 1: uid >= 1 may log in.
  "$pure" -S "127.0.0.1,${PORT[pure-ftpd]}" -4 -l "puredb:$dir/pureftpd.pdb" -E -A -H \
    -c "$n" -C "$n" -p "${PASV_LO[pure-ftpd]}:$(pasv_hi pure-ftpd)" \
    -g "$dir/pure-ftpd.pid" -u 1 </dev/null >"$LOGS/pure-ftpd.out" 2>&1 &
  PID[pure-ftpd]=$!
  wait_port "${PORT[pure-ftpd]}" "${PID[pure-ftpd]}" 10 ||
    { fail_start "did not listen: $(errtail "$LOGS/pure-ftpd.out")"; return 1; }
  VERSION[pure-ftpd]="$("$pure" --help 2>&1 | head -1 | sed 's/ *$//') ($from), PureDB virtual user, sha512crypt, syslog (default)"
}

# ProFTPD: like Pure-FTPd, unpacked from proftpd-core's .deb (it too conflicts
# with vsftpd). Only compiled-in modules are used (no LoadModule).
proftpd_usable() { [[ -x $1/usr/sbin/proftpd ]] && ! ldd "$1/usr/sbin/proftpd" | grep -q 'not found'; }
start_proftpd() {
  local from bin dir=$WORK/proftpd uid gid h n=$((LOGIN_CLIENTS + CONC + 64))
  if proftpd_usable /; then
    bin=/usr/sbin/proftpd from="package $(dpkg-query -W -f '${Version}' proftpd-core 2>/dev/null)"
  else
    ensure_unpacked proftpd-core "$PROFTPD_DIR" proftpd_usable "$PROFTPD_DIR" || return 1
    bin=$PROFTPD_DIR/usr/sbin/proftpd
    from="$(sed -n 's/^Version: //p' "$PROFTPD_DIR/.unpacked" 2>/dev/null), unpacked .deb"
  fi
  ensure_user || return 1
  mkdir -p "$dir/home"
  fill_home "$dir/home"
  chown "$FTP_USER:" "$dir/home"
  chown -R "$FTP_USER:" "$dir/home/tree"
  HOMEDIR[proftpd]=$dir/home
  uid=$(id -u "$FTP_USER") gid=$(id -g "$FTP_USER")
  h=$(openssl passwd -6 "$PW") || { fail_start "openssl passwd -6 failed"; return 1; }
  # A virtual user (AuthUserFile, mod_auth_file) mapped to ferrybench, with
  # the same SHA-512-crypt hash as the others.
  printf '%s:%s:%s:%s::%s:/bin/bash\n' "$FTP_USER" "$h" "$uid" "$gid" "$dir/home" >"$dir/ftpd.passwd"
  chmod 600 "$dir/ftpd.passwd"
  PORT[proftpd]=$(free_port)
  # DelayEngine off: mod_delay pads every USER/PASS to hide timing (its
  # default; the others do not); no transfer log (like vsftpd).
  cat >"$dir/proftpd.conf" <<EOF
# generated by bench/ftp.sh
ServerType standalone
ServerName "ferry bench"
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
Port ${PORT[proftpd]}
User nobody
Group nogroup
PidFile $dir/proftpd.pid
ScoreboardFile $dir/proftpd.scoreboard
SystemLog $dir/proftpd.log
TransferLog NONE
WtmpLog off
UseReverseDNS off
DelayEngine off
MaxInstances $n
MaxClients none
MaxClientsPerHost none
AuthOrder mod_auth_file.c
AuthUserFile $dir/ftpd.passwd
RequireValidShell off
DefaultRoot ~
Umask 022
AllowOverwrite on
PassivePorts ${PASV_LO[proftpd]} $(pasv_hi proftpd)
EOF
  "$bin" -n -c "$dir/proftpd.conf" </dev/null >"$LOGS/proftpd.out" 2>&1 &
  PID[proftpd]=$!
  wait_port "${PORT[proftpd]}" "${PID[proftpd]}" 10 ||
    { fail_start "did not listen: $(errtail "$LOGS/proftpd.out") $(errtail "$dir/proftpd.log")"; return 1; }
  VERSION[proftpd]="$("$bin" -v 2>&1 | head -1 | sed 's/ *$//') ($from), AuthUserFile, sha512crypt, DelayEngine off, no TransferLog"
}

errtail() { tail -c "${2:-200}" "$1" 2>/dev/null | tr '\n' ' '; }
for s in "${SERVERS[@]}"; do
  log "starting $s"
  PID[$s]='' START_ERR='' out=''
  if "start_$s" && out=$(check_login "${PORT[$s]}"); then
    UP+=("$s")
    log "$s pid ${PID[$s]} on 127.0.0.1:${PORT[$s]}, passive $(pasv_range "$s")"
  else
    [[ -n $START_ERR ]] || START_ERR="login check failed: $(echo "$out" | tail -1)"
    NOTE[$s]="not run: $START_ERR"
    log "$s: ${NOTE[$s]}"
    [[ -n ${PID[$s]} ]] && stop_pid "${PID[$s]}"
    PID[$s]=
    if [[ $s == ferryd ]]; then FAILED=1; die "ferryd is needed"; fi
  fi
done
alive() { [[ -n ${PID[$1]} ]] && kill -0 "${PID[$1]}" 2>/dev/null; }
# ferryd's log volume is measured from here to the end.
log_bytes() { # the bytes ferryd has written to its logs (files under ROOT/log, stdout, stderr)
  local t=0 f
  for f in "$FERRYD_ROOT"/log/* "$LOGS/ferryd.out" "$LOGS/ferryd.err"; do
    [[ -f $f ]] && t=$((t + $(stat -c %s "$f")))
  done
  echo "$t"
}
LOG0=$(log_bytes)

# ---- one timed run per row -----------------------------------------------------------
# rep_ROW SERVER REP: sets OUT[KEY] for the row's keys (decimal numbers) or ERRMSG.
url() { echo "ftp://$FTP_USER:$PW@127.0.0.1:${PORT[$1]}/$2"; }
# Each run starts with the source in the page cache and as much freshly freed
# memory as it will write (lib.sh: this VM returns idle memory to its host).
t_start() { sync; cat "$BIG" >/dev/null; wait_quiet; prefault_page_cache "$WORK" "${1:-$BIG_BYTES}"; T0=$(now_us); }
t_stop() { DT=$(($(now_us) - T0)); ((DT > 0)) || DT=1; }
declare -A OUT=() PHASE=() EXTRA=()
recv_kv() { sed -n "s/.*[[:space:]]$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

rep_retr() {
  local s=$1 r=$2 e=$LOGS/$1-retr-$2.err line rc=0
  t_start 0
  line=$(timeout "$TIMEOUT_BIG" "$RECV" --port "${PORT[$s]}" --user "$FTP_USER" --pass "$PW" \
    --file big.bin --expect "$BIG_BYTES" --timeout 60 2>"$e" | tail -1) || rc=$?
  t_stop
  if ((rc != 0)) || [[ $line != RECV* ]]; then ERRMSG="ftp_recv_bench exit $rc: $(errtail "$e")"; return; fi
  OUT[retr]=$(mbps "$BIG_BYTES" "$(recv_kv wall_us "$line")")
  PHASE[retr,$s]+="${PHASE[retr,$s]:+ }$(recv_kv data_MBps "$line")"
}
# curl's own pretransfer/total times give the data phase alone (login,
# TYPE, SIZE, EPSV excluded): kept in PHASE as info.
phase() { # "PRETRANSFER TOTAL" -> MB/s of the data phase
  awk -v b="$BIG_BYTES" '{ d = $2 - $1; if (d > 0) printf "%d", b / d / 1e6 + 0.5; else print 0 }' <<<"$1"
}
rep_curl_retr() {
  local s=$1 r=$2 out=$WORK/dl.bin rc=0 e=$LOGS/$1-curl-retr-$2.err w
  rm -f "$out"
  t_start
  w=$(timeout "$TIMEOUT_BIG" curl -sS --connect-timeout 10 -w '%{time_pretransfer} %{time_total}' \
    -o "$out" "$(url "$s" big.bin)" 2>"$e") || rc=$?
  t_stop
  ((rc != 0)) || PHASE[curl_retr,$s]+="${PHASE[curl_retr,$s]:+ }$(phase "$w")"
  if ((rc != 0)); then ERRMSG="curl exit $rc: $(errtail "$e")"
  elif ! cmp -s "$BIG" "$out"; then ERRMSG="downloaded file differs from the source"
  else OUT[curl_retr]=$(mbps "$BIG_BYTES" "$DT"); fi
  rm -f "$out"
}
rep_stor() {
  local s=$1 r=$2 target=${HOMEDIR[$1]}/up.bin rc=0 e=$LOGS/$1-stor-$2.err w
  rm -f "$target"
  t_start
  w=$(timeout "$TIMEOUT_BIG" curl -sS --connect-timeout 10 -w '%{time_pretransfer} %{time_total}' \
    -T "$BIG" "$(url "$s" up.bin)" 2>"$e") || rc=$?
  t_stop
  ((rc != 0)) || PHASE[stor,$s]+="${PHASE[stor,$s]:+ }$(phase "$w")"
  if ((rc != 0)); then ERRMSG="curl exit $rc: $(errtail "$e")"
  elif ! cmp -s "$BIG" "$target"; then ERRMSG="server file differs from the source"
  else OUT[stor]=$(mbps "$BIG_BYTES" "$DT"); fi
  rm -f "$target"
}
# lftp_run SERVER LOGBASE COMMANDS: one lftp process, no TLS, no retries.
lftp_run() {
  local s=$1 base=$2 cmds=$3 dbg=
  [[ $LFTP_DEBUG == 1 ]] && dbg="debug -t -o $base.debug 5;"
  HOME=$WORK/lftp-home timeout 300 lftp -c "set ftp:ssl-allow no; set net:max-retries 1; \
set net:timeout 30; set net:reconnect-interval-base 1; set xfer:log no; set cmd:interactive no; \
$dbg open -u $FTP_USER,$PW -p ${PORT[$s]} 127.0.0.1; $cmds" >"$base.out" 2>"$base.err"
}
# tree_root DIR: the directory under DIR holding d0/ .. d9/.
tree_root() { local m; m=$(find "$1" -path '*/d0/f000' -print -quit 2>/dev/null); [[ -n $m ]] && dirname "$(dirname "$m")"; }
mirror_get() { # SERVER REP KEY LFTP-MIRROR-OPTIONS
  local s=$1 r=$2 key=$3 opts=$4 dst=$WORK/got-$1-$2 rc=0 b=$LOGS/$1-$3-$2 root
  rm -rf "$dst"
  t_start $((SMALL_FILES * SMALL_KIB * 1024))
  lftp_run "$s" "$b" "mirror $opts tree $dst" || rc=$?
  t_stop
  root=$(tree_root "$dst" || true)
  if ((rc != 0)); then ERRMSG="lftp exit $rc: $(errtail "$b.err")"
  elif [[ -z $root ]] || ! diff -rq "$TREE" "$root" >"$b.diff" 2>&1; then ERRMSG="local tree differs: $(errtail "$b.diff")"
  else OUT[$key]=$(per_s "$SMALL_FILES" "$DT"); fi
  rm -rf "$dst"
}
rep_mirror() { mirror_get "$1" "$2" mirror ""; }
rep_mirror_p4() { mirror_get "$1" "$2" mirror_p4 "--parallel=4"; }
rep_mirror_r() {
  local s=$1 r=$2 dst=${HOMEDIR[$1]}/up$2 rc=0 b=$LOGS/$1-mirror-R-$2 root
  rm -rf "$dst"
  t_start $((SMALL_FILES * SMALL_KIB * 1024))
  lftp_run "$s" "$b" "mirror -R $TREE up$r" || rc=$?
  t_stop
  root=$(tree_root "$dst" || true)
  if ((rc != 0)); then ERRMSG="lftp exit $rc: $(errtail "$b.err")"
  elif [[ -z $root ]] || ! diff -rq "$TREE" "$root" >"$b.diff" 2>&1; then ERRMSG="server tree differs: $(errtail "$b.diff")"
  else OUT[mirror_r]=$(per_s "$SMALL_FILES" "$DT"); fi
  rm -rf "$dst"
}
# Timed inside Python (the loop only, not the interpreter's start).
rep_logins() {
  local s=$1 r=$2 e=$LOGS/$1-logins-$2.err out rc=0
  wait_quiet
  out=$(timeout 300 "$PY" - "${PORT[$s]}" "$FTP_USER" "$PW" "$LOGINS" 2>"$e" <<'EOF'
import ftplib, sys, time
port, user, pw, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.perf_counter()
for _ in range(n):
    f = ftplib.FTP()
    f.connect("127.0.0.1", port, timeout=10)
    f.login(user, pw)
    f.quit()
print(round((time.perf_counter() - t0) * 1e6))
EOF
  ) || rc=$?
  if ((rc != 0)) || [[ ! $out =~ ^[0-9]+$ ]]; then ERRMSG="ftplib exit $rc: $(errtail "$e")"
  else OUT[logins]=$(per_s "$LOGINS" "$out"); fi
}
# Memory: pss_sample.py over the server's process tree while the clients run.
kib_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
pss_once() { "$PY" "$SAMPLER" "$1" --once | sed -n 's/.* last_kib=\([0-9]*\).*/\1/p'; }
# with_sampler SERVER KEY COMMAND...: runs COMMAND while sampling; sets
# PEAK_KIB, PEAK_PROCS, BEFORE_KIB, AFTER_KIB (SETTLE s after) and CMD_OUT, CMD_RC.
with_sampler() {
  local s=$1 key=$2 sp smaps=() line
  shift 2
  [[ $s == ferryd && $SMAPS == 1 ]] && smaps=(--smaps-at-peak "$LOGS/ferryd-smaps-$key.txt")
  BEFORE_KIB=$(pss_once "${PID[$s]}")
  "$PY" "$SAMPLER" "${PID[$s]}" --interval-ms 50 --max-seconds 300 "${smaps[@]}" >"$LOGS/pss-$s-$key.txt" &
  sp=$!
  SAMPLERS+=("$sp")
  sleep 0.2 # its first sample
  CMD_RC=0
  CMD_OUT=$("$@" 2>"$LOGS/$s-$key.err" | tail -1) || CMD_RC=$?
  kill -TERM "$sp" 2>/dev/null
  wait "$sp" 2>/dev/null || true
  local keep=() q
  for q in "${SAMPLERS[@]}"; do [[ $q == "$sp" ]] || keep+=("$q"); done
  SAMPLERS=("${keep[@]}")
  line=$(cat "$LOGS/pss-$s-$key.txt")
  PEAK_KIB=$(sed -n 's/.*peak_kib=\([0-9]*\).*/\1/p' <<<"$line")
  PEAK_PROCS=$(sed -n 's/.*procs_at_peak=\([0-9]*\).*/\1/p' <<<"$line")
  sleep "$SETTLE"
  AFTER_KIB=$(pss_once "${PID[$s]}")
}
rep_c50() {
  local s=$1 r=$2
  t_start $((CONC * CONC_BYTES))
  with_sampler "$s" c50 timeout "$TIMEOUT_BIG" "$RECV" --port "${PORT[$s]}" --user "$FTP_USER" --pass "$PW" \
    --file mid.bin --expect "$CONC_BYTES" --clients "$CONC" --timeout 60
  if ((CMD_RC != 0)) || [[ $CMD_OUT != RECV* ]]; then
    ERRMSG="ftp_recv_bench --clients $CONC exit $CMD_RC: $(errtail "$LOGS/$s-c50.err")"; return
  fi
  OUT[c50]=$(mbps $((CONC * CONC_BYTES)) "$(recv_kv wall_us "$CMD_OUT")")
  local rc_n; rc_n=$(recv_kv reconnects "$CMD_OUT")
  ((${rc_n:-0} == 0)) || EXTRA[c50,$s]+="${EXTRA[c50,$s]:+ }run $r: $rc_n reconnects"
  OUT[c50_peak]=$(kib_mib "$PEAK_KIB") OUT[c50_after]=$(kib_mib "$AFTER_KIB")
  EXTRA[c50_peak,$s]+="${EXTRA[c50_peak,$s]:+ }before $(kib_mib "$BEFORE_KIB")/peak $(kib_mib "$PEAK_KIB") MiB in $PEAK_PROCS procs"
}
rep_c300() {
  local s=$1 r=$2 us
  wait_quiet
  with_sampler "$s" c300 timeout 120 "$RECV" --port "${PORT[$s]}" --user "$FTP_USER" --pass "$PW" \
    --login-only --clients "$LOGIN_CLIENTS" --hold-ms 500 --timeout 20
  if ((CMD_RC != 0)) || [[ $CMD_OUT != RECV* ]]; then
    ERRMSG="ftp_recv_bench --login-only exit $CMD_RC: $(errtail "$LOGS/$s-c300.err")"; return
  fi
  us=$(recv_kv wall_us "$CMD_OUT")
  local rc_n; rc_n=$(recv_kv reconnects "$CMD_OUT")
  ((${rc_n:-0} == 0)) || EXTRA[c300_time,$s]+="${EXTRA[c300_time,$s]:+ }run $r: $rc_n reconnects"
  OUT[c300_time]=$(awk -v u="$us" 'BEGIN { printf "%.3f", u / 1e6 }')
  OUT[c300_peak]=$(kib_mib "$PEAK_KIB")
  EXTRA[c300_peak,$s]+="${EXTRA[c300_peak,$s]:+ }before $(kib_mib "$BEFORE_KIB")/peak $(kib_mib "$PEAK_KIB")/after $(kib_mib "$AFTER_KIB") MiB in $PEAK_PROCS procs"
}

# ---- rows -------------------------------------------------------------------------------
KEYS=()
declare -A LABEL=() UNIT=() DIR=() RUNS=() RUNS_SHOWN=() ERRS=()
# key KEY LABEL UNIT hi|lo
key() { KEYS+=("$1"); LABEL[$1]=$2 UNIT[$1]=$3 DIR[$1]=$4; }
# run_row ROW KEY...: REPS rounds, each round one run per server (interleaved,
# so slow drifts of the machine's load hit every server alike).
run_row() {
  local row=$1 r s k
  shift
  log "${LABEL[$1]} (median of $REPS)"
  for r in $(seq "$REPS"); do
    for s in "${UP[@]}"; do
      if ! alive "$s"; then for k; do ERRS[$k,$s]+="${ERRS[$k,$s]:+; }run $r: server died before it"; done; continue; fi
      OUT=() ERRMSG=''
      "rep_$row" "$s" "$r" || true
      if [[ -z $ERRMSG ]] && ! alive "$s"; then ERRMSG="server died during the run"; fi
      if [[ -n $ERRMSG ]]; then
        # A failed run is shown and left out of the median; the others go on.
        for k; do
          ERRS[$k,$s]+="${ERRS[$k,$s]:+; }run $r: $ERRMSG"
          RUNS_SHOWN[$k,$s]+="${RUNS_SHOWN[$k,$s]:+ }FAIL"
        done
        log "  $s run $r: FAILED: $ERRMSG"
        [[ $s == ferryd ]] && FAILED=1
        continue
      fi
      local msg=
      for k; do
        RUNS[$k,$s]+="${RUNS[$k,$s]:+ }${OUT[$k]}"
        RUNS_SHOWN[$k,$s]+="${RUNS_SHOWN[$k,$s]:+ }${OUT[$k]}"
        msg+=" ${OUT[$k]} ${UNIT[$k]};"
      done
      log "  $s run $r:${msg%;}"
    done
  done
}
median() { tr ' ' '\n' <<<"$1" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

SZ="${BIG_MIB} MiB"
((BIG_MIB == 1024)) && SZ="1 GiB"
TR="$SMALL_FILES x $SMALL_KIB KiB"
key retr "RETR $SZ, ftp_recv_bench" MB/s hi
key curl_retr "curl RETR $SZ -> /tmp file" MB/s hi
key stor "curl STOR $SZ" MB/s hi
key mirror "lftp mirror $TR (get)" files/s hi
key mirror_r "lftp mirror -R $TR (put)" files/s hi
key mirror_p4 "lftp mirror --parallel=4 $TR" files/s hi
key logins "ftplib login+QUIT x $LOGINS" logins/s hi
key c50 "$CONC x RETR $CONC_MIB MiB, aggregate" MB/s hi
key c50_peak "$CONC x RETR: server PSS peak" MiB lo
key c50_after "$CONC x RETR: PSS ${SETTLE} s after" MiB lo
key c300_time "$LOGIN_CLIENTS x connect+login: wall" s lo
key c300_peak "$LOGIN_CLIENTS x connect+login: PSS peak" MiB lo

ROW_ORDER=()
for row in retr curl_retr stor mirror mirror_r mirror_p4 logins c50 c300; do
  want_row "$row" || continue
  case $row in
    c50) run_row c50 c50 c50_peak c50_after; ROW_ORDER+=(c50 c50_peak c50_after) ;;
    c300) run_row c300 c300_time c300_peak; ROW_ORDER+=(c300_time c300_peak) ;;
    *) run_row "$row" "$row"; ROW_ORDER+=("$row") ;;
  esac
done

for s in "${UP[@]}"; do
  alive "$s" || NOTE[$s]="died (see $LOGS/$s.*)"
  [[ $s == ferryd ]] && ! alive ferryd && FAILED=1
done
LOG1=$(log_bytes)
LOG_DETAIL=
for f in "$FERRYD_ROOT"/log/* "$LOGS/ferryd.out" "$LOGS/ferryd.err"; do
  [[ -f $f ]] && LOG_DETAIL+=" $(basename "$f") $(stat -c %s "$f"),"
done
for s in "${UP[@]}"; do stop_pid "${PID[$s]}"; PID[$s]=; done
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report -----------------------------------------------------------------------------
cell() { # KEY SERVER: the median of the runs that worked; FAIL if none did
  if [[ -n ${RUNS[$1,$2]:-} ]]; then median "${RUNS[$1,$2]}"
  elif [[ -n ${ERRS[$1,$2]:-} ]]; then echo FAIL
  else echo n/a; fi
}
short() { case $1 in pyftpdlib) echo pyftpd ;; pure-ftpd) echo pure ;; *) echo "$1" ;; esac; }
echo
echo "ferry FTP benchmark — $START_DATE, kernel $(uname -r), $(nproc) cores, commit $COMMIT, loopback 127.0.0.1$([[ $SMALL == 1 ]] && echo ', SMALL=1 (smoke run)')"
for s in "${ALL_SERVERS[@]}"; do
  if [[ " ${UP[*]} " == *" $s "* ]]; then
    printf '  %-9s %s; port %s, passive %s\n' "$s" "${VERSION[$s]}" "${PORT[$s]}" "$(pasv_range "$s")"
  else
    printf '  %-9s %s\n' "$s" "${NOTE[$s]:-not run (not in SERVERS)}"
  fi
done
echo "clients: ftp_recv_bench (1 MiB recv, discards), $(curl --version | head -1 | cut -d' ' -f1-2), $(lftp --version | head -1 | sed 's/.*Version \([^ ]*\).*/lftp \1/'), python $("$PY" -c 'import platform; print(platform.python_version())') ftplib"
echo "median of $REPS runs, interleaved across servers; MB/s = 10^6 bytes/s over the whole client command; MiB = 2^20 bytes of PSS (all the server's processes)"
echo "ratio: ferryd / best peer for rates, best peer / ferryd for s and MiB (>= 1.00: ferryd is ahead)"
echo
W=38
hdr=(ferryd)
for s in "${PEERS[@]}"; do hdr+=("$(short "$s")"); done
printf '%-*s' $W row; printf ' %8s' "${hdr[@]}" best ratio; printf ' %7s\n' verdict
printf '%s\n' "$(printf '%.0s-' $(seq $((W + 9 * 7 + 8))))"
for k in "${ROW_ORDER[@]}"; do
  f=$(cell "$k" ferryd)
  best='' vals=("$f")
  for s in "${PEERS[@]}"; do
    c=$(cell "$k" "$s")
    vals+=("$c")
    [[ $c =~ ^[0-9.]+$ ]] || continue
    if [[ -z $best ]]; then best=$c
    elif [[ ${DIR[$k]} == hi ]] && flt_lt "$best" "$c"; then best=$c
    elif [[ ${DIR[$k]} == lo ]] && flt_lt "$c" "$best"; then best=$c; fi
  done
  ratio=- verdict=n/a
  if [[ $f == FAIL ]]; then verdict=FAIL
  elif [[ -n ${ERRS[$k,ferryd]:-} ]]; then verdict=FAIL
  elif [[ -n $best && $f =~ ^[0-9.]+$ ]]; then
    if [[ ${DIR[$k]} == hi ]]; then ratio=$(awk -v a="$f" -v b="$best" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    else ratio=$(awk -v a="$f" -v b="$best" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }'); fi
    if flt_lt "$ratio" 1.00; then verdict=MISS; else verdict=PASS; fi
  fi
  printf '%-*s' $W "${LABEL[$k]} (${UNIT[$k]})"; printf ' %8s' "${vals[@]}" "${best:--}" "$ratio"; printf ' %7s\n' "$verdict"
done
if want_row retr && [[ -n $DOWN_LIMIT ]]; then
  printf '%-*s' $W "RETR / loopback limit ($DOWN_LIMIT MB/s)"
  for s in ferryd "${PEERS[@]}"; do
    c=$(cell retr "$s")
    if [[ $c =~ ^[0-9.]+$ ]]; then printf ' %8s' "$(awk -v a="$c" -v b="$DOWN_LIMIT" 'BEGIN { printf "%.2f", a / b }')"; else printf ' %8s' "$c"; fi
  done
  c=$(cell retr ferryd) verdict=FAIL
  if [[ $c =~ ^[0-9.]+$ ]]; then if flt_lt "$(awk -v a="$c" -v b="$DOWN_LIMIT" 'BEGIN { print a / b }')" 0.85; then verdict=MISS; else verdict=PASS; fi; fi
  printf ' %8s %8s %7s\n' - ">=0.85" "$verdict"
fi
echo
if [[ -n $DOWN_LIMIT ]]; then
  echo "loopback limit ($LIMIT_SRC): download $DOWN_LIMIT MB/s ($DOWN_PATH into a discarding 1 MiB-recv receiver)"
else
  echo "loopback limit: none (${LIMIT_SRC:-LIMIT=0})"
fi
echo "runs:"
for k in "${ROW_ORDER[@]}"; do
  line="  ${LABEL[$k]}:"
  for s in ferryd "${PEERS[@]}"; do
    [[ -n ${RUNS_SHOWN[$k,$s]:-} ]] || continue
    line+=" $s ${RUNS_SHOWN[$k,$s]}${PHASE[$k,$s]:+ (data phase: ${PHASE[$k,$s]})}${EXTRA[$k,$s]:+ (${EXTRA[$k,$s]})}${ERRS[$k,$s]:+ [${ERRS[$k,$s]}]};"
  done
  echo "${line%;}"
done
echo "ferryd log volume over the run: $((LOG1 - LOG0)) bytes (at the end:${LOG_DETAIL%,})"
echo "load average at the end: $END_LOAD${LOAD_NOTE:+; $LOAD_NOTE}"
((NOISY_RUNS == 0)) || echo "$NOISY_RUNS runs started while other processes used >= $BUSY_MAX cores (see noise.txt in the logs)"
if ((FAILED)); then echo "ferryd FAILED some rows (logs kept, see above)"; exit 1; fi
