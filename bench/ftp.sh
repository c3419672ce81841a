#!/usr/bin/env bash
# bench/ftp.sh [BUILD_DIR] — ferryd's FTP front-end against two other FTP
# servers, side by side, on loopback, in one run:
#   ferryd (ferryd serve --ftp-listen), vsftpd (standalone, generated config)
#   and pyftpdlib (python3-pyftpdlib, a tiny generated script).
# Each server runs from a temp dir on its own loopback port and passive port
# range, with the same user and password and a home holding the same data.
# Rows (best of REPS, repetitions interleaved across the servers):
#   1. curl RETR of a 1 GiB file (page cache -> a file in /tmp) and curl STOR
#      of it (MB/s); both verified byte for byte;
#   2. lftp `mirror` and `mirror -R` of a tree of 1,000 x 4 KiB files
#      (files/s over the whole lftp command, login included; diff -r);
#   3. sequential Python ftplib logins (connect, USER/PASS, QUIT) per second.
# The table shows ferryd / best peer and PASS/MISS against >= 1.00, and,
# when BUILD_DIR/bench/tcp_limit_bench exists, RETR against the machine's
# single-stream download limit (target >= 0.85).
# Not a test: numbers depend on the machine. Installs vsftpd and
# python3-pyftpdlib when missing (scripts/install-bench-deps.sh, which starts
# no service; INSTALL=0 to forbid), creates
# the local system user ferrybench for vsftpd (kept, password locked at exit).
#
# Environment knobs (defaults in brackets):
#   REPS [3]            repetitions per row and server, best one reported
#   BIG_MIB [1024]      size of the big file
#   SMALL_FILES [1000] SMALL_KIB [4]   the tree (10 directories)
#   LOGINS [500]        sequential logins per run
#   SERVERS ["ferryd vsftpd pyftpdlib"]  which servers to run
#   BENCH_TMP [/tmp]    where the work directory is created
#   SRC_FILE []         reuse an existing big file instead of generating one
#   LIMIT_LINE []       a "LIMIT download_MBps=..." line from tcp_limit_bench
#                       (skips running it); LIMIT=0 skips the limit rows
#   LOAD_MAX [1.5] LOAD_WAIT [300]  wait (at most LOAD_WAIT s) for the 1-min
#                       load average to drop below LOAD_MAX before starting
#   BUSY_MAX [0.5] BUSY_WAIT [15]   before each timed run, wait (at most
#                       BUSY_WAIT s) until other processes use < BUSY_MAX cores
#   PASV_BASE [20100]   first passive port (3 ranges of 200 from there)
#   TIMEOUT_BIG [180]   seconds allowed for one 1 GiB transfer
#   INSTALL [1]         install missing vsftpd / python3-pyftpdlib
#   VSFTPD_CRYPT [sha512]  how ferrybench's password is stored for PAM:
#                       sha512 = SHA-512-crypt, 5000 rounds (~ms per check);
#                       system = chpasswd's choice (yescrypt on Debian 12:
#                       ~0.1-0.3 s of CPU per login, paid by every curl run)
#   VSFTPD_ISOLATE [NO] vsftpd isolate/isolate_network (YES = its default:
#                       a new network namespace per session)
#   KEEP_LOGS [0]       keep the log directory even when all went well
#   LFTP_DEBUG [0]      write lftp debug logs (commands sent) to the log dir
#   FERRYD_ARGS []      extra `ferryd serve` flags (e.g. --threads 1)
#   FERRYD_CONFIG []    extra top-level ferryd.toml lines, e.g.
#                       'download_method = "sendfile"'
#   FERRYD_PASV [range] range: [ftp] pasv_ports = its range (like the peers);
#                       any: no pasv_ports (ferryd binds any free port)
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
[[ -x $FERRYD ]] || die "missing $FERRYD (build it: cmake --build $BUILD --target ferryd tcp_limit_bench)"

