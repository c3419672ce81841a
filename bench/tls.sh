#!/usr/bin/env bash
# bench/tls.sh [BUILD_DIR] — ferry over TLS against the TLS limit and against
# its peers, on loopback, in one run (issue "TLS on both protocols", Speed):
#   1. the TLS limit: bench/tls_limit_bench, one TLS 1.3 stream with
#      TLS_AES_128_GCM_SHA256 between two memory buffers (measured before and
#      after the transfer rows; the best is the reference). Info rows: the
#      same with AES-256-GCM and ChaCha20-Poly1305, and with a receiver that
#      writes a /tmp file;
#   2. native ferry over TLS (ferry --tls --ca CA.pem): get of a 1 GiB file
#      the server has never hashed (a fresh copy before each run) and put of
#      it; ratio to the TLS limit (target >= 0.85). The same without TLS as
#      info (what TLS costs);
#   3. OpenSSH sftp against a throwaway sshd (temp config, host key and
#      authorized key, 127.0.0.1 only) with aes128-gcm@openssh.com and
#      chacha20-poly1305@openssh.com, the faster counts: ferry / sftp
#      (target >= 3.00) down and up;
#   4. FTPS (AUTH TLS, protected data): ferryd's FTP front-end vs vsftpd vs
#      Pure-FTPd, curl RETR and STOR of the 1 GiB file; ferryd / best peer
#      (target >= 1.00).
# Every transfer is checked byte for byte. Each row is the best of REPS runs,
# interleaved across the contenders of a row; every run is printed.
# All servers get one test CA's certificate for IP 127.0.0.1 (made with the
# openssl CLI) and every client verifies it against that CA.
# Not a test: numbers depend on the machine. Runs as root: may install
# openssh-server and vsftpd (scripts/install-bench-deps.sh, which starts no
# service; INSTALL=0 forbids it) and unpack pure-ftpd's .deb under PURE_DIR
# (never installed: Debian's pure-ftpd and vsftpd conflict), makes /run/sshd, creates the local
# system user ferrybench for vsftpd and Pure-FTPd (kept, password locked at
# exit, like bench/ftp.sh). The system's sshd/FTP configs are not touched.
#
# Environment knobs (defaults in brackets):
#   REPS [3]            runs per row and contender, best one reported
#   LIMIT_REPS [5]      runs per pass of the reference TLS limit (cheap: ~1 s each)
#   BIG_MIB [1024]      size of the big file
#   SECTIONS ["limit native sftp ftps"]  which parts to run (limit is needed
#                       for the ratios to the TLS limit)
#   FTPS_SERVERS ["ferryd vsftpd pure-ftpd"]
#   SFTP_CIPHERS ["aes128-gcm@openssh.com chacha20-poly1305@openssh.com"]
#   LIMIT_INFO ["aes-256-gcm chacha20 to-file"]  extra TLS-limit info rows
#   NATIVE_PLAIN [1]    also run ferry get/put without TLS (info)
#   KEY_TYPE [ec]       server certificates: ec (P-256, as the TLS limit) or rsa (2048)
#   CURL_TLS13 [TLS_AES_128_GCM_SHA256]  curl --tls13-ciphers for every FTPS server
#   CURL_TLS12 [ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256]
#                       curl --ciphers, should a server speak only TLS 1.2
#   BENCH_TMP [/tmp]    where the work directory is created
#   SRC_FILE []         reuse an existing big file instead of generating one
#   TIMEOUT_BIG [300]   seconds allowed for one big transfer
#   INSTALL [1]         install missing peer servers
#   LOAD_MAX [1.5] LOAD_WAIT [60]  wait for the 1-min load average first
#   BUSY_MAX [0.5] BUSY_WAIT [6]    before each timed run, wait for others
#                       to use < BUSY_MAX cores
#   PASV_BASE [21100]   first passive port (3 ranges of 200)
#   VSFTPD_CRYPT [sha512] VSFTPD_ISOLATE [NO]   as in bench/ftp.sh
#   PURE_DIR [/var/cache/ferry-bench/pure-ftpd]  where pure-ftpd is unpacked
#                       when its package is not installed (it conflicts with vsftpd)
#   PURE_CRYPT [sha512] the Pure-FTPd user's hash: sha512 (SHA-512-crypt, ~ms
#                       per login) or default (pure-pw's argon2id, t=255: ~4 s
#                       per login here, paid by every curl run)
#   KEEP_LOGS [0]       keep the log directory even when all went well
#   FERRYD_ARGS []      extra `ferryd serve` flags
# Exit status: 1 if a ferry run failed or was not byte-identical (logs kept),
# 2 on setup errors, 0 otherwise (a MISS, an n/a or a failing peer is not a
# failure).
set -euo pipefail

die() { echo "tls.sh: $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# stop_pid, wait_load/wait_quiet, ensure_pkg/ensure_user, ports
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
BUILD=${1:-$REPO/build}
[[ -d $BUILD ]] || die "build directory '$BUILD' not found (usage: bench/tls.sh [BUILD_DIR])"
BUILD=$(cd "$BUILD" && pwd)
FERRYD=$BUILD/apps/ferryd
FERRY=$BUILD/apps/ferry
TLS_BENCH=$BUILD/bench/tls_limit_bench

REPS=${REPS:-3}
LIMIT_REPS=${LIMIT_REPS:-5}
BIG_MIB=${BIG_MIB:-1024}
read -r -a SECTIONS <<<"${SECTIONS:-limit native sftp ftps}"
read -r -a FTPS_SERVERS <<<"${FTPS_SERVERS:-ferryd vsftpd pure-ftpd}"
read -r -a SFTP_CIPHERS <<<"${SFTP_CIPHERS:-aes128-gcm@openssh.com chacha20-poly1305@openssh.com}"
read -r -a LIMIT_INFO <<<"${LIMIT_INFO-aes-256-gcm chacha20 to-file}"
NATIVE_PLAIN=${NATIVE_PLAIN:-1}
KEY_TYPE=${KEY_TYPE:-ec}
CURL_TLS13=${CURL_TLS13:-TLS_AES_128_GCM_SHA256}
CURL_TLS12=${CURL_TLS12:-ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256}
BENCH_TMP=${BENCH_TMP:-/tmp}
TIMEOUT_BIG=${TIMEOUT_BIG:-300}
INSTALL=${INSTALL:-1}
LOAD_MAX=${LOAD_MAX:-1.5}
LOAD_WAIT=${LOAD_WAIT:-60}
BUSY_MAX=${BUSY_MAX:-0.5}
BUSY_WAIT=${BUSY_WAIT:-6}
PASV_BASE=${PASV_BASE:-21100}
VSFTPD_CRYPT=${VSFTPD_CRYPT:-sha512}
VSFTPD_ISOLATE=${VSFTPD_ISOLATE:-NO}
PURE_CRYPT=${PURE_CRYPT:-sha512}
PURE_DIR=${PURE_DIR:-/var/cache/ferry-bench/pure-ftpd}
[[ $PURE_CRYPT == sha512 || $PURE_CRYPT == default ]] || die "PURE_CRYPT must be sha512 or default"
KEEP_LOGS=${KEEP_LOGS:-0}
read -r -a FERRYD_EXTRA <<<"${FERRYD_ARGS:-}"
PY=/usr/bin/python3
FTP_USER=ferrybench
PW=fb-$$-$RANDOM$RANDOM # letters, digits and '-': safe in URLs
BIG_BYTES=$((BIG_MIB * 1048576))
[[ $KEY_TYPE == ec || $KEY_TYPE == rsa ]] || die "KEY_TYPE must be ec or rsa"
[[ $REPS =~ ^[1-9][0-9]*$ && $LIMIT_REPS =~ ^[1-9][0-9]*$ ]] || die "REPS and LIMIT_REPS must be positive integers"
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash >= 5 (EPOCHREALTIME)"
[[ -x $PY ]] || die "$PY not found"
for t in openssl curl cmp; do command -v "$t" >/dev/null || die "$t not found"; done
want() { [[ " ${SECTIONS[*]} " == *" $1 "* ]]; }
for s in "${SECTIONS[@]}"; do case $s in limit | native | sftp | ftps) ;; *) die "unknown section '$s'" ;; esac; done
if want limit && [[ ! -x $TLS_BENCH ]]; then
  die "missing $TLS_BENCH (build it: cmake --build $BUILD --target tls_limit_bench)"
