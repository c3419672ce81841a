#!/usr/bin/env bash
# bench/load.sh [BUILD_DIR] — ferryd under many sessions (issue 14), one run:
#   conc    50 sessions each getting one 16 MiB file at once (aggregate MB/s)
#           against the single-stream limit (tcp_limit_bench on the same file
#           size, and one ferry-load get stream);
#   mix     1,000 concurrent sessions, each logging in and doing a
#           get/put/ls/rm mix: errors (target 0), ops/s, latency percentiles;
#   logins  native SCRAM logins/s (connect + SCRAM with the cached client key
#           + bye), plain on loopback; the same over TLS as an info row;
#   idle    server RSS per idle logged-in session at 10,000 sessions;
#   bigdir  a directory of 100,000 entries: native ls and FTP LIST/MLSD (first
#           frame/byte and total), and what it does to a light stat/ls probe
#           run beside it (bench/bigdir.sh runs this section alone).
# It starts its own ferryd (`ferryd init` in a temp root, 127.0.0.1:0, plus an
# FTP listener), stopped by its PID on exit, and prints one table with the
# date, kernel and git commit. Not a test: numbers depend on the machine.
#
# Environment knobs (defaults in brackets):
#   SECTIONS ["conc mix logins idle bigdir"]
#   CLIENTS [50] CONC_MIB [16] REPS [3]      the concurrent-get row, best of REPS
#   CONC_THREADS [nproc]  ferry-load event-loop threads for that row (one
#                     thread's TCP receive tops out below loopback's rate);
#                     the single-stream row and the others use 1
#   MIX_SESSIONS [1000] MIX [get=50,put=20,ls=20,rm=10] MIX_SECONDS [10] MIX_SIZE [64KiB]
#   MIX_USERS [20]    the mix's sessions log in as bench1..benchN (one account
#                     allows 64 uploads at once, max_uploads_per_user); the
#                     same mix as one account is run too, as an info row
#   LOGIN_SESSIONS [32] LOGIN_SECONDS [5]
#   IDLE [10000] IDLE_HOLD [2] IDLE_TLS [3000] (the TLS info row)
#   BIGDIR_ENTRIES [100000] PROBE_SECONDS [8]
#   SOURCE_IPS [50]   sessions bind to 127.0.1.1..N (as many clients would)
#   BENCH_TMP [/tmp]  KEEP_LOGS [0]  FERRYD_ARGS []
set -euo pipefail