REPS=${REPS:-3}
BIG_MIB=${BIG_MIB:-1024}
SMALL_FILES=${SMALL_FILES:-1000}
SMALL_KIB=${SMALL_KIB:-4}
LOGINS=${LOGINS:-500}
read -r -a SERVERS <<<"${SERVERS:-ferryd vsftpd pyftpdlib}"
BENCH_TMP=${BENCH_TMP:-/tmp}
LOAD_MAX=${LOAD_MAX:-1.5}
LOAD_WAIT=${LOAD_WAIT:-300}
BUSY_MAX=${BUSY_MAX:-0.5}
BUSY_WAIT=${BUSY_WAIT:-15}
PASV_BASE=${PASV_BASE:-20100}
TIMEOUT_BIG=${TIMEOUT_BIG:-180}
INSTALL=${INSTALL:-1}
VSFTPD_ISOLATE=${VSFTPD_ISOLATE:-NO}
VSFTPD_CRYPT=${VSFTPD_CRYPT:-sha512}
KEEP_LOGS=${KEEP_LOGS:-0}
LFTP_DEBUG=${LFTP_DEBUG:-0}
read -r -a FERRYD_EXTRA <<<"${FERRYD_ARGS:-}"
FERRYD_CONFIG=${FERRYD_CONFIG:-}
FERRYD_PASV=${FERRYD_PASV:-range}
[[ $FERRYD_PASV == range || $FERRYD_PASV == any ]] || die "FERRYD_PASV must be range or any"
PY=/usr/bin/python3 # the system python: python3-pyftpdlib lives there
FTP_USER=ferrybench
PW=fb-$$-$RANDOM$RANDOM # letters, digits and '-': safe in URLs and lftp
BIG_BYTES=$((BIG_MIB * 1048576))
((SMALL_FILES % 10 == 0)) || die "SMALL_FILES must be a multiple of 10"
[[ -x $PY ]] || die "$PY not found"
for t in curl lftp; do command -v "$t" >/dev/null || die "$t not found (apt-get install -y $t)"; done

# ---- space check ---------------------------------------------------------------
# At once: the source, one downloaded copy, one uploaded copy, trees, slack.
need_mib=$((BIG_MIB * 3 + 1024))
[[ -n ${SRC_FILE:-} ]] && need_mib=$((need_mib - BIG_MIB))
avail_kib=$(df -Pk "$BENCH_TMP" | tail -1 | tr -s ' ' | cut -d' ' -f4)
((avail_kib / 1024 >= need_mib)) || die "$BENCH_TMP has $((avail_kib / 1024)) MiB free, need ~$need_mib MiB"

WORK=$(mktemp -d "$BENCH_TMP/ferry-ftpbench.XXXXXX")
chmod 755 "$WORK" # vsftpd sessions run as $FTP_USER and must reach their home
LOGS=$WORK/logs
mkdir -p "$LOGS"
FAILED=0
declare -A PID=() PORT=() HOMEDIR=() NOTE=() VERSION=()
UP=() # servers that started and accepted a login

