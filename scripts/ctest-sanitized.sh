#!/usr/bin/env bash
# `make test-asan` / `make test-tsan`: runs ctest in a sanitizer build
# directory (cmake/sanitize.cmake) so that every finding fails the run. Every
# instrumented process -- unit tests, fuzz replays, and the ferryd and ferry
# that the end-to-end tests start (they inherit this environment) -- writes
# its reports to BUILD/sanitizer-reports/; a report there fails the run even
# when the process's exit status was not looked at (a client expected to
# fail, a server killed on purpose), and all of them are printed at the end.
# Usage: scripts/ctest-sanitized.sh BUILD_DIR [ctest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
shift
reports="$(realpath "$build")/sanitizer-reports"
supp="$(realpath tests/sanitizers)"
rm -rf "$reports"
mkdir -p "$reports"

# Tells the e2e tests (conftest.SANITIZER): resident-memory bounds do not apply.
FERRY_SANITIZER=$(sed -n 's/^FERRY_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt")
export FERRY_SANITIZER="${FERRY_SANITIZER:-unknown}"

# ASan + LeakSanitizer + UBSan: any error or leak is fatal (exit 1 and a report).
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:strict_string_checks=1:log_path=$reports/report"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp:log_path=$reports/report"
# TSan: report every race (not just the first) and exit 66 at the end.
export TSAN_OPTIONS="halt_on_error=0:exitcode=66:second_deadlock_stack=1:suppressions=$supp/tsan.supp:log_path=$reports/report"

status=0
ctest --test-dir "$build" --output-on-failure "$@" || status=$?

shopt -s nullglob
found=("$reports"/*)
if [ ${#found[@]} -gt 0 ]; then
  echo "ctest-sanitized: ${#found[@]} sanitizer report(s) in $reports" >&2
  echo "by kind:" >&2
  grep -h '^SUMMARY:' "${found[@]}" | sed -E 's/0x[0-9a-f]+//g; s/ \(BuildId: [0-9a-f]+\)//' |
    sort | uniq -c | sort -rn >&2 || true
  for f in "${found[@]:0:3}"; do
    echo "==== $f (first 60 lines)" >&2
    head -n 60 "$f" | cut -c1-400 >&2
  done
  status=1
fi
exit $status
