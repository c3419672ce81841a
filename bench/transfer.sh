#!/usr/bin/env bash
# bench/transfer.sh [BUILD_DIR] — ferry transfer benchmark on loopback, one run:
#   1. the machine's single-TCP-stream limit (bench/tcp_limit_bench: every
#      sender path against a discarding receiver = download limit, and against
#      receivers writing a file in /tmp = upload limit), and the filesystem's
#      small-file create rate (bench/fs_create_bench);
#   2. ferry get / put of a 1 GiB file (page cache -> file in /tmp), default
#      algo and each --algo;
#   3. ferry get -r / put -r of a tree of 1,000 files of 4 KiB;
#   4. 50 concurrent clients each getting a 16 MiB file (aggregate MB/s,
#      failures, server peak RSS).
# and prints one table: MB/s or files/s, the ratio to the limit, and PASS/MISS
# against the targets of issue 4. Not a test: numbers depend on the machine.
#
# Environment knobs (defaults in brackets):
#   REPS [3]          repetitions per row, best one reported (noisy machine)
#   BIG_MIB [1024]    size of the big file
#   SMALL_FILES [1000] SMALL_KIB [4]   the tree of small files
#   CLIENTS [50] CONC_MIB [16]         the concurrent-download row
#   BENCH_TMP [/tmp]  where the work directory is created
#   SRC_FILE []       reuse an existing big file instead of generating one
#   KEEP_LOGS [0]     keep the log directory even when everything succeeded
#   TIMEOUT_BIG [180] seconds allowed for one 1 GiB transfer
#   FERRYD_ARGS []    extra arguments for `ferryd serve` (e.g. --threads 2)
# Pure bash + coreutils (+ diffutils' diff/cmp); times from $EPOCHREALTIME.
set -euo pipefail