fi
if want native || { want ftps && [[ " ${FTPS_SERVERS[*]} " == *" ferryd "* ]]; }; then
  for b in "$FERRYD" "$FERRY"; do [[ -x $b ]] || die "missing $b (build it: cmake --build $BUILD --target ferryd ferry)"; done
fi

# ---- space check ---------------------------------------------------------------
# At once: the source, a fresh server copy, a downloaded copy, an uploaded copy.
need_mib=$((BIG_MIB * 4 + 1024))
[[ -n ${SRC_FILE:-} ]] && need_mib=$((need_mib - BIG_MIB))
avail_kib=$(df -Pk "$BENCH_TMP" | tail -1 | tr -s ' ' | cut -d' ' -f4)
((avail_kib / 1024 >= need_mib)) || die "$BENCH_TMP has $((avail_kib / 1024)) MiB free, need ~$need_mib MiB"

WORK=$(mktemp -d "$BENCH_TMP/ferry-tlsbench.XXXXXX")
chmod 755 "$WORK" # vsftpd / Pure-FTPd sessions run as $FTP_USER and must reach their homes
LOGS=$WORK/logs
CERTS=$WORK/certs
mkdir -p "$LOGS" "$CERTS"
FAILED=0
declare -A PID=() PORT=() HOMEDIR=() NOTE=() VERSION=() TLSINFO=() NA=()

cleanup() {
  local rc=$? s
  set +e
  for s in "${!PID[@]}"; do [[ -n ${PID[$s]} ]] && stop_pid "${PID[$s]}"; done
  [[ ${USER_MADE:-0} == 1 ]] && usermod -L "$FTP_USER" >/dev/null 2>&1
  if ((FAILED || rc != 0)) || [[ $KEEP_LOGS == 1 ]]; then
    local keep=$BENCH_TMP/ferry-tlsbench-logs.$$
    rm -rf "$keep" && cp -r "$LOGS" "$keep" && echo "logs kept in $keep" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { echo "${EPOCHREALTIME/./}"; } # microseconds, no fork
errtail() { tail -c "${2:-200}" "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ *$//'; }
alive() { [[ -n ${PID[$1]:-} ]] && kill -0 "${PID[$1]}" 2>/dev/null; }

START_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# ---- inputs ------------------------------------------------------------------------
wait_load
if [[ -n ${SRC_FILE:-} ]]; then
  [[ -f $SRC_FILE ]] || die "SRC_FILE '$SRC_FILE' not found"
  BIG=$SRC_FILE
  BIG_BYTES=$(stat -c %s "$BIG")
  BIG_MIB=$((BIG_BYTES / 1048576))
  # Hard links into the homes need the same filesystem: else copy it here.
  if [[ $(stat -c %d "$BIG") != $(stat -c %d "$WORK") ]]; then cp "$BIG" "$WORK/big.src"; BIG=$WORK/big.src; fi
else
  BIG=$WORK/big.src
  log "creating ${BIG_MIB} MiB source file"
  head -c "$BIG_BYTES" /dev/urandom >"$BIG"
fi
chmod a+r "$BIG"
cat "$BIG" >/dev/null # into the page cache
SZ="${BIG_MIB} MiB"
((BIG_MIB == 1024 && BIG_BYTES == 1073741824)) && SZ="1 GiB"

# fill_home DIR: the big file as a hard link (one inode, one copy in the page
# cache for all servers; only read by them).
fill_home() { ln "$BIG" "$1/big.bin" 2>/dev/null || cp "$BIG" "$1/big.bin"; }

# ---- a test CA and a server certificate for 127.0.0.1 ------------------------------
make_certs() {
  local newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ku=digitalSignature
  [[ $KEY_TYPE == rsa ]] && newkey=(-newkey rsa:2048) ku=digitalSignature,keyEncipherment
  (
    cd "$CERTS"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
      -keyout ca.key -out ca.pem -days 2 -subj "/CN=ferry bench test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -new "${newkey[@]}" -nodes -sha256 -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,$ku" "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 -sha256 \
      -extfile server.ext -out server.pem
    chmod 600 ca.key server.key
    openssl verify -CAfile ca.pem server.pem
  ) >"$LOGS/certs.txt" 2>&1 || die "making the test certificates failed: $(errtail "$LOGS/certs.txt" 300)"
}
make_certs
CA=$CERTS/ca.pem
CURL_TLS=(--ssl-reqd --cacert "$CA" --tls13-ciphers "$CURL_TLS13" --ciphers "$CURL_TLS12")

# ---- result table ------------------------------------------------------------------
T_NAME=() T_VALUE=() T_REF=() T_RATIO=() T_TARGET=() T_VERDICT=() T_RUNS=()
add_row() { # name value ref ratio target verdict runs
  T_NAME+=("$1") T_VALUE+=("$2") T_REF+=("$3") T_RATIO+=("$4") T_TARGET+=("$5") T_VERDICT+=("$6") T_RUNS+=("$7")
}
# ratio_cells VALUE REF TARGET_X100 -> sets R_RATIO R_TARGET R_VERDICT
# (TARGET empty: info). One more digit in the comparison so 0.845 is no PASS.
ratio_cells() {
  local v=$1 ref=$2 t=$3
  R_RATIO=- R_TARGET=- R_VERDICT=info
  [[ -n $t ]] && R_TARGET=">=$(fixed2 "$t")"
  if [[ ! $v =~ ^[0-9]+$ || ! $ref =~ ^[1-9][0-9]*$ ]]; then
    [[ -n $t ]] && R_VERDICT=n/a
    return 0
  fi
  R_RATIO=$(fixed2 $(((v * 100 + ref / 2) / ref)))
  if [[ -n $t ]]; then
    if ((v * 1000 >= ref * t * 10)); then R_VERDICT=PASS; else R_VERDICT=MISS; fi
  fi
}

# ---- 1. the TLS limit ---------------------------------------------------------------
# tls_limit KEY ARGS...: runs tls_limit_bench, LIM[KEY]=best MB/s, LIMRUNS[KEY]=runs.
declare -A LIM=() LIMRUNS=() LIMERR=()
tls_limit() {
  local key=$1 out=$LOGS/tls_limit.$1.txt line k mbps='' runs=''; shift
  cat "$BIG" >/dev/null
  wait_quiet
  local reps=$REPS
  [[ $key == ref* ]] && reps=$LIMIT_REPS
  if timeout $((TIMEOUT_BIG * reps)) "$TLS_BENCH" "$BIG_MIB" --reps "$reps" "$@" >"$out" 2>&1; then
    sed 's/^/  /' "$out" >&2
    line=$(grep '^TLS_LIMIT ' "$out" | tail -1 || true)
    for k in $line; do
      case $k in MBps=*) mbps=${k#*=} ;; runs=*) runs=${k#*=} ;; esac
    done
  fi
  if [[ $mbps =~ ^[0-9]+$ ]]; then LIM[$key]=$mbps LIMRUNS[$key]=${runs//,/ }
  else LIMERR[$key]="tls_limit_bench failed: $(errtail "$out")"; log "${LIMERR[$key]}"; fi
}
if want limit; then
  log "TLS limit, pass 1 (best of $LIMIT_REPS; info rows best of $REPS)"
  tls_limit ref1 --cipher aes-128-gcm
  for i in "${LIMIT_INFO[@]}"; do
    case $i in
      aes-256-gcm | chacha20) tls_limit "$i" --cipher "$i" ;;
      to-file) prefault_page_cache "$WORK" "$BIG_BYTES"; tls_limit to-file --cipher aes-128-gcm --to-file "$WORK" ;;
      *) die "unknown LIMIT_INFO entry '$i'" ;;
    esac
  done
