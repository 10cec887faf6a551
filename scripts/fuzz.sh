#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz with clang-16 (ASan + UBSan) and runs each for
# SECONDS (default 60), two at a time. Fails on any crash, leak, UB, timeout or out-of-memory;
# a crashing input is minimized and both are kept for the report.
#
#   ./scripts/fuzz.sh              # every target, 60 s each
#   ./scripts/fuzz.sh 600 journal  # one target (fuzz_journal), 10 min
# Environment: FUZZ_BUILD_DIR (./build-fuzz), FUZZ_JOBS (2), JOBS (build parallelism, 2),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-max_len=65536").
#
# The corpus each run starts from is the checked-in seeds (tests/fuzz/corpus/<target>) plus what
# earlier runs found (FUZZ_BUILD_DIR/corpus/<target>, kept between runs; the tree is never
# written). Crashes: FUZZ_BUILD_DIR/artifacts/<target>/. To reproduce one without clang:
#   build/tests/fuzz/fuzz_<target> <crash file>
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$WARREN_ROOT"

SECONDS_EACH=${1:-60}
shift || true
[[ $SECONDS_EACH =~ ^[0-9]+$ && $SECONDS_EACH -gt 0 ]] || { echo "fuzz.sh: SECONDS must be a positive integer, not '$SECONDS_EACH'" >&2; exit 2; }
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$WARREN_ROOT/build-fuzz}
FUZZ_JOBS=${FUZZ_JOBS:-2}
ALL_TARGETS=(request_json request_binary frame response client cni_invocation journal delete_queue ctl_render)
TARGETS=("${@:-${ALL_TARGETS[@]}}")
for t in "${TARGETS[@]}"; do
  [[ -d tests/fuzz/corpus/$t ]] || { echo "fuzz.sh: unknown target '$t' (have: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

CLANG=${CLANG:-clang-16}
CLANGXX=${CLANGXX:-clang++-16}
command -v "$CLANGXX" >/dev/null || { echo "fuzz.sh: $CLANGXX not found; install clang-16 and libclang-rt-16-dev (scripts/install-deps.sh)" >&2; exit 2; }

heading "fuzz targets (clang-16, ASan + UBSan, $FUZZ_BUILD_DIR)"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
CC=$CLANG CXX=$CLANGXX cmake -S "$WARREN_ROOT" -B "$FUZZ_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWARREN_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build "$FUZZ_BUILD_DIR" -j"$JOBS" --target "${TARGETS[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logs=$FUZZ_BUILD_DIR/logs
mkdir -p "$logs"

# Runs one target; its log is logs/<target>.log, its exit status logs/<target>.rc.
run_one() {
  local t=$1 bin=$FUZZ_BUILD_DIR/tests/fuzz/fuzz_$1
  local corpus=$FUZZ_BUILD_DIR/corpus/$t artifacts=$FUZZ_BUILD_DIR/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  local rc=0
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=30 -rss_limit_mb=2560 \
    -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} "$corpus" "$WARREN_ROOT/tests/fuzz/corpus/$t" \
    >"$logs/$t.log" 2>&1 || rc=$?
  # libFuzzer exits non-zero on every finding; a sanitizer report in the log counts too.
  if (( rc == 0 )) && grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: ' "$logs/$t.log"; then rc=1; fi
  echo "$rc" >"$logs/$t.rc"
  if (( rc != 0 )); then
    local crash
    crash=$(ls -t "$artifacts"/* 2>/dev/null | grep -v '\.min$' | head -1 || true)
    if [[ -n $crash ]]; then
      "$bin" -minimize_crash=1 -max_total_time=60 -exact_artifact_path="$crash.min" "$crash" \
        >"$logs/$t.minimize.log" 2>&1 || true
    fi
  fi
}

heading "fuzzing ${#TARGETS[@]} target(s), ${SECONDS_EACH}s each, $FUZZ_JOBS at a time"
pending=("${TARGETS[@]}")
running=()
while (( ${#pending[@]} || ${#running[@]} )); do
  while (( ${#pending[@]} && ${#running[@]} < FUZZ_JOBS )); do
    t=${pending[0]}
    pending=("${pending[@]:1}")
    note "start fuzz_$t"
    run_one "$t" &
    running+=("$!")
  done
  wait -n || true
  alive=()
  for pid in "${running[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
  running=("${alive[@]}")
done

heading "fuzz summary (${SECONDS_EACH}s each)"
failed=0
printf '%-20s %-6s %12s %8s  %s\n' target result execs seconds "final coverage"
for t in "${TARGETS[@]}"; do
  log=$logs/$t.log
  rc=$(cat "$logs/$t.rc" 2>/dev/null || echo 99)
  runs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/p' "$log" 2>/dev/null | tail -1)
  secs=$(sed -nE 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/p' "$log" 2>/dev/null | tail -1)
  cov=$( (grep -E '^#[0-9]+[[:space:]]+DONE' "$log" || true) | tail -1 | sed -E 's/^#[0-9]+[[:space:]]+DONE[[:space:]]+//')
  [[ -z $runs ]] && runs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log" 2>/dev/null | tail -1)
  result=ok
  (( rc == 0 )) || { result=FAIL; failed=1; }
  printf '%-20s %-6s %12s %8s  %s\n' "fuzz_$t" "$result" "${runs:-?}" "${secs:-?}" "${cov:-?}"
done
for t in "${TARGETS[@]}"; do
  [[ $(cat "$logs/$t.rc" 2>/dev/null || echo 99) == 0 ]] && continue
  heading "fuzz_$t FAILED (log $logs/$t.log)"
  grep -nE '^==[0-9]+==ERROR|runtime error:|invariant broken|^SUMMARY: |Test unit written to|ERROR: libFuzzer' "$logs/$t.log" | head -20 || true
  echo "top of the stack:"
  (grep -E '^[[:space:]]+#[0-9]+ ' "$logs/$t.log" || true) | head -6 | cut -c1-220
  echo "warren frames:"
  (grep -E '^[[:space:]]+#[0-9]+ .* in (warren::|LLVMFuzzerTestOneInput)' "$logs/$t.log" || true) | head -12 | cut -c1-220
  for f in "$FUZZ_BUILD_DIR/artifacts/$t"/*; do
    [[ -e $f ]] && echo "input: $f ($(stat -c %s "$f") bytes)"
  done
  echo "reproduce: $FUZZ_BUILD_DIR/tests/fuzz/fuzz_$t <input>   (or build/tests/fuzz/fuzz_$t <input> with g++)"
done
exit $failed