die() { echo "transfer.sh: $*" >&2; exit 2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$REPO/bench/lib.sh"
BUILD=${1:-$REPO/build}
[[ -d $BUILD ]] || die "build directory '$BUILD' not found (usage: bench/transfer.sh [BUILD_DIR])"
BUILD=$(cd "$BUILD" && pwd)

FERRYD=$BUILD/apps/ferryd
FERRY=$BUILD/apps/ferry
LIMIT_BENCH=$BUILD/bench/tcp_limit_bench
FS_BENCH=$BUILD/bench/fs_create_bench # optional
missing=()
for b in "$FERRYD" "$FERRY" "$LIMIT_BENCH"; do [[ -x $b ]] || missing+=("$b"); done
if ((${#missing[@]})); then
  echo "transfer.sh: missing binaries:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "build them: cmake --build $BUILD --target ferryd ferry tcp_limit_bench fs_create_bench" >&2
  exit 2
fi

REPS=${REPS:-3}
BIG_MIB=${BIG_MIB:-1024}
SMALL_FILES=${SMALL_FILES:-1000}
SMALL_KIB=${SMALL_KIB:-4}
CLIENTS=${CLIENTS:-50}
CONC_MIB=${CONC_MIB:-16}
BENCH_TMP=${BENCH_TMP:-/tmp}
KEEP_LOGS=${KEEP_LOGS:-0}
TIMEOUT_BIG=${TIMEOUT_BIG:-180}
read -r -a FERRYD_EXTRA <<<"${FERRYD_ARGS:-}"
ALGOS=(xxh128 sha256 md5)
PW=bench-pw-$$
BIG_BYTES=$((BIG_MIB * 1048576))
CONC_BYTES=$((CONC_MIB * 1048576))
((SMALL_FILES % 10 == 0)) || die "SMALL_FILES must be a multiple of 10"

# ---- space check ---------------------------------------------------------------
# Worst case at once: source, a local copy, two server copies, the
# concurrent-download outputs, plus slack.
need_mib=$((BIG_MIB * 4 + CLIENTS * CONC_MIB + CONC_MIB + 1024))
avail_kib=$(df -Pk "$BENCH_TMP" | tail -1 | tr -s ' ' | cut -d' ' -f4)
((avail_kib / 1024 >= need_mib)) ||
  die "$BENCH_TMP has $((avail_kib / 1024)) MiB free, need ~$need_mib MiB"

WORK=$(mktemp -d "$BENCH_TMP/ferry-bench.XXXXXX")
LOGS=$WORK/logs
ROOT=$WORK/root
HOME_DIR=$ROOT/home/bench
mkdir -p "$LOGS"
SERVER_PID=
BG_PIDS=()
FAILED=0

cleanup() {
  local rc=$?
  set +e
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  stop_server
  if ((FAILED || rc != 0)) || [[ $KEEP_LOGS == 1 ]]; then
    local keep=$BENCH_TMP/ferry-bench-logs.$$
    rm -rf "$keep" && cp -r "$LOGS" "$keep" && echo "logs kept in $keep" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_server() {
  [[ -n $SERVER_PID ]] || return 0
  stop_pid "$SERVER_PID"
  SERVER_PID=
}

# ---- timing and integer formatting ---------------------------------------------
# Microsecond wall clock without a fork: ${EPOCHREALTIME/./} (bash >= 5).
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash >= 5 (EPOCHREALTIME)"
# CPU time in ms: of the server (utime+stime), of this shell's waited children.
CLK_TCK=$(getconf CLK_TCK)
server_cpu_ms() { local f; read -r -a f <"/proc/$SERVER_PID/stat"; echo $(((f[13] + f[14]) * 1000 / CLK_TCK)); }
# children_cpu_ms: sets CHILD_CPU_MS. Not called in $(...): `times` must run in
# this shell, a subshell has its own children.
children_cpu_ms() {
  local u s
  times >"$LOGS/times.txt"
  { read -r _; read -r u s; } <"$LOGS/times.txt"
  CHILD_CPU_MS=$(($(tosec_ms "$u") + $(tosec_ms "$s")))
}
tosec_ms() { # 1m2.345s -> 62345
  local t=$1 m sec; m=${t%%m*}; sec=${t#*m}; sec=${sec%s}
  echo $((m * 60000 + 10#${sec%.*} * 1000 + 10#${sec#*.}))
}
# fixed(VALUE_X100) -> "12.34"
fixed2() { local v=$1; printf '%d.%02d' $((v / 100)) $((v % 100)); }
# mbps BYTES MICROSECONDS -> integer MB/s (decimal)
mbps() { echo $(( ($1 + $2 / 2) / $2 )); }

# ---- result table ----------------------------------------------------------------
T_NAME=() T_VALUE=() T_REF=() T_RATIO=() T_TARGET=() T_VERDICT=() T_RUNS=()
add_row() { # name value ref ratio target verdict runs
  T_NAME+=("$1") T_VALUE+=("$2") T_REF+=("$3") T_RATIO+=("$4") T_TARGET+=("$5") T_VERDICT+=("$6") T_RUNS+=("$7")
}
# add_ratio_row NAME VALUE UNIT REFVAR REF_LABEL TARGET_X100 RUNS
# REFVAR names the variable holding the reference (DOWN_LIMIT, UP_LIMIT,
# FILES_TARGET): the limits are final only at the end (the best of two
# passes), so ratio and verdict are filled in by finalize_rows.
# TARGET_X100 empty = info only.
P_IDX=() P_ARGS=()
add_ratio_row() {
  P_IDX+=("${#T_NAME[@]}")
  P_ARGS+=("$2|$3|$4|$5|$6")
  add_row "$1" "$2 $3" "" "" "" "" "$7"
}
finalize_rows() {
  local k i value refvar reflabel target ref ratio verdict tgt
  for k in "${!P_IDX[@]}"; do
    i=${P_IDX[k]}
    IFS='|' read -r value _ refvar reflabel target <<<"${P_ARGS[k]}"
    ref=${!refvar}
    ratio=$(((value * 100 + ref / 2) / ref)) verdict=info tgt=-
    if [[ -n $target ]]; then
      tgt=">=$(fixed2 "$target")"
      # compare with one more digit so 0.845 does not round into a PASS
      if ((value * 1000 >= ref * target * 10)); then verdict=PASS; else verdict=MISS; fi
    fi
    T_REF[i]="$ref $reflabel" T_RATIO[i]=$(fixed2 "$ratio") T_TARGET[i]=$tgt T_VERDICT[i]=$verdict
  done
}
# shellcheck disable=SC2034 # read through ${!refvar}
FILES_TARGET=10000
add_fail_row() { add_row "$1" "FAILED" "-" "-" "-" "FAIL" "$2"; FAILED=1; }

print_table() {
  local w=38 i
  printf '%-*s %12s %16s %6s %8s %7s  %s\n' $w "row" "result" "limit/target" "ratio" "target" "verdict" "runs (best of)"
  printf '%s\n' "$(printf '%.0s-' $(seq 120))"
  for i in "${!T_NAME[@]}"; do
    printf '%-*s %12s %16s %6s %8s %7s  %s\n' $w "${T_NAME[i]}" "${T_VALUE[i]}" "${T_REF[i]}" \
      "${T_RATIO[i]}" "${T_TARGET[i]}" "${T_VERDICT[i]}" "${T_RUNS[i]}"
  done
}

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ---- inputs ------------------------------------------------------------------------
if [[ -n ${SRC_FILE:-} ]]; then
  [[ -f $SRC_FILE ]] || die "SRC_FILE '$SRC_FILE' not found"
  BIG=$SRC_FILE
  BIG_BYTES=$(stat -c %s "$BIG")
  BIG_MIB=$((BIG_BYTES / 1048576))
else
  BIG=$WORK/big.src
  log "creating ${BIG_MIB} MiB source file"
  head -c "$BIG_BYTES" /dev/urandom >"$BIG"
fi
cat "$BIG" >/dev/null # into the page cache

TREE=$WORK/tree
per_dir=$((SMALL_FILES / 10))
for d in $(seq 0 9); do
  mkdir -p "$TREE/d$d"
  head -c $((per_dir * SMALL_KIB * 1024)) /dev/urandom |
    split -b $((SMALL_KIB * 1024)) -a 3 -d - "$TREE/d$d/f"
done
[[ $(find "$TREE" -type f | wc -l) == "$SMALL_FILES" ]] || die "tree generation failed"

CONC_SRC=$WORK/conc.src
head -c "$CONC_BYTES" /dev/urandom >"$CONC_SRC"

# ---- 1. single TCP stream limit -----------------------------------------------------
# Two passes, one before the ferry rows and one after them (the machine is
# shared and its speed drifts); each limit is the best of both, so a pass run
# during someone else's build cannot flatter the ratios.
declare -A LIM=()
limit_pass() { # PASS_NUMBER
  local n=$1 line k
  log "tcp_limit_bench pass $n/2 (best of $REPS per path)"
  cat "$BIG" >/dev/null
  "$LIMIT_BENCH" "$BIG" --reps "$REPS" --tmpdir "$WORK" | tee "$LOGS/tcp_limit.$n.txt" >&2
  line=$(grep '^LIMIT ' "$LOGS/tcp_limit.$n.txt" | tail -1)
  [[ -n $line ]] || die "tcp_limit_bench printed no LIMIT line"
  for k in $line; do [[ $k == *=* ]] && LIM[$n.${k%%=*}]=${k#*=}; done
  return 0
}
# best_of KEY PATHKEY -> sets BEST_VAL BEST_RUNS ("pass1 V (path), pass2 V (path)")
best_of() {
  local n v
  BEST_VAL=0 BEST_RUNS=""
  for n in 1 2; do
    v=${LIM[$n.$1]:-}
    [[ -n $v ]] || continue
    BEST_RUNS+="${BEST_RUNS:+; }pass$n $v${2:+ ${LIM[$n.$2]:-}}"
    ((v > BEST_VAL)) && BEST_VAL=$v
  done
  return 0
}
log "1/4 limits"
limit_pass 1
# Provisional until pass 2; the limit rows are filled in by finalize_limits.
DOWN_LIMIT=${LIM[1.download_MBps]} UP_LIMIT=${LIM[1.upload_MBps]}
LIMIT_ROW=${#T_NAME[@]}
add_row "tcp limit: download (1 stream)" "" "-" "1.00" "-" "ref" ""
add_row "tcp limit: upload to /tmp file" "" "-" "1.00" "-" "ref" ""
add_row "  upload limit, recv+write receiver" "" "-" "" "-" "info" ""
finalize_limits() {
  local i=$LIMIT_ROW
  best_of download_MBps best_download_path
  DOWN_LIMIT=$BEST_VAL T_VALUE[i]="$BEST_VAL MB/s" T_RUNS[i]=$BEST_RUNS
  best_of upload_MBps best_upload_path
  UP_LIMIT=$BEST_VAL T_VALUE[i + 1]="$BEST_VAL MB/s" T_RUNS[i + 1]=$BEST_RUNS
  best_of upload_recv_write_MBps
  T_VALUE[i + 2]="$BEST_VAL MB/s" T_RUNS[i + 2]="$BEST_RUNS; data through user space (hashable in one pass)"
  T_RATIO[i + 2]=$(fixed2 $(((BEST_VAL * 100 + UP_LIMIT / 2) / UP_LIMIT)))
}

# ---- server ---------------------------------------------------------------------------
log "starting ferryd"
"$FERRYD" init --root "$ROOT" >"$LOGS/init.txt" 2>&1 || { cat "$LOGS/init.txt" >&2; die "ferryd init failed"; }
echo "$PW" | "$FERRYD" user add bench --root "$ROOT" --password-stdin >"$LOGS/useradd.txt" 2>&1 ||
  { cat "$LOGS/useradd.txt" >&2; die "ferryd user add failed"; }
# 50 clients log in at once from one address: more than the default 32
# pending logins per address that ferryd allows (a flood guard).
printf '\nmax_pending_logins_per_ip = %d\n' $((CLIENTS + 16)) >>"$ROOT/ferryd.toml"
: >"$LOGS/serve.out" # exists before the address loop reads it (set -e)
"$FERRYD" serve --root "$ROOT" --listen 127.0.0.1:0 "${FERRYD_EXTRA[@]}" $( ((EUID == 0)) && echo --allow-root) >"$LOGS/serve.out" 2>"$LOGS/serve.err" &
SERVER_PID=$!
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/^ferryd listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOGS/serve.out" | head -1)
  [[ -n $PORT ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOGS/serve.err" >&2; die "ferryd exited at start"; }
  sleep 0.1
done
[[ -n $PORT ]] || { cat "$LOGS/serve.err" >&2; die "ferryd did not print its address within 10 s"; }
[[ -d $HOME_DIR ]] || die "no home directory $HOME_DIR after user add"
log "ferryd pid $SERVER_PID on 127.0.0.1:$PORT"
# The download path ferryd measured and chose at start (download_method =
# "auto"), or the one FERRYD_ARGS / ferryd.toml fixed: wait for it, so that
# no timed row runs on the interim copy path.
SEND_PATHS=
for _ in $(seq 300); do
  SEND_PATHS=$(sed -n 's/.*\(download path: .*\)$/\1/p' "$LOGS/serve.err" | head -1)
  [[ -n $SEND_PATHS ]] && break
  sleep 0.1
done
log "ferryd: ${SEND_PATHS:-no download path logged within 30 s}"

# fc TIMEOUT LOGNAME ARGS... : one ferry command, output to the log.
fc() {
  local to=$1 name=$2; shift 2
  FERRY_PASSWORD=$PW timeout "$to" "$FERRY" --no-tls -P "$PORT" bench@127.0.0.1 "$@" \
    </dev/null >"$LOGS/$name.out" 2>"$LOGS/$name.err"
}
# fc_exec: the same, replacing the calling (background) subshell, so that $!
# is `timeout` itself and killing it stops its ferry too.
fc_exec() {
  local to=$1 name=$2; shift 2
  FERRY_PASSWORD=$PW exec timeout "$to" "$FERRY" --no-tls -P "$PORT" bench@127.0.0.1 "$@" \
    </dev/null >"$LOGS/$name.out" 2>"$LOGS/$name.err"
}
fc_fail_msg() { echo "exit $1: $(tail -c 300 "$LOGS/$2.err" | tr '\n' ' ')"; }
server_alive() { kill -0 "$SERVER_PID" 2>/dev/null; }

# Session overhead (start, connect, SCRAM login, bye): what every one-shot
# command pays, and what the small-file rows include once.
best=0 runs=""
for r in $(seq "$REPS"); do
  t0=${EPOCHREALTIME/./}
  if fc 20 pwd; then rc=0; else rc=$?; best=-1; break; fi
  dt=$((${EPOCHREALTIME/./} - t0)); runs+="${runs:+ }$((dt / 1000))ms"
  ((best == 0 || dt < best)) && best=$dt
done
SETUP_US=0
if ((best < 0)); then
  add_fail_row "session setup (ferry pwd)" "$(fc_fail_msg "$rc" pwd)"
else
  SETUP_US=$best
  add_row "session setup (ferry pwd)" "$((best / 1000)) ms" "-" "-" "-" "info" "$runs"
fi

# ---- 2. 1 GiB get / put -----------------------------------------------------------------
# big_put LABEL REMOTE ALGO_ARGS... / big_get LABEL REMOTE keep|fresh ALGO_ARGS...:
# REPS timed runs; the best is reported, every run is verified byte for byte.
big_put() {
  local label=$1 remote=$2; shift 2
  local best=0 runs="" r t0 dt rc
  for r in $(seq "$REPS"); do
    rm -f "$HOME_DIR/$remote"
    sync
    t0=${EPOCHREALTIME/./}
    if fc "$TIMEOUT_BIG" "put-$remote-$r" put "$@" "$BIG" "$remote"; then rc=0; else rc=$?; fi
    dt=$((${EPOCHREALTIME/./} - t0))
    if ((rc != 0)); then add_fail_row "$label" "$(fc_fail_msg $rc "put-$remote-$r")"; return 1; fi
    if ! cmp -s "$BIG" "$HOME_DIR/$remote"; then
      add_fail_row "$label" "server file differs from source after put"; return 1
    fi
    runs+="${runs:+ }$(mbps "$BIG_BYTES" "$dt")"
    ((best == 0 || dt < best)) && best=$dt
  done
  add_ratio_row "$label" "$(mbps "$BIG_BYTES" "$best")" "MB/s" UP_LIMIT "MB/s up" "${TARGET:-}" "$runs"
}
big_get() {
  local label=$1 remote=$2 fresh=$3; shift 3
  local best=0 runs="" r t0 dt rc out=$WORK/got.bin
  for r in $(seq "$REPS"); do
    rm -f "$out" "$WORK/.got.bin.ferry-part"
    if [[ $fresh == fresh ]]; then # a file the server never received: no stored digest
      rm -f "$HOME_DIR/$remote"; cp "$BIG" "$HOME_DIR/$remote"
    fi
    sync
    t0=${EPOCHREALTIME/./}
    if fc "$TIMEOUT_BIG" "get-$remote-$r" get "$@" "$remote" "$out"; then rc=0; else rc=$?; fi
    dt=$((${EPOCHREALTIME/./} - t0))
    if ((rc != 0)); then add_fail_row "$label" "$(fc_fail_msg $rc "get-$remote-$r")"; return 1; fi
    if ! cmp -s "$BIG" "$out"; then add_fail_row "$label" "local file differs from source after get"; return 1; fi
    runs+="${runs:+ }$(mbps "$BIG_BYTES" "$dt")"
    ((best == 0 || dt < best)) && best=$dt
  done
  rm -f "$out"
  add_ratio_row "$label" "$(mbps "$BIG_BYTES" "$best")" "MB/s" DOWN_LIMIT "MB/s down" "${TARGET:-}" "$runs"
}

SZ="${BIG_MIB} MiB"
((BIG_MIB == 1024)) && SZ="1 GiB"
log "2/4 get/put of $SZ (best of $REPS)"
for variant in default "${ALGOS[@]}"; do
  if [[ $variant == default ]]; then args=(); tag="(default algo)"; else args=(--algo "$variant"); tag="--algo $variant"; fi
  TARGET=
  [[ $variant == default || $variant == xxh128 ]] && TARGET=85
  remote=big.$variant
  big_put "put $SZ $tag" "$remote" "${args[@]}" || true
  # get the file the put just stored (its digest may be kept with it)
  if [[ -f $HOME_DIR/$remote ]]; then
    big_get "get $SZ $tag" "$remote" keep "${args[@]}" || true
    rm -f "$HOME_DIR/$remote"
  else
    add_fail_row "get $SZ $tag" "no server file (put failed)"
  fi
  server_alive || die "ferryd died (see $LOGS/serve.err)"
done
TARGET=85
big_get "get $SZ, file not put by ferry" cold.bin fresh || true
TARGET=
rm -f "$HOME_DIR/cold.bin"
server_alive || die "ferryd died"

# ---- 3. trees of small files -----------------------------------------------------------
# tree_root DIR : the directory under DIR that holds d0/..d9/ (cp -r semantics
# may put the tree at DIR or at DIR/NAME).
tree_root() { local m; m=$(find "$1" -path '*/d0/f000' -print -quit 2>/dev/null); [[ -n $m ]] && dirname "$(dirname "$m")"; }

# net_of_setup BEST_US : "; N net of setup; 0.xx of fs limit" (the rows count
# one session setup; the filesystem's create rate bounds them).
net_of_setup() {
  if ((SETUP_US > 0 && $1 > SETUP_US)); then
    echo -n "; $((SMALL_FILES * 1000000 / ($1 - SETUP_US))) net of setup"
  fi
  if ((FS_LIMIT > 0)); then
    echo -n "; $(fixed2 $(((SMALL_FILES * 100000000 / $1 + FS_LIMIT / 2) / FS_LIMIT))) of fs limit"
  fi
}

# The filesystem's own small-file rate (create part, write, close, rename; one
# thread): context for the tree rows, which cannot beat it file by file.
# Measured right before them: it swings with other writers on the disk.
FS_LIMIT=0
if [[ -x $FS_BENCH ]]; then
  # --keep: deleting thousands of inodes slows the creates that follow (ext4
  # skips recently freed inodes), so every small file stays until the end.
  "$FS_BENCH" "$WORK" --files "$SMALL_FILES" --kib "$SMALL_KIB" --reps "$REPS" --keep | tee "$LOGS/fs_create.txt" >&2
  FS_LIMIT=$(sed -n 's/^FSLIMIT create_files_per_s=\([0-9]*\).*/\1/p' "$LOGS/fs_create.txt")
  FS_LIMIT=${FS_LIMIT:-0}
  add_row "fs limit: create $SMALL_FILES x $SMALL_KIB KiB" "$FS_LIMIT files/s" "-" "-" "-" "info" \
    "1 thread: open(O_CREAT) + write + close + rename in $BENCH_TMP"
fi

log "3/4 trees of $SMALL_FILES x $SMALL_KIB KiB (best of $REPS)"
NAME_TREE="$SMALL_FILES x $SMALL_KIB KiB"
cp -r "$TREE" "$HOME_DIR/tree"
# put -r
best=0 runs="" ok=1
for r in $(seq "$REPS"); do
  sync
  t0=${EPOCHREALTIME/./}
  if fc 120 "put-tree-$r" put -r "$TREE" "treeput$r"; then rc=0; else rc=$?; fi
  dt=$((${EPOCHREALTIME/./} - t0))
  if ((rc != 0)); then add_fail_row "put -r $NAME_TREE" "$(fc_fail_msg $rc "put-tree-$r")"; ok=0; break; fi
  root=$(tree_root "$HOME_DIR/treeput$r" || true)
  if [[ -z $root ]] || ! diff -rq "$TREE" "$root" >"$LOGS/put-tree-$r.diff" 2>&1; then
    add_fail_row "put -r $NAME_TREE" "server tree differs ($(head -c 200 "$LOGS/put-tree-$r.diff"))"; ok=0; break
  fi
  runs+="${runs:+ }$((SMALL_FILES * 1000000 / dt))"
  ((best == 0 || dt < best)) && best=$dt
done
((ok)) && add_ratio_row "put -r $NAME_TREE" $((SMALL_FILES * 1000000 / best)) "files/s" FILES_TARGET "files/s" 100 "$runs$(net_of_setup "$best")"
# get -r
best=0 runs="" ok=1
for r in $(seq "$REPS"); do
  sync
  t0=${EPOCHREALTIME/./}
  if fc 120 "get-tree-$r" get -r tree "$WORK/treeget$r"; then rc=0; else rc=$?; fi
  dt=$((${EPOCHREALTIME/./} - t0))
  if ((rc != 0)); then add_fail_row "get -r $NAME_TREE" "$(fc_fail_msg $rc "get-tree-$r")"; ok=0; break; fi
  root=$(tree_root "$WORK/treeget$r" || true)
  if [[ -z $root ]] || ! diff -rq "$TREE" "$root" >"$LOGS/get-tree-$r.diff" 2>&1; then
    add_fail_row "get -r $NAME_TREE" "local tree differs ($(head -c 200 "$LOGS/get-tree-$r.diff"))"; ok=0; break
  fi
  runs+="${runs:+ }$((SMALL_FILES * 1000000 / dt))"
  ((best == 0 || dt < best)) && best=$dt
done
((ok)) && add_ratio_row "get -r $NAME_TREE" $((SMALL_FILES * 1000000 / best)) "files/s" FILES_TARGET "files/s" 100 "$runs$(net_of_setup "$best")"
# (the trees are removed with the work directory at the end)
server_alive || die "ferryd died"

# ---- 4. concurrent downloads ---------------------------------------------------------------
log "4/4 $CLIENTS concurrent clients x get $CONC_MIB MiB"
vm() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$SERVER_PID/status"; }
HWM_BEFORE=$(vm VmHWM)
cp "$CONC_SRC" "$HOME_DIR/conc.bin"
mkdir -p "$WORK/conc"
fc 60 conc-warmup get conc.bin "$WORK/conc/warmup.bin" || true # serves once: digest cached if the server keeps it
rm -f "$WORK/conc/warmup.bin"
# Reset the peak-RSS counter so VmHWM covers this row only (Linux: clear_refs 5).
HWM_RESET=0
echo 5 2>/dev/null >"/proc/$SERVER_PID/clear_refs" && HWM_RESET=1
sync
BG_PIDS=()
srv_cpu0=$(server_cpu_ms)
children_cpu_ms
cli_cpu0=$CHILD_CPU_MS
t0=${EPOCHREALTIME/./}
for i in $(seq "$CLIENTS"); do
  fc_exec 300 "conc-$i" get conc.bin "$WORK/conc/$i.bin" &
  BG_PIDS+=($!)
done
fails=0 i=0
for p in "${BG_PIDS[@]}"; do
  i=$((i + 1))
  if ! wait "$p"; then fails=$((fails + 1)); fi
done
dt=$((${EPOCHREALTIME/./} - t0))
BG_PIDS=()
srv_cpu=$(($(server_cpu_ms) - srv_cpu0))
children_cpu_ms
cli_cpu=$((CHILD_CPU_MS - cli_cpu0))
HWM=$(vm VmHWM)
RSS_NOW=$(vm VmRSS)
bad=0
for i in $(seq "$CLIENTS"); do
  [[ -f $WORK/conc/$i.bin ]] && cmp -s "$CONC_SRC" "$WORK/conc/$i.bin" || bad=$((bad + 1))
done
ok_clients=$((CLIENTS - bad))
agg=$(mbps $((ok_clients * CONC_BYTES)) "$dt")
name_conc="$CLIENTS x get $CONC_MIB MiB concurrent"
add_ratio_row "$name_conc" "$agg" "MB/s" DOWN_LIMIT "MB/s down" 80 \
  "$(((dt + 500) / 1000)) ms wall, $ok_clients/$CLIENTS ok; cpu ms: server $srv_cpu, clients $cli_cpu"
if ((bad == 0)); then v=PASS; else v=MISS; FAILED=1; fi
add_row "  failures (exit != 0 or bad bytes)" "$bad" "0" "-" "0" "$v" "nonzero exits: $fails"
if ((HWM < 65536)); then v=PASS; else v=MISS; fi
add_row "  server peak RSS during row" "$((HWM / 1024)) MiB" "64 MiB" \
  "$(fixed2 $(((HWM * 100 + 32768) / 65536)))" "<64MiB" "$v" \
  "VmHWM $HWM kB$( ((HWM_RESET)) || echo ' (lifetime: reset failed)'), VmRSS after $RSS_NOW kB"
add_row "server peak RSS, rows 2-3" "$((HWM_BEFORE / 1024)) MiB" "-" "-" "-" "info" "VmHWM $HWM_BEFORE kB"
rm -rf "$WORK/conc"
server_alive || die "ferryd died"
stop_server

limit_pass 2
finalize_limits
finalize_rows

# ---- report ---------------------------------------------------------------------------------
echo
echo "ferry transfer benchmark — $(uname -r), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), loopback 127.0.0.1," \
  "commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "ferryd ${SEND_PATHS:-(no download path logged)}"
echo "native transfers in clear text (ferry --no-tls; TLS rows: bench/tls.sh); the client receives with recv"
for n in 1 2; do
  line=$(grep '^UPLOAD_HASHED ' "$LOGS/tcp_limit.$n.txt" 2>/dev/null | tail -1)
  [[ -n $line ]] && echo "upload with xxh128, pass $n: ${line#UPLOAD_HASHED } (ferryd hashes in the receive loop)"
done
echo "limits from tcp_limit_bench (best path, best of $REPS, best of a pass before and a pass after the ferry rows):"
echo "  download $DOWN_LIMIT MB/s, upload $UP_LIMIT MB/s"
echo "MB/s = 10^6 bytes/s, wall time of the whole ferry command (start, login, transfer, verify, exit)"
echo
print_table
echo
if ((FAILED)); then echo "some rows FAILED (logs kept, see above)"; exit 1; fi