fi

# ---- servers -------------------------------------------------------------------------
PASV0=$(pick_pasv_base 600)
declare -A PASV_LO=()
PASV_LO[ferryd]=$PASV0 PASV_LO[vsftpd]=$((PASV0 + 200)) PASV_LO[pure-ftpd]=$((PASV0 + 400))
pasv_hi() { echo $((PASV_LO[$1] + 199)); }
START_ERR=''

# ferryd: one process for both protocols, TLS from the test CA's certificate.
FERRY_TLS_ARGS=(--tls --ca "$CA")
FERRY_PLAIN_ARGS=()
start_ferryd() { # with_tls(1|0)
  local tls=$1 root=$WORK/ferryd p='' f=''
  rm -rf "$root"
  "$FERRYD" init --root "$root" >"$LOGS/ferryd-init.txt" 2>&1 ||
    { fail_start "ferryd init failed: $(errtail "$LOGS/ferryd-init.txt")"; return 1; }
  echo "$PW" | "$FERRYD" user add "$FTP_USER" --root "$root" --password-stdin >"$LOGS/ferryd-useradd.txt" 2>&1 ||
    { fail_start "ferryd user add failed: $(errtail "$LOGS/ferryd-useradd.txt")"; return 1; }
  {
    echo
    echo "# generated by bench/tls.sh"
    if ((tls)); then
      printf '[tls]\ncert = "%s"\nkey = "%s"\n' "$CERTS/server.pem" "$CERTS/server.key"
    fi
    printf '[ftp]\npasv_ports = "%s-%s"\n' "${PASV_LO[ferryd]}" "$(pasv_hi ferryd)"
    if ((tls)); then printf 'require_tls = true\nrequire_tls_session_reuse = false\n'; fi
  } >>"$root/ferryd.toml"
  HOMEDIR[ferryd]=$root/home/$FTP_USER
  [[ -d ${HOMEDIR[ferryd]} ]] || { fail_start "no home ${HOMEDIR[ferryd]} after user add"; return 1; }
  fill_home "${HOMEDIR[ferryd]}"
  "$FERRYD" serve --root "$root" --listen 127.0.0.1:0 --ftp-listen 127.0.0.1:0 "${FERRYD_EXTRA[@]}" $( ((EUID == 0)) && echo --allow-root) \
    </dev/null >"$LOGS/ferryd.out" 2>"$LOGS/ferryd.err" &
  PID[ferryd]=$!
  for _ in $(seq 100); do
    p=$(sed -n 's/^ferryd listening on [^ ]*:\([0-9][0-9]*\).*$/\1/p' "$LOGS/ferryd.out" | head -1)
    f=$(sed -n 's/^ferryd ftp listening on [^ ]*:\([0-9][0-9]*\).*$/\1/p' "$LOGS/ferryd.out" | head -1)
    [[ -n $p && -n $f ]] && break
    kill -0 "${PID[ferryd]}" 2>/dev/null ||
      { PID[ferryd]=''; fail_start "ferryd exited at start: $(errtail "$LOGS/ferryd.err" 300)"; return 1; }
    sleep 0.1
  done
  [[ -n $p && -n $f ]] || { fail_start "ferryd did not print both addresses within 10 s"; return 1; }
  PORT[native]=$p PORT[ferryd]=$f
  VERSION[ferryd]="ferryd $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src apps 2>/dev/null || echo '+dirty') ($BUILD, binary of $(date -u -r "$FERRYD" +%H:%MZ))${FERRYD_EXTRA[*]:+, ${FERRYD_EXTRA[*]}}"
}

# fc TIMEOUT LOG tls|plain ARGS...: one ferry command, output to the log.
fc() {
  local to=$1 name=$2 mode=$3 args; shift 3
  if [[ $mode == tls ]]; then args=("${FERRY_TLS_ARGS[@]}"); else args=("${FERRY_PLAIN_ARGS[@]}"); fi
  FERRY_PASSWORD=$PW timeout "$to" "$FERRY" "${args[@]}" -P "${PORT[native]}" "$FTP_USER@127.0.0.1" "$@" \
    </dev/null >"$LOGS/$name.out" 2>"$LOGS/$name.err"
}