cleanup() {
  local rc=$? s
  set +e
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

# fill_home DIR: the big file as a hard link (one inode, so one copy in the
# page cache for all servers; read-only for them) and a copy of the tree.
fill_home() {
  ln "$BIG" "$1/big.bin" 2>/dev/null || cp "$BIG" "$1/big.bin"
  cp -r "$TREE" "$1/tree"
}

# ---- 0. the single-stream limit (optional) ------------------------------------------
DOWN_LIMIT='' UP_LIMIT='' RW_LIMIT='' LIMIT_SRC=''
if [[ ${LIMIT:-1} != 0 ]]; then
  if [[ -n ${LIMIT_LINE:-} ]]; then
    limit_line=$LIMIT_LINE LIMIT_SRC="LIMIT_LINE"
  elif [[ -x $LIMIT_BENCH ]]; then
    log "tcp_limit_bench (best of $REPS per path)"
    if "$LIMIT_BENCH" "$BIG" --reps "$REPS" --tmpdir "$WORK" >"$LOGS/tcp_limit.txt" 2>&1; then :; else
      log "tcp_limit_bench failed: $(tail -c 300 "$LOGS/tcp_limit.txt")"
    fi
    limit_line=$(grep '^LIMIT ' "$LOGS/tcp_limit.txt" | tail -1 || true)
    LIMIT_SRC="tcp_limit_bench, best of $REPS"
  else
    limit_line='' LIMIT_SRC="$LIMIT_BENCH not built"
  fi
  kv() { local k; for k in $limit_line; do if [[ $k == "$1="* ]]; then echo "${k#*=}"; fi; done; }
  if [[ -n $limit_line ]]; then
    DOWN_LIMIT=$(kv download_MBps) UP_LIMIT=$(kv upload_MBps)
    DOWN_PATH=$(kv best_download_path) UP_PATH=$(kv best_upload_path)
    # curl -o is a recv+write receiver: its own limit, when printed.
    RW_LIMIT=$(kv upload_recv_write_MBps)
    [[ $RW_LIMIT =~ ^[1-9][0-9]*$ ]] || RW_LIMIT=
  fi
fi

# ---- servers -----------------------------------------------------------------------
PASV0=$(pick_pasv_base)
declare -A PASV_LO=()
PASV_LO[ferryd]=$PASV0 PASV_LO[vsftpd]=$((PASV0 + 200)) PASV_LO[pyftpdlib]=$((PASV0 + 400))
pasv_range() {
  if [[ $1 == ferryd && $FERRYD_PASV == any ]]; then echo "any (no pasv_ports)"
  else echo "${PASV_LO[$1]}-$((PASV_LO[$1] + 199))"; fi
}

start_ferryd() {
  local root=$WORK/ferryd p=
  "$FERRYD" init --root "$root" >"$LOGS/ferryd-init.txt" 2>&1 ||
    { fail_start "ferryd init failed: $(tail -c 200 "$LOGS/ferryd-init.txt")"; return 1; }
  echo "$PW" | "$FERRYD" user add "$FTP_USER" --root "$root" --password-stdin >"$LOGS/ferryd-useradd.txt" 2>&1 ||
    { fail_start "ferryd user add failed: $(tail -c 200 "$LOGS/ferryd-useradd.txt")"; return 1; }
  # ferryd init writes only comments: top-level keys may follow, then [ftp].
  [[ -n $FERRYD_CONFIG ]] && printf '\n%s\n' "$FERRYD_CONFIG" >>"$root/ferryd.toml"
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
  VERSION[ferryd]="ferryd $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src apps 2>/dev/null || echo '+dirty') ($BUILD)${FERRYD_CONFIG:+, $FERRYD_CONFIG}${FERRYD_EXTRA[*]:+, ${FERRYD_EXTRA[*]}}"
}

start_vsftpd() {
  ensure_pkg vsftpd test -x /usr/sbin/vsftpd || return 1
  ensure_user || return 1
  local dir=$WORK/vsftpd plo=${PASV_LO[vsftpd]} phi=$((PASV_LO[vsftpd] + 199))
  mkdir -p "$dir/home"
  fill_home "$dir/home"
  chown "$FTP_USER:" "$dir/home" # not -R: big.bin is a hard link to the source
  chown -R "$FTP_USER:" "$dir/home/tree"
  PORT[vsftpd]=$(free_port)
  HOMEDIR[vsftpd]=$dir/home
  mkdir -p /var/run/vsftpd/empty # secure_chroot_dir (the package makes it too)
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
pasv_min_port=$plo
pasv_max_port=$phi
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
  VERSION[vsftpd]="vsftpd $(dpkg-query -W -f '${Version}' vsftpd 2>/dev/null), PAM, password hash $CRYPT_NAME, isolate=$VSFTPD_ISOLATE"
}

start_pyftpdlib() {
  ensure_pkg python3-pyftpdlib "$PY" -c 'import pyftpdlib' || return 1
  local dir=$WORK/pyftpdlib
  mkdir -p "$dir/home"
  fill_home "$dir/home"
  PORT[pyftpdlib]=$(free_port)
  HOMEDIR[pyftpdlib]=$dir/home
  # Its default logging (INFO: logins and transfers, like ferryd's) goes to a file.
  "$PY" -c '
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
port, user, pw, home, lo, hi = sys.argv[1:7]
auth = DummyAuthorizer()
auth.add_user(user, pw, home, perm="elradfmwMT")
FTPHandler.authorizer = auth
FTPHandler.passive_ports = range(int(lo), int(hi) + 1)
FTPServer(("127.0.0.1", int(port)), FTPHandler).serve_forever()
' "${PORT[pyftpdlib]}" "$FTP_USER" "$PW" "$dir/home" "${PASV_LO[pyftpdlib]}" $((PASV_LO[pyftpdlib] + 199)) \
    >"$LOGS/pyftpdlib.out" 2>"$LOGS/pyftpdlib.err" &
  PID[pyftpdlib]=$!
  wait_port "${PORT[pyftpdlib]}" "${PID[pyftpdlib]}" 10 ||
    { fail_start "did not listen: $(tail -c 300 "$LOGS/pyftpdlib.err")"; return 1; }
  VERSION[pyftpdlib]="pyftpdlib $("$PY" -c 'import pyftpdlib; print(pyftpdlib.__ver__)')"
}

for s in "${SERVERS[@]}"; do
  case $s in ferryd | vsftpd | pyftpdlib) ;; *) die "unknown server '$s' in SERVERS" ;; esac
  log "starting $s"
  PID[$s]='' START_ERR=''
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

