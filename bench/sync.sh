#!/usr/bin/env bash
# bench/sync.sh [BUILD_DIR] — what `ferry sync` saves on a tree that did not
# change, on loopback, one run:
#   1. a tree of 1,000 files (10 directories x 100 files of 4 KiB);
#   2. up:   `put -r` of it into a fresh directory (the baseline: everything
#            sent), a first `sync ./tree :/mirror` (everything sent), a second
#            sync (nothing changed), then `put -r --force` (everything sent
#            again over an existing copy: what a tool that cannot tell would do);
#   3. down: the same with `get -r`, `sync :/mirror ./down` and `get -r --force`.
# Prints the date, the kernel, each time, the file data the second syncs sent
# (from the server's xferlog: must be 0 bytes and 0 files) and the ratios
# second sync / forced copy, second sync / fresh copy and first sync / fresh
# copy, all measured in this run. With files this small, deciding by digest
# (a hash request per file and a local hashing pass) costs about what sending
# them does; the saving grows with the bytes per file (KIB=1024). Exit 1 when a second sync sent file data or a copy differs.
#
# Knobs: FILES [1000] KIB [4], BENCH_TMP [/tmp], KEEP_LOGS [0].
# Builds ferryd and ferry (ninja or make in BUILD_DIR) when they are missing.
set -euo pipefail

die() { echo "sync.sh: $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash >= 5 (EPOCHREALTIME)"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$REPO/build}
FERRYD=$BUILD/apps/ferryd
FERRY=$BUILD/apps/ferry
if [[ ! -x $FERRYD || ! -x $FERRY ]]; then
  log "building ferryd and ferry in $BUILD"
  [[ -d $BUILD ]] || cmake -S "$REPO" -B "$BUILD" -G Ninja >/dev/null
  cmake --build "$BUILD" --target ferryd ferry >/dev/null || die "build failed"
fi

FILES=${FILES:-1000}
KIB=${KIB:-4}
BENCH_TMP=${BENCH_TMP:-/tmp}
KEEP_LOGS=${KEEP_LOGS:-0}
PW=bench-pw-$$
WORK=$(mktemp -d "$BENCH_TMP/ferry-sync-bench.XXXXXX")
ROOT=$WORK/root
LOGS=$WORK/logs
HOME_DIR=$ROOT/home/bench
mkdir -p "$LOGS"
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $KEEP_LOGS == 1 ]]; then echo "logs: $LOGS" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- the tree -----------------------------------------------------------------
TREE=$WORK/tree
per_dir=$((FILES / 10))
for d in $(seq 0 9); do
  mkdir -p "$TREE/d$d"
  head -c $((per_dir * KIB * 1024)) /dev/urandom | split -b $((KIB * 1024)) -a 3 -d - "$TREE/d$d/f"
done
[[ $(find "$TREE" -type f | wc -l) == "$FILES" ]] || die "tree generation failed"

# ---- the server -----------------------------------------------------------------
"$FERRYD" init --root "$ROOT" --no-tls >"$LOGS/init.txt" 2>&1 || die "ferryd init failed: $(cat "$LOGS/init.txt")"
echo "$PW" | "$FERRYD" user add bench --root "$ROOT" --password-stdin >"$LOGS/useradd.txt" 2>&1 ||
  die "ferryd user add failed"
"$FERRYD" serve --root "$ROOT" --listen 127.0.0.1:0 $( ((EUID == 0)) && echo --allow-root) \
  >"$LOGS/serve.out" 2>"$LOGS/serve.err" &
SERVER_PID=$!
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/^ferryd listening on .*:\([0-9][0-9]*\)$/\1/p' "$LOGS/serve.out" | head -1)
  [[ -n $PORT ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "ferryd exited at start: $(cat "$LOGS/serve.err")"
  sleep 0.1
done
[[ -n $PORT ]] || die "ferryd did not print its address within 10 s"
XFERLOG=$ROOT/log/xferlog

# timed NAME ARGS...: one ferry command from $WORK; sets DT_MS; dies on failure.
timed() {
  local name=$1 t0; shift
  sync # writeback of the previous step must not land in this one
  t0=${EPOCHREALTIME/./}
  (cd "$WORK" && FERRY_PASSWORD=$PW timeout 300 "$FERRY" --no-tls -P "$PORT" bench@127.0.0.1 "$@" \
    </dev/null >"$LOGS/$name.out" 2>"$LOGS/$name.err") ||
    die "$name: ferry $* failed: $(tail -c 300 "$LOGS/$name.err")"
  DT_MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
}
xfer_lines() { [[ -f $XFERLOG ]] && wc -l <"$XFERLOG" || echo 0; }
# data_since LINE: "FILES BYTES" of the xferlog lines after LINE (field 8: bytes).
data_since() { tail -n +$(($1 + 1)) "$XFERLOG" 2>/dev/null | awk '{ n++; b += $8 } END { printf "%d %d\n", n, b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
same_tree() { diff -r "$TREE" "$1" >"$LOGS/diff.txt" 2>&1 || die "$1 differs from the source: $(head -c 300 "$LOGS/diff.txt")"; }

FAILED=0
run_direction() { # up|down
  local dir=$1 fresh first second forced n0 files bytes
  if [[ $dir == up ]]; then
    timed up-fresh put -r tree /fresh; fresh=$DT_MS; same_tree "$HOME_DIR/fresh"
    timed up-sync1 sync tree :/mirror; first=$DT_MS; same_tree "$HOME_DIR/mirror"
    n0=$(xfer_lines)
    timed up-sync2 sync tree :/mirror; second=$DT_MS
    read -r files bytes < <(data_since "$n0")
    timed up-forced put -r --force tree /mirror; forced=$DT_MS; same_tree "$HOME_DIR/mirror"
  else
    timed down-fresh get -r /mirror fresh; fresh=$DT_MS; same_tree "$WORK/fresh"
    timed down-sync1 sync :/mirror down; first=$DT_MS; same_tree "$WORK/down"
    n0=$(xfer_lines)
    timed down-sync2 sync :/mirror down; second=$DT_MS
    read -r files bytes < <(data_since "$n0")
    timed down-forced get -r --force /mirror down; forced=$DT_MS; same_tree "$WORK/down"
  fi
  printf '%-5s %10s %10s %11s %10s %13s %11s %10s %12s\n' "$dir" "$fresh ms" "$first ms" "$second ms" \
    "$forced ms" "$files/$bytes B" "$(ratio "$second" "$forced")" "$(ratio "$second" "$fresh")" \
    "$(ratio "$first" "$fresh")"
  echo "      second sync said: $(cat "$LOGS/$dir-sync2.out")"
  ((files == 0 && bytes == 0)) || FAILED=1
}

echo "bench/sync.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), kernel $(uname -r), $(nproc) cores," \
  "load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tree: $FILES files of $KIB KiB in 10 directories; times include connect + login (one ferry run each)"
printf '%-5s %10s %10s %11s %10s %13s %11s %10s %12s\n' "dir" "fresh -r" "sync #1" "sync #2" "-r --force" \
  "#2 sent" "#2/--force" "#2/fresh" "#1/fresh"
run_direction up
run_direction down
if ((FAILED)); then
  echo "FAIL: a second sync of an unchanged tree sent file data"
  exit 1
fi
echo "ok: the second syncs sent no file data"