if want native || { want ftps && [[ " ${FTPS_SERVERS[*]} " == *" ferryd "* ]]; }; then
  log "starting ferryd with [tls] (test CA certificate)"
  if ! start_ferryd 1; then
    TLS_START_ERR=$START_ERR
    log "ferryd with [tls]: $TLS_START_ERR; starting it without TLS"
    [[ -n ${PID[ferryd]:-} ]] && stop_pid "${PID[ferryd]}"
    PID[ferryd]=''
    start_ferryd 0 || die "ferryd does not start even without TLS: $START_ERR"
    NA[ferry-tls]="ferryd did not start with [tls]: $TLS_START_ERR"
    NA[ferryd]=${NA[ferry-tls]}
  fi
  log "ferryd pid ${PID[ferryd]}: native 127.0.0.1:${PORT[native]}, ftp 127.0.0.1:${PORT[ferryd]}"
fi

# Native TLS ready? The client needs --tls and --ca, and one login must work.
if want native; then
  help=$("$FERRY" --help 2>&1 || true)
  if [[ -z ${NA[ferry-tls]:-} ]]; then
    if ! grep -q -- '--tls' <<<"$help" || ! grep -q -- '--ca' <<<"$help"; then
      NA[ferry-tls]="ferry has no --tls/--ca yet"
    elif fc 30 check-native-tls tls pwd; then
      log "native TLS login works"
    else
      NA[ferry-tls]="ferry --tls login failed: $(errtail "$LOGS/check-native-tls.err")"
    fi
  fi
  # Plain on loopback: with --no-tls when the client has it (TLS may become its default).
  grep -q -- '--no-tls' <<<"$help" && FERRY_PLAIN_ARGS=(--no-tls)
  if ((NATIVE_PLAIN)); then
    fc 30 check-native-plain plain pwd ||
      NA[ferry-plain]="ferry login without TLS failed: $(errtail "$LOGS/check-native-plain.err")"
  fi
  [[ -n ${NA[ferry-tls]:-} ]] && log "native TLS rows: n/a (${NA[ferry-tls]})"
  # What ferry negotiated: ferryd logs "ferry N: TLSv1.3 SUITE" per session.
  if [[ -z ${NA[ferry-tls]:-} ]]; then
    TLSINFO[native]=$(sed -n 's/.* ferry [0-9][0-9]*: \(TLSv[0-9.]* [A-Z0-9_-]*\)$/\1/p' "$LOGS/ferryd.err" | tail -1)
  fi
fi

# sshd: throwaway, 127.0.0.1, temp host key and authorized key, root by key only.
start_sshd() {
  ensure_pkg openssh-server test -x /usr/sbin/sshd || return 1
  command -v sftp >/dev/null || { fail_start "no sftp client (openssh-client)"; return 1; }
  [[ $(id -u) == 0 ]] || { fail_start "needs root (sshd)"; return 1; }
  local d=$WORK/sshd
  mkdir -p "$d/home"
  chmod 700 "$d"
  fill_home "$d/home"
  HOMEDIR[sshd]=$d/home
  ssh-keygen -q -t ed25519 -N '' -C "tls.sh host" -f "$d/host_key" >"$LOGS/ssh-keygen.txt" 2>&1 &&
    ssh-keygen -q -t ed25519 -N '' -C "tls.sh client" -f "$d/id" >>"$LOGS/ssh-keygen.txt" 2>&1 ||
    { fail_start "ssh-keygen failed: $(errtail "$LOGS/ssh-keygen.txt")"; return 1; }
  cp "$d/id.pub" "$d/authorized_keys"
  PORT[sshd]=$(free_port)
  mkdir -p /run/sshd # privilege separation dir (tmpfiles makes it at boot; containers lack it)
  local c
  c=$(IFS=,; echo "${SFTP_CIPHERS[*]}")
  cat >"$d/sshd_config" <<EOF
# generated by bench/tls.sh (throwaway sshd, loopback only)
Port ${PORT[sshd]}
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Ciphers $c
Compression no
UseDNS no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
LogLevel ERROR
Subsystem sftp internal-sftp
EOF
  /usr/sbin/sshd -t -f "$d/sshd_config" >"$LOGS/sshd-t.txt" 2>&1 ||
    { fail_start "sshd -t: $(errtail "$LOGS/sshd-t.txt")"; return 1; }
  /usr/sbin/sshd -D -e -f "$d/sshd_config" -p "${PORT[sshd]}" </dev/null >"$LOGS/sshd.out" 2>&1 &
  PID[sshd]=$!
  wait_port "${PORT[sshd]}" "${PID[sshd]}" 10 || { fail_start "sshd did not listen: $(errtail "$LOGS/sshd.out")"; return 1; }
  VERSION[sshd]="$(/usr/sbin/sshd -V 2>&1 | head -1 | cut -d, -f1) ($(dpkg-query -W -f '${Version}' openssh-server 2>/dev/null)), internal-sftp, sftp client defaults (-B 32768 -R 64)"
}
# sftp_run CIPHER LOGBASE BATCH-LINE: one sftp session running one command.
sftp_run() {
  local cipher=$1 base=$2 d=$WORK/sshd
  printf '%s\n' "$3" >"$base.batch"
  timeout "$TIMEOUT_BIG" sftp -q -F /dev/null -b "$base.batch" -i "$d/id" -P "${PORT[sshd]}" -c "$cipher" \
    -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o Compression=no -o LogLevel=ERROR root@127.0.0.1 </dev/null >"$base.out" 2>"$base.err"
}
if want sftp; then
  log "starting a throwaway sshd"
  if start_sshd && sftp_run "${SFTP_CIPHERS[0]}" "$LOGS/check-sftp" "pwd"; then
    log "sshd pid ${PID[sshd]} on 127.0.0.1:${PORT[sshd]}"
  else
    [[ -n $START_ERR ]] || START_ERR="sftp login failed: $(errtail "$LOGS/check-sftp.err")"
    NA[sftp]="not run: $START_ERR"
    log "sftp: ${NA[sftp]}"
    [[ -n ${PID[sshd]:-} ]] && stop_pid "${PID[sshd]}"
    PID[sshd]=''
  fi
fi

start_vsftpd() {
  ensure_pkg vsftpd test -x /usr/sbin/vsftpd || return 1
  ensure_user || return 1
  local dir=$WORK/vsftpd
  mkdir -p "$dir/home"
  fill_home "$dir/home"
  chown "$FTP_USER:" "$dir/home" # not -R: big.bin is a hard link to the source
  PORT[vsftpd]=$(free_port)
  HOMEDIR[vsftpd]=$dir/home
  mkdir -p /var/run/vsftpd/empty # secure_chroot_dir (the package makes it too)
  cat >"$dir/vsftpd.conf" <<EOF
# generated by bench/tls.sh
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
xferlog_enable=NO
dual_log_enable=NO
syslog_enable=NO
tcp_wrappers=NO
dirmessage_enable=NO
ssl_enable=YES
rsa_cert_file=$CERTS/server.pem
rsa_private_key_file=$CERTS/server.key
allow_anon_ssl=NO
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=NO
ssl_request_cert=NO
ssl_sslv2=NO
ssl_sslv3=NO
ssl_tlsv1=YES
ssl_ciphers=HIGH
EOF
  /usr/sbin/vsftpd "$dir/vsftpd.conf" </dev/null >"$LOGS/vsftpd.out" 2>&1 &
  PID[vsftpd]=$!
  wait_port "${PORT[vsftpd]}" "${PID[vsftpd]}" 10 ||
    { fail_start "did not listen: $(errtail "$LOGS/vsftpd.out" 300)"; return 1; }
  VERSION[vsftpd]="vsftpd $(dpkg-query -W -f '${Version}' vsftpd 2>/dev/null), PAM ($CRYPT_NAME), ssl_enable, force_local_data_ssl, require_ssl_reuse=NO"
}