die() { echo "load.sh: $*" >&2; exit 2; }
log() { echo "== $*" >&2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
BUILD=${1:-$REPO/build}
[[ -d $BUILD ]] || die "build directory '$BUILD' not found (usage: bench/load.sh [BUILD_DIR])"
BUILD=$(cd "$BUILD" && pwd)
FERRYD=$BUILD/apps/ferryd
LOAD=$BUILD/bench/ferry-load
LIMIT_BENCH=$BUILD/bench/tcp_limit_bench
for b in "$FERRYD" "$LOAD" "$LIMIT_BENCH"; do
  [[ -x $b ]] || die "missing $b (cmake --build $BUILD --target ferryd ferry-load tcp_limit_bench)"
done
PY=/usr/bin/python3

SECTIONS=${SECTIONS:-"conc mix logins idle bigdir"}
CLIENTS=${CLIENTS:-50} CONC_MIB=${CONC_MIB:-16} REPS=${REPS:-3} CONC_THREADS=${CONC_THREADS:-$(nproc)}
MIX_SESSIONS=${MIX_SESSIONS:-1000} MIX=${MIX:-get=50,put=20,ls=20,rm=10}
MIX_SECONDS=${MIX_SECONDS:-10} MIX_SIZE=${MIX_SIZE:-64KiB} MIX_USERS=${MIX_USERS:-20}
LOGIN_SESSIONS=${LOGIN_SESSIONS:-32} LOGIN_SECONDS=${LOGIN_SECONDS:-5}
IDLE=${IDLE:-10000} IDLE_HOLD=${IDLE_HOLD:-2} IDLE_TLS=${IDLE_TLS:-3000}
BIGDIR_ENTRIES=${BIGDIR_ENTRIES:-100000} PROBE_SECONDS=${PROBE_SECONDS:-8}
SOURCE_IPS=${SOURCE_IPS:-50}
BENCH_TMP=${BENCH_TMP:-/tmp} KEEP_LOGS=${KEEP_LOGS:-0}
read -r -a FERRYD_EXTRA <<<"${FERRYD_ARGS:-}"
has() { [[ " $SECTIONS " == *" $1 "* ]]; }

# 10,000 sessions: ferryd gives sessions a third of its descriptors, and this
# shell's children inherit the limit (root may raise the hard one).
NOFILE=65536
if (($(ulimit -Hn) < NOFILE)); then ulimit -Hn $NOFILE 2>/dev/null || true; fi
ulimit -Sn "$(ulimit -Hn)"
# What ferryd will allow (docs/operations.md, "File descriptors"): 64 for
# itself, a third of the rest for sessions, a quarter of that for logins in
# progress. Without CAP_SYS_RESOURCE the hard limit may stay below what
# IDLE needs; the idle row then runs at the most that fits and says so.
SESSION_FIT=$((($(ulimit -Hn) - 64) / 3))
PENDING_FIT=$((SESSION_FIT / 4 > 4096 ? 4096 : SESSION_FIT / 4))
IDLE_RUN=$((IDLE + 100 <= SESSION_FIT ? IDLE : SESSION_FIT - 100))

WORK=$(mktemp -d "$BENCH_TMP/ferry-load.XXXXXX")
LOGS=$WORK/logs ROOT=$WORK/root HOME_DIR=$WORK/root/home/bench
mkdir -p "$LOGS"
PW=bench-pass-$$
SERVER_PID= BG_PIDS=()
cleanup() {
  local rc=$?
  set +e
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  stop_server
  if ((rc != 0)) || [[ $KEEP_LOGS == 1 ]]; then
    local keep=$BENCH_TMP/ferry-load-logs.$$
    rm -rf "$keep" && cp -r "$LOGS" "$keep" && echo "logs kept in $keep" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  stop_pid "$SERVER_PID" 10
  SERVER_PID=
}

# ---- the table -------------------------------------------------------------------------
T_ROWS=()
row() { T_ROWS+=("$(printf '%-44s | %14s | %14s | %6s | %8s | %s' "$@")"); } # name value ref ratio verdict notes
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# field LINE KEY: the value of KEY=... in a machine line of ferry-load.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1" | head -1; }
loadop() { grep "^LOADOP op=$2 " "$1" | head -1; }
msf() { awk -v a="$1" 'BEGIN{printf "%.2f", a/1000}'; } # microseconds -> ms
errs() { grep '^LOADERR' "$1" | sed 's/^LOADERR kind=//' | tr '\n' ' '; }

# ---- server ----------------------------------------------------------------------------
log "ferryd in $ROOT"
"$FERRYD" init --root "$ROOT" >"$LOGS/init.txt" 2>&1 || { cat "$LOGS/init.txt" >&2; die "ferryd init failed"; }
echo "$PW" | "$FERRYD" user add bench --root "$ROOT" --password-stdin >"$LOGS/useradd.txt" 2>&1 ||
  { cat "$LOGS/useradd.txt" >&2; die "ferryd user add failed"; }
if has mix; then
  for i in $(seq "$MIX_USERS"); do
    echo "$PW" | "$FERRYD" user add "bench$i" --root "$ROOT" --password-stdin >>"$LOGS/useradd.txt" 2>&1 ||
      { cat "$LOGS/useradd.txt" >&2; die "ferryd user add bench$i failed"; }
  done
fi
# The caps are the server's defences against one address; the benchmark is
# about capacity, so they are raised for the count (written, not hidden).
cat >>"$ROOT/ferryd.toml" <<EOF

# bench/load.sh
max_sessions = $SESSION_FIT
max_sessions_per_ip = $SESSION_FIT
max_pending_logins = $PENDING_FIT
max_pending_logins_per_ip = $PENDING_FIT
login_timeout = 120
EOF
start_server() {
  : >"$LOGS/serve.out" # before ferryd opens it: the loop below reads it at once
  "$FERRYD" serve --root "$ROOT" --listen 127.0.0.1:0 --ftp-listen 127.0.0.1:0 "${FERRYD_EXTRA[@]}" \
    $( ((EUID == 0)) && echo --allow-root) >"$LOGS/serve.out" 2>>"$LOGS/serve.err" &
  SERVER_PID=$!
  PORT= FTP_PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^ferryd listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOGS/serve.out" | head -1)
    FTP_PORT=$(sed -n 's/^ferryd ftp listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOGS/serve.out" | head -1)
    [[ -n $PORT && -n $FTP_PORT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOGS/serve.err" >&2; die "ferryd exited at start"; }
    sleep 0.1
  done
  [[ -n $PORT ]] || { cat "$LOGS/serve.out" "$LOGS/serve.err" >&2; die "ferryd did not print its address"; }
  log "ferryd pid $SERVER_PID on 127.0.0.1:$PORT (FTP ${FTP_PORT:-none})"
}
start_server
server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }

# Where the two cores went during a run: busy jiffies of the whole machine
# (/proc/stat), of ferryd, of ferry-load (/usr/bin/time); "others" is the rest
# (other users' jobs). CPU_NOTE is set by fl for the last run.
CLK_TCK=$(getconf CLK_TCK)
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
server_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
CPU_NOTE=
# fl NAME ARGS...: one ferry-load run against the server, output in LOGS/NAME.txt.
fl() {
  local name=$1; shift
  local m0 s0 t0 m1 s1 t1 lg
  m0=$(machine_busy) s0=$(server_ticks) t0=${EPOCHREALTIME/./}
  FERRY_PASSWORD=$PW /usr/bin/time -o "$LOGS/$name.time" -f '%U %S' \
    "$LOAD" --port "$PORT" --user bench --server-pid "$SERVER_PID" "$@" \
    >"$LOGS/$name.txt" 2>"$LOGS/$name.err" || true
  m1=$(machine_busy) s1=$(server_ticks) t1=${EPOCHREALTIME/./}
  lg=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$LOGS/$name.time" 2>/dev/null || echo 0)
  local srv=$(((s1 - s0) * 1000 / CLK_TCK)) all=$(((m1 - m0) * 1000 / CLK_TCK)) wall=$(((t1 - t0) / 1000))
  CPU_NOTE="cpu ms: ferryd $srv, ferry-load $lg, others $((all - srv - lg > 0 ? all - srv - lg : 0)) of $((wall * $(nproc))) (wall $wall x $(nproc) cores)"
  echo "$CPU_NOTE" >>"$LOGS/$name.txt"
  grep -q '^LOAD ' "$LOGS/$name.txt" || { cat "$LOGS/$name.err" >&2; die "ferry-load $name failed"; }
  server_alive || die "ferryd died during $name (see $LOGS/serve.err)"
}

# ---- conc: 50 x get 16 MiB vs the single-stream limit ----------------------------------
if has conc; then
  log "conc: single-stream limit and $CLIENTS x get $CONC_MIB MiB (best of $REPS)"
  head -c $((CONC_MIB * 1048576)) /dev/urandom >"$HOME_DIR/conc.bin"
  # tcp_limit_bench wants a file big enough to time: CONC_MIB repeated to 256
  # MiB. --quick: its upload receivers (files in /tmp) only with pread+send;
  # every download path is still measured.
  for _ in $(seq $((256 / CONC_MIB))); do cat "$HOME_DIR/conc.bin"; done >"$WORK/limit.bin"
  "$LIMIT_BENCH" "$WORK/limit.bin" --reps "$REPS" --quick --tmpdir "$WORK" >"$LOGS/tcp_limit.txt" 2>&1 ||
    die "tcp_limit_bench failed"
  rm -f "$WORK/limit.bin"
  LIMIT=$(sed -n 's/^LIMIT download_MBps=\([0-9]*\).*/\1/p' "$LOGS/tcp_limit.txt")
  row "tcp limit: 1 loopback stream (download)" "$LIMIT MB/s" "-" "1.00" "ref" \
    "tcp_limit_bench 256 MiB, best path $(sed -n 's/.*best_download_path=\([^ ]*\).*/\1/p' "$LOGS/tcp_limit.txt")"
  best1=0 runs1=""
  for r in $(seq "$REPS"); do
    fl "single-$r" --tls off --sessions 1 --threads 1 --mix get=100 --get-path /conc.bin --ops 8
    v=$(field "$(grep '^LOAD ' "$LOGS/single-$r.txt")" mb_per_s)
    runs1+="${runs1:+ }$v"; ge "$v" "$best1" && best1=$v
  done
  row "1 ferry-load get stream (16 MiB x 8)" "$best1 MB/s" "$LIMIT MB/s" "$(ratio "$best1" "$LIMIT")" "info" \
    "runs $runs1; ferry-load threads $(field "$(grep '^LOAD ' "$LOGS/single-1.txt")" threads)"
  best=0 runs="" bad=0 hwm=0 cpu_conc=
  for r in $(seq "$REPS"); do
    fl "conc-$r" --tls off --sessions "$CLIENTS" --threads "$CONC_THREADS" --mix get=100 --get-path /conc.bin \
      --ops-per-session 1 --source-ips "$SOURCE_IPS" --verify
    L=$(grep '^LOAD ' "$LOGS/conc-$r.txt")
    v=$(field "$L" mb_per_s)
    runs+="${runs:+ }$v"; ge "$v" "$best" && best=$v
    bad=$((bad + $(field "$L" errors))); h=$(field "$L" hwm_kib); ((h > hwm)) && hwm=$h
    cpu_conc+="; run $r $CPU_NOTE"
  done
  verdict=MISS; ge "$(ratio "$best" "$LIMIT")" 0.80 && verdict=PASS
  row "$CLIENTS x get $CONC_MIB MiB concurrent" "$best MB/s" "$LIMIT MB/s" "$(ratio "$best" "$LIMIT")" "$verdict" \
    "target >= 0.80; ferry-load threads $(field "$(grep '^LOAD ' "$LOGS/conc-1.txt")" threads); runs $runs; vs 1 stream $(ratio "$best" "$best1"); errors $bad; server VmHWM $((hwm / 1024)) MiB$cpu_conc"
  rm -f "$HOME_DIR/conc.bin"
fi

# ---- mix: 1,000 sessions ------------------------------------------------------------------
if has mix; then
  mix_rows() { # NAME LABEL TARGET
    local L e verdict O op
    L=$(grep '^LOAD ' "$LOGS/$1.txt")
    e=$(field "$L" errors)
    verdict=$3; [[ $3 == target ]] && { verdict=MISS; ((e == 0)) && verdict=PASS; }
    row "$2" "$e errors" "0" "-" "$verdict" \
      "$(field "$L" logged_in) logged in; $(field "$L" ops) ops, $(field "$L" ops_per_s) ops/s, $(field "$L" mb_per_s) MB/s; server VmHWM $(($(field "$L" hwm_kib) / 1024)) MiB $(errs "$LOGS/$1.txt")"
    [[ $3 == target ]] || return 0
    for op in login get put ls rm; do
      O=$(loadop "$LOGS/$1.txt" "$op")
      [[ -n $O ]] || continue
      row "  $op latency p50 (p90 p99 max) ms" "$(msf "$(field "$O" p50_us)")" "-" "-" "info" \
        "p90 $(msf "$(field "$O" p90_us)") p99 $(msf "$(field "$O" p99_us)") max $(msf "$(field "$O" max_us)"); n $(field "$O" n)"
    done
  }
  log "mix: $MIX_SESSIONS sessions as $MIX_USERS accounts, $MIX, $MIX_SECONDS s"
  fl mix --tls off --sessions "$MIX_SESSIONS" --users "$MIX_USERS" --user bench --mix "$MIX" --size "$MIX_SIZE" \
    --duration "$MIX_SECONDS" --source-ips "$SOURCE_IPS"
  mix_rows mix "$MIX_SESSIONS sessions ($MIX_USERS accounts): login + $MIX" target
  log "mix: the same as one account"
  fl mix1 --tls off --sessions "$MIX_SESSIONS" --mix "$MIX" --size "$MIX_SIZE" --duration "$MIX_SECONDS" \
    --source-ips "$SOURCE_IPS" --work-dir /load1
  mix_rows mix1 "  the same, all as one account" info
fi

# ---- logins/s ----------------------------------------------------------------------------
if has logins; then
  log "logins: $LOGIN_SESSIONS sessions, $LOGIN_SECONDS s, plain and TLS"
  best=0 runs=""
  for r in $(seq "$REPS"); do
    fl "logins-$r" --tls off --logins-only --sessions "$LOGIN_SESSIONS" --duration "$LOGIN_SECONDS" \
      --source-ips "$SOURCE_IPS"
    L=$(grep '^LOAD ' "$LOGS/logins-$r.txt")
    v=$(field "$L" ops_per_s)
    runs+="${runs:+ }$v (err $(field "$L" errors); $CPU_NOTE)"; ge "$v" "$best" && best=$v
  done
  verdict=MISS; ge "$best" 5000 && verdict=PASS
  O=$(loadop "$LOGS/logins-1.txt" login)
  row "native SCRAM logins/s (plain)" "$best /s" "5000 /s" "$(ratio "$best" 5000)" "$verdict" \
    "runs $runs; login p50 $(field "$O" p50_us) us p99 $(field "$O" p99_us) us (run 1)"
  fl logins-tls --tls on --logins-only --sessions "$LOGIN_SESSIONS" --duration "$LOGIN_SECONDS" --source-ips "$SOURCE_IPS"
  L=$(grep '^LOAD ' "$LOGS/logins-tls.txt")
  row "  the same over TLS (full handshake each)" "$(field "$L" ops_per_s) /s" "5000 /s" \
    "$(ratio "$(field "$L" ops_per_s)" 5000)" "info" "SCRAM-SHA-256-PLUS; errors $(field "$L" errors)"
fi

# ---- idle RSS -----------------------------------------------------------------------------
if has idle; then
  note=
  ((IDLE_RUN < IDLE)) && note="$IDLE do not fit: RLIMIT_NOFILE hard $(ulimit -Hn) gives ferryd $SESSION_FIT sessions, so run at $IDLE_RUN; "
  # A fresh server: the rows before leave freed heap that new sessions would
  # reuse without growing VmRSS.
  stop_server
  start_server
  log "idle: $IDLE_RUN logged-in sessions"
  fl idle --tls off --idle "$IDLE_RUN" --hold "$IDLE_HOLD" --settle 2 --source-ips "$SOURCE_IPS" \
    --login-concurrency $((PENDING_FIT > 256 ? 256 : PENDING_FIT)) --timeout 300
  L=$(grep '^LOAD ' "$LOGS/idle.txt")
  k=$(field "$L" rss_per_session_kib)
  verdict=MISS; [[ -n $k ]] && awk -v a="$k" 'BEGIN{exit !(a < 32)}' && verdict=PASS
  row "server RSS per idle session at $IDLE_RUN" "$k KiB" "32 KiB" "$(ratio "$k" 32)" "$verdict" \
    "$note$(field "$L" logged_in) logged in in $(field "$L" wall_s) s; VmRSS $(field "$L" rss_before_kib) -> $(field "$L" rss_loaded_kib) kB, after close $(field "$L" rss_after_kib) kB; errors $(field "$L" errors) $(errs "$LOGS/idle.txt")"
  # The same over TLS (an OpenSSL connection per session), fewer sessions:
  # TLS logins are ~10x slower.
  stop_server
  start_server
  fl idle-tls --tls on --idle "$IDLE_TLS" --hold "$IDLE_HOLD" --settle 2 --source-ips "$SOURCE_IPS" \
    --login-concurrency $((PENDING_FIT > 256 ? 256 : PENDING_FIT)) --timeout 300
  L=$(grep '^LOAD ' "$LOGS/idle-tls.txt")
  row "  the same over TLS, at $IDLE_TLS" "$(field "$L" rss_per_session_kib) KiB" "32 KiB" \
    "$(ratio "$(field "$L" rss_per_session_kib)" 32)" "info" \
    "VmRSS $(field "$L" rss_before_kib) -> $(field "$L" rss_loaded_kib) kB, after close $(field "$L" rss_after_kib) kB; errors $(field "$L" errors)"
fi

# ---- big directory ---------------------------------------------------------------------------
if has bigdir; then
  log "bigdir: $BIGDIR_ENTRIES entries"
  "$PY" - "$HOME_DIR/big" "$BIGDIR_ENTRIES" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
for i in range(n):
    os.close(os.open(os.path.join(d, f"file-{i:07d}.dat"), os.O_CREAT | os.O_WRONLY, 0o644))
EOF
  fl bigls --tls off --sessions 1 --mix ls=100 --ls-path /big --ops 3
  O=$(loadop "$LOGS/bigls.txt" ls) F=$(loadop "$LOGS/bigls.txt" ls_first)
  L=$(grep '^LOAD ' "$LOGS/bigls.txt")
  total_ms=$(awk -v a="$(field "$O" p50_us)" 'BEGIN{printf "%.1f", a/1000}')
  row "native ls of $BIGDIR_ENTRIES entries: total" "$total_ms ms" "-" "-" "info" \
    "median of 3; max $(awk -v a="$(field "$O" max_us)" 'BEGIN{printf "%.1f", a/1000}') ms; $(($(field "$L" ls_entries) / 3)) entries per ls; $(awk -v n="$BIGDIR_ENTRIES" -v a="$(field "$O" p50_us)" 'BEGIN{printf "%.0f", n/(a/1e6)}') entries/s"
  row "native ls: first frame" "$(awk -v a="$(field "$F" p50_us)" 'BEGIN{printf "%.1f", a/1000}') ms" "-" "-" "info" "median of 3"
  if [[ -n $FTP_PORT ]]; then
    for cmd in LIST MLSD; do
      FERRY_PASSWORD=$PW "$PY" "$REPO/bench/ftp_list_time.py" "$FTP_PORT" bench /big "$cmd" 3 >"$LOGS/ftp-$cmd.txt" 2>&1 ||
        { cat "$LOGS/ftp-$cmd.txt" >&2; die "FTP $cmd failed"; }
      # the median of 3 by total time
      M=$(sort -t= -k4 -n <(sed 's/.*total_ms=\([0-9.]*\).*/\1 &/' "$LOGS/ftp-$cmd.txt") | sed -n 2p)
      row "FTP $cmd of $BIGDIR_ENTRIES entries: total" "$(field "$M" total_ms) ms" "-" "-" "info" \
        "median of 3 (all: $(sed 's/.*total_ms=\([0-9.]*\).*/\1/' "$LOGS/ftp-$cmd.txt" | tr '\n' ' ')ms); first byte $(field "$M" first_ms) ms; $(field "$M" lines) lines, $(field "$M" bytes) bytes"
    done
  fi
  row "ProFTPD (issue 863): 20,090 files" "32000 ms" "-" "-" "ref" \
    "reported: 628 entries/s; ferryd native ls above: $(awk -v n="$BIGDIR_ENTRIES" -v a="$(field "$O" p50_us)" 'BEGIN{printf "%.0f", n/(a/1e6)}') entries/s"
  # The probe: 4 sessions, stat and ls of small things, 10 ms apart; alone, then
  # beside two sessions listing the big directory over and over (and MLSD).
  probe() { fl "$1" --tls off --sessions 4 --mix stat=50,ls=50 --think-ms 10 --duration "$PROBE_SECONDS"; }
  probe probe-alone
  FERRY_PASSWORD=$PW "$LOAD" --port "$PORT" --user bench --tls off --sessions 2 --mix ls=100 --ls-path /big \
    --duration $((PROBE_SECONDS + 2)) --work-dir /loadbig >"$LOGS/big-bg.txt" 2>&1 &
  NATIVE_BG=$!
  if [[ -n $FTP_PORT ]]; then
    (for _ in $(seq 100); do FERRY_PASSWORD=$PW "$PY" "$REPO/bench/ftp_list_time.py" "$FTP_PORT" bench /big MLSD 1 || break; done) \
      >"$LOGS/big-bg-ftp.txt" 2>&1 &
    BG_PIDS+=($!)
  fi
  sleep 1
  probe probe-beside
  wait "$NATIVE_BG" || true
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  BG_PIDS=()
  for op in stat ls; do
    A=$(loadop "$LOGS/probe-alone.txt" "$op") B=$(loadop "$LOGS/probe-beside.txt" "$op")
    ms() { awk -v a="$1" 'BEGIN{printf "%.2f", a/1000}'; }
    row "probe $op p99 beside big listings" "$(ms "$(field "$B" p99_us)") ms" "$(ms "$(field "$A" p99_us)") ms" \
      "$(ratio "$(field "$B" p99_us)" "$(field "$A" p99_us)")" "info" \
      "alone p50/p99/max $(ms "$(field "$A" p50_us)")/$(ms "$(field "$A" p99_us)")/$(ms "$(field "$A" max_us)"); beside $(ms "$(field "$B" p50_us)")/$(ms "$(field "$B" p99_us)")/$(ms "$(field "$B" max_us)") ms; n $(field "$A" n)/$(field "$B" n)"
  done
  row "  big listings done meanwhile" "$(grep -c . "$LOGS/big-bg-ftp.txt" 2>/dev/null || echo 0) MLSD" "-" "-" "info" \
    "native: $(field "$(loadop "$LOGS/big-bg.txt" ls)" n) ls of /big; probe errors $(field "$(grep '^LOAD ' "$LOGS/probe-beside.txt")" errors)"
fi
stop_server

# ---- report ---------------------------------------------------------------------------------
echo
echo "ferry load benchmark — $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) cores, commit $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- 2>/dev/null || echo '+dirty'), load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s | %14s | %14s | %6s | %8s | %s\n' row value reference ratio verdict notes
printf '%s\n' "${T_ROWS[@]}"
