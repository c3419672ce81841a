#!/usr/bin/env bash
# bench/ab.sh OLD_BUILD NEW_BUILD — the same transfers through two builds of
# ferry, interleaved in one run (old, new, old, new, ...), so a change is
# measured against its own baseline on the same noisy machine:
#   put / get of a 1 GiB file (page cache -> file in BENCH_TMP, plain TCP)
#   put -r / get -r of a tree of SMALL_FILES files of 4 KiB
# Prints every run, the median per build and the ratio new/old (> 1: the new
# build is faster). Not a test: numbers depend on the machine.
#
# Environment: REPS [3] runs per row and build; BIG_MIB [1024];
# SMALL_FILES [1000]; BENCH_TMP [/tmp]; FERRYD_ARGS [] extra `serve` args.
set -euo pipefail
die() { echo "ab.sh: $*" >&2; exit 2; }
log() { echo "ab.sh: $*" >&2; }

[[ $# -eq 2 ]] || die "usage: bench/ab.sh OLD_BUILD NEW_BUILD"
REPS=${REPS:-3} BIG_MIB=${BIG_MIB:-1024} SMALL_FILES=${SMALL_FILES:-1000}
BENCH_TMP=${BENCH_TMP:-/tmp}
read -r -a FERRYD_EXTRA <<<"${FERRYD_ARGS:-}"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

declare -A BIN PORT PID ROOT
for side in old new; do
  b=$([[ $side == old ]] && echo "$1" || echo "$2")
  [[ -x $b/apps/ferryd && -x $b/apps/ferry ]] || die "$b: no apps/ferryd and apps/ferry"
  BIN[$side]=$(cd "$b" && pwd)/apps
done

WORK=$(mktemp -d "$BENCH_TMP/ferry-ab.XXXXXX")
PW=ab-bench-password
cleanup() {
  for side in old new; do [[ -n ${PID[$side]:-} ]] && stop_pid "${PID[$side]}"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

start() { # SIDE
  local side=$1 root=$WORK/$1-root out
  "${BIN[$side]}/ferryd" init --root "$root" --no-tls >/dev/null 2>&1 || die "$side: ferryd init failed"
  echo "$PW" | "${BIN[$side]}/ferryd" user add bench --root "$root" --password-stdin >/dev/null 2>&1 ||
    die "$side: user add failed"
  out=$WORK/$side-serve.out
  "${BIN[$side]}/ferryd" serve --root "$root" --listen 127.0.0.1:0 "${FERRYD_EXTRA[@]}" \
    $( ((EUID == 0)) && echo --allow-root) >"$out" 2>"$WORK/$side-serve.err" &
  PID[$side]=$!
  for _ in $(seq 100); do
    PORT[$side]=$(sed -n 's/^ferryd listening on .*:\([0-9][0-9]*\)$/\1/p' "$out" | head -1)
    [[ -n ${PORT[$side]} ]] && break
    sleep 0.1
  done
  [[ -n ${PORT[$side]} ]] || die "$side: ferryd did not start ($(tail -c 300 "$WORK/$side-serve.err"))"
  ROOT[$side]=$root
}

fc() { # SIDE ARGS...
  local side=$1; shift
  FERRY_PASSWORD=$PW timeout 300 "${BIN[$side]}/ferry" --no-tls -P "${PORT[$side]}" bench@127.0.0.1 "$@" \
    </dev/null >"$WORK/fc.out" 2>"$WORK/fc.err" || die "$side: ferry $* failed: $(tail -c 300 "$WORK/fc.err")"
}

log "making a ${BIG_MIB} MiB file and a tree of $SMALL_FILES x 4 KiB"
head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/big.bin"
mkdir -p "$WORK/tree"
for i in $(seq "$SMALL_FILES"); do head -c 4096 /dev/urandom >"$WORK/tree/f$i.bin"; done
start old
start new

declare -A T med  # "row side" -> space-separated microseconds; side -> median rate
time_op() { # ROW SIDE BYTES_OR_COUNT ARGS...
  local row=$1 side=$2; shift 3
  local t0 t1
  t0=$(now_us)
  fc "$side" "$@"
  t1=$(now_us)
  T["$row $side"]+="$((t1 - t0)) "
}

BIG="${BIG_MIB} MiB"
ROWS=("put $BIG" "get $BIG" "put -r tree" "get -r tree")
for r in $(seq "$REPS"); do
  for side in old new; do
    rm -rf "$WORK/got.bin" "$WORK/got-tree" "${ROOT[$side]}/home/bench/"{big.bin,tree}
    cat "$WORK/big.bin" >/dev/null
    prefault_page_cache "$WORK" $((BIG_MIB << 20))
    time_op "put $BIG" "$side" 0 put "$WORK/big.bin" big.bin
    prefault_page_cache "$WORK" $((BIG_MIB << 20))
    time_op "get $BIG" "$side" 0 get big.bin "$WORK/got.bin"
    cmp -s "$WORK/big.bin" "$WORK/got.bin" || die "$side: get returned other bytes"
    time_op "put -r tree" "$side" 0 put -r "$WORK/tree" tree
    time_op "get -r tree" "$side" 0 get -r tree "$WORK/got-tree"
    log "run $r $side done"
  done
done

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rate() { # ROW US -> MB/s or files/s
  case $1 in
    *MiB*) mbps $((BIG_MIB << 20)) "$2" ;;
    *) per_s "$SMALL_FILES" "$2" ;;
  esac
}
echo "bench/ab.sh $(date -u +%Y-%m-%dT%H:%MZ) kernel $(uname -r), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "old: ${BIN[old]%/apps}  new: ${BIN[new]%/apps}  runs per row and build: $REPS (interleaved)"
printf '%-12s %-7s %-28s %-28s %s\n' row unit "old (every run)" "new (every run)" "new/old (medians)"
for row in "${ROWS[@]}"; do
  unit=$([[ $row == *MiB* ]] && echo MB/s || echo files/s)
  line=()
  for side in old new; do
    rates=""
    for us in ${T["$row $side"]}; do rates+="$(rate "$row" "$us") "; done
    line+=("$rates")
    med[$side]=$(rate "$row" "$(echo "${T["$row $side"]}" | median)")
  done
  printf '%-12s %-7s %-28s %-28s %s\n' "$row" "$unit" "${line[0]}" "${line[1]}" \
    "$(awk -v a="${med[new]}" -v b="${med[old]}" 'BEGIN { printf "%.2f (%d vs %d)", a / b, a, b }')"
done