# Pure-FTPd: the system's binary when the package is installed, else the
# package unpacked under PURE_DIR (installing it would remove vsftpd: both
# provide and conflict with ftp-server).
pure_usable() { [[ -x $1/usr/sbin/pure-ftpd && -x $1/usr/bin/pure-pw ]] && ! ldd "$1/usr/sbin/pure-ftpd" | grep -q 'not found'; }
start_pure-ftpd() {
  local from
  if pure_usable /; then
    PURE_FTPD=/usr/sbin/pure-ftpd PURE_PW=/usr/bin/pure-pw
    from="package $(dpkg-query -W -f '${Version}' pure-ftpd 2>/dev/null)"
  else
    ensure_unpacked pure-ftpd "$PURE_DIR" pure_usable "$PURE_DIR" || return 1
    PURE_FTPD=$PURE_DIR/usr/sbin/pure-ftpd PURE_PW=$PURE_DIR/usr/bin/pure-pw
    from="$(sed -n 's/^Version: //p' "$PURE_DIR/.unpacked" 2>/dev/null) unpacked in $PURE_DIR"
  fi
  ensure_user || return 1
  local dir=$WORK/pure-ftpd uid gid
  mkdir -p "$dir/home"
  fill_home "$dir/home"
  chown "$FTP_USER:" "$dir/home"
  HOMEDIR[pure-ftpd]=$dir/home
  uid=$(id -u "$FTP_USER") gid=$(id -g "$FTP_USER")
  # A virtual user in a temp PureDB (not /etc/pure-ftpd), mapped to ferrybench.
  printf '%s\n%s\n' "$PW" "$PW" | "$PURE_PW" useradd "$FTP_USER" -u "$uid" -g "$gid" -d "$dir/home" \
    -f "$dir/pureftpd.passwd" -F "$dir/pureftpd.pdb" -m >"$LOGS/pure-pw.txt" 2>&1 ||
    { fail_start "pure-pw useradd failed: $(errtail "$LOGS/pure-pw.txt")"; return 1; }
  # pure-pw stores argon2id with t=255 (seconds of CPU per login on this
  # machine, paid by every curl run): by default a SHA-512-crypt hash instead,
  # as for vsftpd (PURE_CRYPT=default keeps pure-pw's).
  local hash=argon2id
  if [[ $PURE_CRYPT == sha512 ]]; then
    local h; h=$(openssl passwd -6 "$PW") || { fail_start "openssl passwd -6 failed"; return 1; }
    awk -F: -v OFS=: -v u="$FTP_USER" -v h="$h" '$1 == u { $2 = h } 1' "$dir/pureftpd.passwd" >"$dir/pureftpd.passwd.new" &&
      mv "$dir/pureftpd.passwd.new" "$dir/pureftpd.passwd" &&
      "$PURE_PW" mkdb "$dir/pureftpd.pdb" -f "$dir/pureftpd.passwd" >>"$LOGS/pure-pw.txt" 2>&1 ||
      { fail_start "pure-pw mkdb failed: $(errtail "$LOGS/pure-pw.txt")"; return 1; }
    hash=sha512crypt
  fi
  PORT[pure-ftpd]=$(free_port)
  # -Y 3: TLS required for the login and the data; -2 CERT,KEY instead of
  # /etc/ssl/private/pure-ftpd.pem; -A chroot; -E no anonymous; -H no DNS.
  "$PURE_FTPD" -S "127.0.0.1,${PORT[pure-ftpd]}" -4 -l "puredb:$dir/pureftpd.pdb" -E -A -H \
    -p "${PASV_LO[pure-ftpd]}:$(pasv_hi pure-ftpd)" -Y 3 -2 "$CERTS/server.pem,$CERTS/server.key" \
    -g "$dir/pure-ftpd.pid" -u 1 </dev/null >"$LOGS/pure-ftpd.out" 2>&1 &
  PID[pure-ftpd]=$!
  wait_port "${PORT[pure-ftpd]}" "${PID[pure-ftpd]}" 10 ||
    { fail_start "did not listen: $(errtail "$LOGS/pure-ftpd.out" 300)"; return 1; }
  VERSION[pure-ftpd]="$("$PURE_FTPD" --help 2>&1 | head -1 | sed 's/ *$//') ($from), PureDB virtual user ($hash), -Y 3"
}

url() { echo "ftp://$FTP_USER:$PW@127.0.0.1:${PORT[$1]}/$2"; }
# check_ftps SERVER: a TLS login and a protected LIST with curl -v; records
# the negotiated protocol and cipher of the control and the data connection
# (TLSINFO), or sets CHECK_ERR and returns 1. Runs in this shell.
CHECK_ERR=''
check_ftps() {
  local s=$1 v=$LOGS/check-ftps-$1.txt
  CHECK_ERR=''
  if ! timeout 30 curl -sS -v --connect-timeout 10 "${CURL_TLS[@]}" --list-only "$(url "$s" '')" \
    >"$LOGS/check-ftps-$s.out" 2>"$v"; then
    CHECK_ERR="curl: $(grep -E '^curl: ' "$v" | tail -1)"
    return 1
  fi
  TLSINFO[$s]=$(sed -n 's/^\* SSL connection using //p' "$v" | awk '!seen[$0]++' | paste -sd ';' -)
}
UP=() # FTPS servers that started and accepted a TLS login
if want ftps; then
  for s in "${FTPS_SERVERS[@]}"; do
    case $s in ferryd | vsftpd | pure-ftpd) ;; *) die "unknown FTPS server '$s'" ;; esac
    if [[ $s == ferryd ]]; then
      if [[ -n ${NA[ferryd]:-} ]]; then log "ferryd FTPS: n/a (${NA[ferryd]})"; continue; fi
      if check_ftps ferryd; then UP+=(ferryd); log "ferryd FTPS on 127.0.0.1:${PORT[ferryd]}: ${TLSINFO[ferryd]}"
      else NA[ferryd]="TLS login failed: $CHECK_ERR"; log "ferryd FTPS: n/a (${NA[ferryd]})"; fi
      continue
    fi
    log "starting $s"
    PID[$s]='' START_ERR=''
    if "start_$s" && check_ftps "$s"; then
      UP+=("$s")
      log "$s pid ${PID[$s]} on 127.0.0.1:${PORT[$s]}, passive ${PASV_LO[$s]}-$(pasv_hi "$s"): ${TLSINFO[$s]}"
    else
      [[ -n $START_ERR ]] || START_ERR="TLS login failed: $CHECK_ERR"
      NA[$s]="not run: $START_ERR"
      log "$s: ${NA[$s]}"
      [[ -n ${PID[$s]} ]] && stop_pid "${PID[$s]}"
      PID[$s]=''
    fi
  done