# ---- one timed run per row -----------------------------------------------------------
# rep_ROW SERVER REP: sets VAL (integer, higher is better) or ERRMSG.
url() { echo "ftp://$FTP_USER:$PW@127.0.0.1:${PORT[$1]}/$2"; }
errtail() { tail -c 200 "$1" 2>/dev/null | tr '\n' ' '; }
# Each run starts with the source in the page cache and as much freshly freed
# memory as it will write (lib.sh: this VM returns idle memory to its host).
t_start() { sync; cat "$BIG" >/dev/null; wait_quiet; prefault_page_cache "$WORK" "$BIG_BYTES"; T0=$(now_us); }
t_stop() { DT=$(($(now_us) - T0)); ((DT > 0)) || DT=1; }

# curl's own pretransfer/total times give the data phase alone (login,
# TYPE, SIZE, EPSV excluded): kept in PHASE as info.
phase() { # "PRETRANSFER TOTAL" -> MB/s of the data phase
  awk -v b="$BIG_BYTES" '{ d = $2 - $1; if (d > 0) printf "%d", b / d / 1e6 + 0.5; else print 0 }' <<<"$1"
}
declare -A PHASE=()
rep_retr() {
  local s=$1 r=$2 out=$WORK/dl.bin rc=0 e=$LOGS/$1-retr-$2.err w
  rm -f "$out"
  t_start
  w=$(timeout "$TIMEOUT_BIG" curl -sS --connect-timeout 10 -w '%{time_pretransfer} %{time_total}' \
    -o "$out" "$(url "$s" big.bin)" 2>"$e") || rc=$?
  t_stop
  ((rc != 0)) || PHASE[retr,$s]+="${PHASE[retr,$s]:+ }$(phase "$w")"
  if ((rc != 0)); then ERRMSG="curl exit $rc: $(errtail "$e")"
  elif ! cmp -s "$BIG" "$out"; then ERRMSG="downloaded file differs from the source"
  else VAL=$(mbps "$BIG_BYTES" "$DT"); fi
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
  else VAL=$(mbps "$BIG_BYTES" "$DT"); fi
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
rep_mirror() {
  local s=$1 r=$2 dst=$WORK/got-$1-$2 rc=0 b=$LOGS/$1-mirror-$2 root
  rm -rf "$dst"
  t_start
  lftp_run "$s" "$b" "mirror tree $dst" || rc=$?
  t_stop
  root=$(tree_root "$dst" || true)
  if ((rc != 0)); then ERRMSG="lftp exit $rc: $(errtail "$b.err")"
  elif [[ -z $root ]] || ! diff -rq "$TREE" "$root" >"$b.diff" 2>&1; then ERRMSG="local tree differs: $(errtail "$b.diff")"
  else VAL=$(per_s "$SMALL_FILES" "$DT"); fi
  rm -rf "$dst"
}
rep_mirror_r() {
  local s=$1 r=$2 dst=${HOMEDIR[$1]}/up$2 rc=0 b=$LOGS/$1-mirror-R-$2 root
  rm -rf "$dst"
  t_start
  lftp_run "$s" "$b" "mirror -R $TREE up$r" || rc=$?
  t_stop
  root=$(tree_root "$dst" || true)
  if ((rc != 0)); then ERRMSG="lftp exit $rc: $(errtail "$b.err")"
  elif [[ -z $root ]] || ! diff -rq "$TREE" "$root" >"$b.diff" 2>&1; then ERRMSG="server tree differs: $(errtail "$b.diff")"
  else VAL=$(per_s "$SMALL_FILES" "$DT"); fi
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
  else VAL=$(per_s "$LOGINS" "$out"); fi
}

# ---- rows -------------------------------------------------------------------------------
ROW_KEYS=()
declare -A ROW_LABEL=() ROW_UNIT=() BEST=() RUNS=() CELL_ERR=()
# run_row KEY LABEL UNIT: REPS rounds, each round one run per server (interleaved,
# so slow drifts of the machine's load hit every server alike).
run_row() {
  local key=$1 r s
  ROW_KEYS+=("$key") ROW_LABEL[$key]=$2 ROW_UNIT[$key]=$3
  log "$2 (best of $REPS)"
  for r in $(seq "$REPS"); do
    for s in "${UP[@]}"; do
      [[ -n ${CELL_ERR[$key,$s]:-} ]] && continue
      if ! alive "$s"; then CELL_ERR[$key,$s]="server died"; continue; fi
      VAL='' ERRMSG=''
      "rep_$key" "$s" "$r" || true
      if [[ -z $ERRMSG ]] && ! alive "$s"; then ERRMSG="server died during the run"; fi
      if [[ -n $ERRMSG ]]; then
        CELL_ERR[$key,$s]=$ERRMSG
        log "  $s run $r: FAILED: $ERRMSG"
        [[ $s == ferryd ]] && FAILED=1
        continue
      fi
      RUNS[$key,$s]+="${RUNS[$key,$s]:+ }$VAL"
      ((${BEST[$key,$s]:-0} >= VAL)) || BEST[$key,$s]=$VAL
      log "  $s run $r: $VAL ${ROW_UNIT[$key]}"
    done
  done
}

SZ="${BIG_MIB} MiB"
((BIG_MIB == 1024)) && SZ="1 GiB"
TR="$SMALL_FILES x $SMALL_KIB KiB"
run_row retr "curl RETR $SZ -> /tmp file" "MB/s"
run_row stor "curl STOR $SZ" "MB/s"
run_row mirror "lftp mirror $TR" "files/s"
run_row mirror_r "lftp mirror -R $TR" "files/s"
run_row logins "ftplib logins x $LOGINS" "logins/s"

for s in "${UP[@]}"; do
  alive "$s" || NOTE[$s]="died (see $LOGS/$s.*)"
  [[ $s == ferryd ]] && ! alive ferryd && FAILED=1
done
declare -A HWM=()
for s in "${UP[@]}"; do # the listener's peak RSS (vsftpd: the parent only)
  alive "$s" && HWM[$s]=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/${PID[$s]}/status")
done
for s in "${UP[@]}"; do stop_pid "${PID[$s]}"; PID[$s]=; done
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report -----------------------------------------------------------------------------
cell() { # KEY SERVER
  if [[ -n ${CELL_ERR[$1,$2]:-} ]]; then echo FAIL
  elif [[ -n ${BEST[$1,$2]:-} ]]; then echo "${BEST[$1,$2]}"
  else echo n/a; fi
}
echo
echo "ferry FTP benchmark — $(uname -r), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), loopback 127.0.0.1"
for s in ferryd vsftpd pyftpdlib; do
  if [[ " ${UP[*]} " == *" $s "* ]]; then
    printf '  %-9s %s, port %s, passive %s\n' "$s" "${VERSION[$s]}" "${PORT[$s]}" "$(pasv_range "$s")"
  else
    printf '  %-9s %s\n' "$s" "${NOTE[$s]:-not run (not in SERVERS)}"
  fi
done
echo "clients: $(curl --version | head -1 | cut -d' ' -f1-2), $(lftp --version | head -1 | sed 's/.*Version \([^ ]*\).*/lftp \1/'), python $("$PY" -c 'import platform; print(platform.python_version())') ftplib"
echo "best of $REPS runs, interleaved across servers; MB/s = 10^6 bytes/s over the whole client command"
echo
W=34
printf '%-*s %9s %9s %9s %12s %7s %7s\n' $W "row" ferryd vsftpd pyftpdlib "ferryd/best" target verdict
printf '%s\n' "$(printf '%.0s-' $(seq 94))"
for key in "${ROW_KEYS[@]}"; do
  f=$(cell "$key" ferryd) v=$(cell "$key" vsftpd) p=$(cell "$key" pyftpdlib)
  peer=0 ratio=- verdict=
  for s in vsftpd pyftpdlib; do
    b=${BEST[$key,$s]:-0}
    [[ -z ${CELL_ERR[$key,$s]:-} ]] && ((b > peer)) && peer=$b
  done
  if [[ $f == FAIL ]]; then verdict=FAIL
  elif ((peer == 0)); then verdict=n/a
  else
    ratio=$(fixed2 $(((f * 100 + peer / 2) / peer)))
    if ((f >= peer)); then verdict=PASS; else verdict=MISS; fi
  fi
  printf '%-*s %9s %9s %9s %12s %7s %7s\n' $W "${ROW_LABEL[$key]} (${ROW_UNIT[$key]})" "$f" "$v" "$p" "$ratio" ">=1.00" "$verdict"
done
# RETR / STOR against the single-stream limits.
if [[ -n $DOWN_LIMIT && -n $UP_LIMIT ]]; then
  lim_row() { # KEY LABEL LIMIT TARGET_X100|""
    local key=$1 label=$2 lim=$3 tgt=$4 s c out=() verdict=info
    for s in ferryd vsftpd pyftpdlib; do
      c=$(cell "$key" "$s")
      if [[ $c =~ ^[0-9]+$ ]]; then out+=("$(fixed2 $(((c * 100 + lim / 2) / lim)))"); else out+=("$c"); fi
    done
    if [[ -n $tgt ]]; then
      c=$(cell "$key" ferryd)
      if [[ $c =~ ^[0-9]+$ ]] && ((c * 1000 >= lim * tgt * 10)); then verdict=PASS
      elif [[ $c =~ ^[0-9]+$ ]]; then verdict=MISS; else verdict=FAIL; fi
      tgt=">=$(fixed2 "$tgt")"
    else tgt=-; fi
    printf '%-*s %9s %9s %9s %12s %7s %7s\n' $W "$label" "${out[@]}" "-" "$tgt" "$verdict"
  }
  lim_row retr "RETR / download limit ($DOWN_LIMIT)" "$DOWN_LIMIT" 85
  if [[ -n $RW_LIMIT ]]; then lim_row retr "RETR / recv+write limit ($RW_LIMIT)" "$RW_LIMIT" ""
  else lim_row retr "RETR / to-file limit ($UP_LIMIT)" "$UP_LIMIT" ""; fi
  lim_row stor "STOR / upload limit ($UP_LIMIT)" "$UP_LIMIT" ""
fi
echo
if [[ -n $DOWN_LIMIT ]]; then
  echo "limits ($LIMIT_SRC): download $DOWN_LIMIT MB/s ($DOWN_PATH, discarding receiver)," \
    "upload to a /tmp file $UP_LIMIT MB/s ($UP_PATH)${RW_LIMIT:+, recv+write receiver (what curl -o is) $RW_LIMIT MB/s}"
else
  echo "limits: none (${LIMIT_SRC:-LIMIT=0})"
fi
echo "runs:"
for key in "${ROW_KEYS[@]}"; do
  line="  ${ROW_LABEL[$key]}:"
  for s in ferryd vsftpd pyftpdlib; do
    if [[ -n ${CELL_ERR[$key,$s]:-} ]]; then line+=" $s FAILED (${CELL_ERR[$key,$s]}${RUNS[$key,$s]:+; before: ${RUNS[$key,$s]}});"
    elif [[ -n ${RUNS[$key,$s]:-} ]]; then line+=" $s ${RUNS[$key,$s]}${PHASE[$key,$s]:+ (data phase: ${PHASE[$key,$s]})};"
    fi
  done
  echo "${line%;}"
done
hw=
for s in "${UP[@]}"; do [[ -n ${HWM[$s]:-} ]] && hw+=" $s $((HWM[$s] / 1024)) MiB,"; done
[[ -n $hw ]] && echo "server peak RSS (listener process):${hw%,}"
echo "load average at the end: $END_LOAD${LOAD_NOTE:+; $LOAD_NOTE}"
((NOISY_RUNS == 0)) || echo "$NOISY_RUNS runs started while other processes used >= $BUSY_MAX cores (see noise.txt in the logs)"
if ((FAILED)); then echo "ferryd FAILED some rows (logs kept, see above)"; exit 1; fi