fi

# ---- timed runs --------------------------------------------------------------------
# This machine kind runs a DAMON "pageout" scheme: page cache idle for about a
# minute is written out at up to 128 MiB/s, so a source file read at the start
# may come from disk by its turn. Every timed run first reads its source (and
# any fresh copy, WARM) back into the cache: the rows measure the transfer from
# the page cache, not the virtual disk.
# Then it writes and deletes as much page cache as the run will write
# (prefault_page_cache in lib.sh: the VM returns idle memory to its host).
WARM=()
t_start() {
  sync; cat "$BIG" "${WARM[@]}" >/dev/null; WARM=(); wait_quiet
  prefault_page_cache "$WORK" "$BIG_BYTES"; T0=$(now)
}
t_stop() { DT=$(($(now) - T0)); ((DT > 0)) || DT=1; }
fail_msg() { echo "exit $1: $(errtail "$2")"; }

# rep_get CELL REP / rep_put CELL REP (CELL: ferry-tls, ferry-plain,
# sftp:CIPHER): set VAL (MB/s) or ERRMSG.
rep_get() {
  local c=$1 r=$2 out=$WORK/dl.bin rc=0 name
  rm -f "$out" "$WORK/.dl.bin.ferry-part"
  case $c in
    ferry-*)
      # A file the server never hashed: a fresh copy (new inode, no
      # user.ferry.digest.* xattr) before each run, outside the timing.
      local cold=${HOMEDIR[ferryd]}/cold.bin
      rm -f "$cold"; cp "$BIG" "$cold"
      if "$PY" -c 'import os, sys; sys.exit(any(a.startswith("user.ferry.digest.") for a in os.listxattr(sys.argv[1])))' "$cold"; then :; else
        ERRMSG="fresh copy already carries a user.ferry.digest.* xattr"; return 0
      fi
      name=get-$c-$r
      WARM=("$cold")
      t_start
      fc "$TIMEOUT_BIG" "$name" "${c#ferry-}" get cold.bin "$out" || rc=$?
      t_stop
      ((rc == 0)) || ERRMSG=$(fail_msg "$rc" "$LOGS/$name.err")
      rm -f "$cold"
      ;;
    sftp:*)
      name=get-sftp-${c#sftp:}-$r
      t_start
      sftp_run "${c#sftp:}" "$LOGS/$name" "get ${HOMEDIR[sshd]}/big.bin $out" || rc=$?
      t_stop
      ((rc == 0)) || ERRMSG=$(fail_msg "$rc" "$LOGS/$name.err")
      ;;
  esac
  if [[ -z ${ERRMSG:-} ]]; then
    if cmp -s "$BIG" "$out"; then VAL=$(mbps "$BIG_BYTES" "$DT"); else ERRMSG="downloaded file differs from the source"; fi
  fi
  rm -f "$out"
}
rep_put() {
  local c=$1 r=$2 rc=0 name target
  case $c in
    ferry-*)
      target=${HOMEDIR[ferryd]}/up.bin name=put-$c-$r
      rm -f "$target"
      t_start
      fc "$TIMEOUT_BIG" "$name" "${c#ferry-}" put "$BIG" up.bin || rc=$?
      t_stop
      ;;
    sftp:*)
      target=${HOMEDIR[sshd]}/up.bin name=put-sftp-${c#sftp:}-$r
      rm -f "$target"
      t_start
      sftp_run "${c#sftp:}" "$LOGS/$name" "put $BIG $target" || rc=$?
      t_stop
      ;;
  esac
  if ((rc != 0)); then ERRMSG=$(fail_msg "$rc" "$LOGS/$name.err")
  elif ! cmp -s "$BIG" "$target"; then ERRMSG="server file differs from the source"
  else VAL=$(mbps "$BIG_BYTES" "$DT"); fi
  rm -f "$target"
}
# curl's pretransfer/total times give the data phase alone (login, AUTH TLS,
# PBSZ/PROT, EPSV excluded): info.
phase() { awk -v b="$BIG_BYTES" '{ d = $2 - $1; if (d > 0) printf "%d", b / d / 1e6 + 0.5; else print 0 }' <<<"$1"; }
declare -A PHASE=()
rep_retr() {
  local s=$1 r=$2 out=$WORK/dl.bin rc=0 e=$LOGS/retr-$1-$2.err w=''
  rm -f "$out"
  t_start
  w=$(timeout "$TIMEOUT_BIG" curl -sS --connect-timeout 10 "${CURL_TLS[@]}" \
    -w '%{time_pretransfer} %{time_total}' -o "$out" "$(url "$s" big.bin)" 2>"$e") || rc=$?
  t_stop
  if ((rc != 0)); then ERRMSG="curl exit $rc: $(errtail "$e")"
  elif ! cmp -s "$BIG" "$out"; then ERRMSG="downloaded file differs from the source"
  else VAL=$(mbps "$BIG_BYTES" "$DT"); PHASE[retr,$s]+="${PHASE[retr,$s]:+ }$(phase "$w")"; fi
  rm -f "$out"
}
rep_stor() {
  local s=$1 r=$2 target=${HOMEDIR[$1]}/up.bin rc=0 e=$LOGS/stor-$1-$2.err w=''
  rm -f "$target"
  t_start
  w=$(timeout "$TIMEOUT_BIG" curl -sS --connect-timeout 10 "${CURL_TLS[@]}" \
    -w '%{time_pretransfer} %{time_total}' -T "$BIG" "$(url "$s" up.bin)" 2>"$e") || rc=$?
  t_stop
  if ((rc != 0)); then ERRMSG="curl exit $rc: $(errtail "$e")"
  elif ! cmp -s "$BIG" "$target"; then ERRMSG="server file differs from the source"
  else VAL=$(mbps "$BIG_BYTES" "$DT"); PHASE[stor,$s]+="${PHASE[stor,$s]:+ }$(phase "$w")"; fi
  rm -f "$target"
}

# run_row KEY LABEL CELL...: REPS rounds, each one run per cell (interleaved,
# so a drift of the machine's load hits every contender alike).
declare -A BEST=() RUNS=() CELL_ERR=()
server_of() { case $1 in ferry-*) echo ferryd ;; sftp:*) echo sshd ;; *) echo "$1" ;; esac; }
run_row() {
  local key=$1 label=$2 r c s; shift 2
  log "$label (best of $REPS): $*"
  for r in $(seq "$REPS"); do
    for c in "$@"; do
      [[ -n ${CELL_ERR[$key,$c]:-} ]] && continue
      s=$(server_of "$c")
      if ! alive "$s"; then CELL_ERR[$key,$c]="server died"; [[ $s == ferryd ]] && FAILED=1; continue; fi
      VAL='' ERRMSG=''
      "rep_$key" "$c" "$r" || true
      [[ -z $ERRMSG ]] && ! alive "$s" && ERRMSG="server died during the run"
      if [[ -n $ERRMSG ]]; then
        CELL_ERR[$key,$c]=$ERRMSG
        log "  $c run $r: FAILED: $ERRMSG"
        [[ $s == ferryd ]] && FAILED=1
        continue
      fi
      RUNS[$key,$c]+="${RUNS[$key,$c]:+ }$VAL"
      ((${BEST[$key,$c]:-0} >= VAL)) || BEST[$key,$c]=$VAL
      log "  $c run $r: $VAL MB/s"
    done
  done
}

NATIVE_CELLS=()
if want native; then
  [[ -z ${NA[ferry-tls]:-} ]] && NATIVE_CELLS+=(ferry-tls)
  ((NATIVE_PLAIN)) && [[ -z ${NA[ferry-plain]:-} ]] && NATIVE_CELLS+=(ferry-plain)
fi
if want sftp && [[ -z ${NA[sftp]:-} ]]; then
  for c in "${SFTP_CIPHERS[@]}"; do NATIVE_CELLS+=("sftp:$c"); done
fi
if ((${#NATIVE_CELLS[@]})); then
  run_row get "get $SZ" "${NATIVE_CELLS[@]}"
  run_row put "put $SZ" "${NATIVE_CELLS[@]}"
fi
if ((${#UP[@]})); then
  run_row retr "FTPS RETR $SZ" "${UP[@]}"
  run_row stor "FTPS STOR $SZ" "${UP[@]}"
fi

if want limit; then
  log "TLS limit, pass 2 (best of $LIMIT_REPS)"
  tls_limit ref2 --cipher aes-128-gcm
fi
for s in "${!PID[@]}"; do
  [[ -n ${PID[$s]} ]] || continue
  alive "$s" || { NOTE[$s]="died during the run (see $LOGS)"; [[ $s == ferryd ]] && FAILED=1; }
done
declare -A HWM=()
for s in "${!PID[@]}"; do # the listener's peak RSS
  alive "$s" && HWM[$s]=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/${PID[$s]}/status")
done
for s in "${!PID[@]}"; do [[ -n ${PID[$s]} ]] && stop_pid "${PID[$s]}"; PID[$s]=''; done
END_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report --------------------------------------------------------------------------
# The reference: the best aes-128-gcm pass.
REF='' REF_RUNS=''
for k in ref1 ref2; do
  [[ -n ${LIM[$k]:-} ]] || continue
  REF_RUNS+="${REF_RUNS:+; }pass${k#ref} ${LIMRUNS[$k]}"
  [[ -z $REF ]] || ((LIM[$k] > REF)) && REF=${LIM[$k]}
done
if want limit; then
  if [[ -n $REF ]]; then
    add_row "TLS limit aes-128-gcm (reference)" "$REF MB/s" "-" "1.00" "-" "ref" "$REF_RUNS"
  else
    add_row "TLS limit aes-128-gcm (reference)" "FAILED" "-" "-" "-" "FAIL" "${LIMERR[ref1]:-}"
  fi
  for i in "${LIMIT_INFO[@]}"; do
    case $i in
      aes-256-gcm) label="TLS limit aes-256-gcm" ;;
      chacha20) label="TLS limit chacha20-poly1305" ;;
      to-file) label="TLS limit, receiver writes /tmp file" ;;
    esac
    if [[ -n ${LIM[$i]:-} ]]; then
      ratio_cells "${LIM[$i]}" "$REF" ""
      add_row "  $label" "${LIM[$i]} MB/s" "${REF:+$REF MB/s}" "$R_RATIO" "-" "info" "${LIMRUNS[$i]}"
    else
      add_row "  $label" "FAILED" "-" "-" "-" "info" "${LIMERR[$i]:-}"
    fi
  done
fi
REFL=${REF:+$REF MB/s}
REFL=${REFL:--}
# cell_row LABEL KEY CELL TARGET_X100: the best of a cell against the TLS limit.
cell_row() {
  local label=$1 key=$2 c=$3 t=$4 na=${NA[$3]:-} runs
  if [[ $c == sftp:* ]]; then na=${NA[sftp]:-}; fi
  if [[ -n ${CELL_ERR[$key,$c]:-} ]]; then
    add_row "$label" "FAILED" "$REFL" "-" "${t:+>=$(fixed2 "$t")}" "FAIL" "${CELL_ERR[$key,$c]}${RUNS[$key,$c]:+; before: ${RUNS[$key,$c]}}"
  elif [[ -n ${BEST[$key,$c]:-} ]]; then
    ratio_cells "${BEST[$key,$c]}" "$REF" "$t"
    runs=${RUNS[$key,$c]}
    [[ -n ${PHASE[$key,$c]:-} ]] && runs+=" (data phase: ${PHASE[$key,$c]})"
    add_row "$label" "${BEST[$key,$c]} MB/s" "$REFL" "$R_RATIO" "$R_TARGET" "$R_VERDICT" "$runs"
  else
    [[ -n $na ]] || na="not run"
    add_row "$label" "n/a" "-" "-" "${t:+>=$(fixed2 "$t")}" "n/a" "$na"
  fi
}
# pair_row LABEL A B TARGET_X100 RUNS_NOTE: A / B (both MB/s or empty).
pair_row() {
  local label=$1 num=$2 den=$3 t=$4 note=$5
  if [[ $num =~ ^[0-9]+$ && $den =~ ^[1-9][0-9]*$ ]]; then
    ratio_cells "$num" "$den" "$t"
    add_row "$label" "${R_RATIO}x" "$den MB/s" "$R_RATIO" "$R_TARGET" "$R_VERDICT" "$note"
  else
    add_row "$label" "n/a" "-" "-" "${t:+>=$(fixed2 "$t")}" "n/a" "$note"
  fi
}
# best_sftp KEY: BS_VAL BS_CIPHER over the ciphers.
best_sftp() {
  local c
  BS_VAL='' BS_CIPHER='' BS_RUNS=''
  for c in "${SFTP_CIPHERS[@]}"; do
    [[ -n ${RUNS[$1,sftp:$c]:-} ]] && BS_RUNS+="${BS_RUNS:+; }${c%%@*}: ${RUNS[$1,sftp:$c]}"
    [[ -n ${CELL_ERR[$1,sftp:$c]:-} ]] && BS_RUNS+="${BS_RUNS:+; }${c%%@*}: FAILED (${CELL_ERR[$1,sftp:$c]})"
    local v=${BEST[$1,sftp:$c]:-}
    [[ -n $v ]] || continue
    if [[ -z $BS_VAL ]] || ((v > BS_VAL)); then BS_VAL=$v BS_CIPHER=${c%%@*}; fi
  done
}
if want native || want sftp; then
  for key in get put; do
    if want native; then
      cell_row "ferry $key $SZ over TLS" "$key" ferry-tls 85
      ((NATIVE_PLAIN)) && cell_row "  ferry $key $SZ without TLS" "$key" ferry-plain ""
      # The reference discards what it receives; ferry's receiving end also
      # writes the file (and both ends hash it). Against the limit pair whose
      # receiver writes a file too, as info: what is left beside the write.
      if [[ -n ${LIM[to-file]:-} ]]; then
        pair_row "  ferry $key over TLS / limit writing a file" "${BEST[$key,ferry-tls]:-}" "${LIM[to-file]}" "" \
          "ferry ${BEST[$key,ferry-tls]:-n/a} / ${LIM[to-file]} MB/s"
      fi
    fi
    if want sftp; then
      best_sftp "$key"
      if [[ -n $BS_VAL ]]; then
        ratio_cells "$BS_VAL" "$REF" ""
        add_row "sftp $key $SZ (best: $BS_CIPHER)" "$BS_VAL MB/s" "$REFL" "$R_RATIO" "-" "info" "$BS_RUNS"
      else
        add_row "sftp $key $SZ" "n/a" "-" "-" "-" "n/a" "${NA[sftp]:-$BS_RUNS}"
      fi
      if want native; then
        note="ferry ${BEST[$key,ferry-tls]:-n/a} / sftp ${BS_VAL:-n/a} MB/s"
        [[ -z ${BEST[$key,ferry-tls]:-} && -n ${NA[ferry-tls]:-} ]] && note+=" (ferry TLS: ${NA[ferry-tls]})"
        pair_row "ferry $key / sftp $key" "${BEST[$key,ferry-tls]:-}" "$BS_VAL" 300 "$note"
      fi
    fi
  done
fi
if want ftps; then
  for key in retr stor; do
    K=${key^^}
    for s in "${FTPS_SERVERS[@]}"; do cell_row "FTPS $K $SZ $s" "$key" "$s" ""; done
    peer='' pname=''
    for s in "${FTPS_SERVERS[@]}"; do
      [[ $s == ferryd ]] && continue
      v=${BEST[$key,$s]:-}
      [[ -n $v ]] || continue
      if [[ -z $peer ]] || ((v > peer)); then peer=$v pname=$s; fi
    done
    note="ferryd ${BEST[$key,ferryd]:-n/a} / ${pname:-peers} ${peer:-n/a} MB/s"
    [[ -z ${BEST[$key,ferryd]:-} && -n ${NA[ferryd]:-} ]] && note+=" (ferryd: ${NA[ferryd]})"
    pair_row "FTPS $K ferryd / best peer" "${BEST[$key,ferryd]:-}" "$peer" 100 "$note"
  done
fi

print_table() {
  local w=44 i
  printf '%-*s %11s %10s %6s %7s %7s  %s\n' $w "row" "result" "reference" "ratio" "target" "verdict" "runs (MB/s; best of)"
  printf '%s\n' "$(printf '%.0s-' $(seq 130))"
  for i in "${!T_NAME[@]}"; do
    printf '%-*s %11s %10s %6s %7s %7s  %s\n' $w "${T_NAME[i]}" "${T_VALUE[i]}" "${T_REF[i]}" \
      "${T_RATIO[i]}" "${T_TARGET[i]}" "${T_VERDICT[i]}" "${T_RUNS[i]}"
  done
}

echo
echo "ferry TLS benchmark — started $START_DATE, ended $(date -u +%Y-%m-%dT%H:%M:%SZ); kernel $(uname -r), $(nproc) cores, loopback 127.0.0.1"
echo "file $SZ ($BIG_BYTES bytes) from the page cache; best of $REPS runs; MB/s = 10^6 bytes/s over the whole client command"
echo "$(openssl version); certificates: test CA (P-256) -> server $([[ $KEY_TYPE == ec ]] && echo 'ECDSA P-256' || echo 'RSA 2048') for IP 127.0.0.1; clients verify against the CA"
[[ -n ${VERSION[ferryd]:-} ]] && echo "  ferryd     ${VERSION[ferryd]}${TLSINFO[native]:+; ferry over TLS negotiated (ferryd log): ${TLSINFO[native]}}"
want native && [[ -n ${NA[ferry-tls]:-} ]] && echo "  ferry TLS  n/a: ${NA[ferry-tls]}"
if want sftp; then
  if [[ -n ${VERSION[sshd]:-} ]]; then echo "  sshd       ${VERSION[sshd]}"; else echo "  sshd       ${NA[sftp]:-not run}"; fi
fi
if want ftps; then
  echo "  FTPS       curl $(curl --version | head -1 | cut -d' ' -f2,5) --ssl-reqd --cacert CA --tls13-ciphers $CURL_TLS13 (explicit AUTH TLS, PROT P)"
  for s in "${FTPS_SERVERS[@]}"; do
    if [[ " ${UP[*]} " == *" $s "* ]]; then
      printf '    %-10s %s; negotiated: %s\n' "$s" "${VERSION[$s]:-${VERSION[ferryd]:-}}" "${TLSINFO[$s]:-?}"
    else
      printf '    %-10s n/a: %s\n' "$s" "${NA[$s]:-not run}"
    fi
  done
fi
echo
print_table
echo
hw=
for s in "${!HWM[@]}"; do hw+=" $s $((HWM[$s] / 1024)) MiB,"; done
[[ -n $hw ]] && echo "server peak RSS (listener process):${hw%,}"
echo "load average at the end: $END_LOAD${LOAD_NOTE:+; $LOAD_NOTE}"
for i in aes-256-gcm chacha20 to-file; do
  if [[ -n ${LIM[$i]:-} && -n $REF ]] && ((LIM[$i] > REF)); then
    echo "note: the $i limit (${LIM[$i]} MB/s) beat the aes-128-gcm reference ($REF MB/s): the reference was depressed by the machine's load, so ratios to it flatter"
  fi
done
((NOISY_RUNS == 0)) || echo "$NOISY_RUNS runs started while other processes used >= $BUSY_MAX cores (see noise.txt in the logs)"
for s in "${!NOTE[@]}"; do echo "$s: ${NOTE[$s]}"; done
if ((FAILED)); then echo "ferry FAILED some rows (logs kept, see above)"; exit 1; fi
exit 0
