#!/usr/bin/env bash
# Builds warren and runs every test, then the unit tests and the fuzz corpus again under ASan +
# UBSan, then every fuzz target for FUZZ_SECONDS. Exits non-zero on any failure, after running
# every phase. Integration tests need root; under CI=true a test that would skip fails instead.
#
#   sudo ./scripts/test.sh                 # deps, Release build in ./build, all tests, ASan, fuzz
#   sudo ./scripts/test.sh -R journal      # extra arguments go to both ctest runs
#   SANITIZE=0 FUZZ_SECONDS=0 ./scripts/test.sh   # only the Release build and its tests (local)
# Environment: BUILD_DIR (./build), BUILD_TYPE (Release), JOBS (2), SKIP_DEPS=1,
# SANITIZE (1; 0 skips the ASan/UBSan phase), ASAN_BUILD_DIR (./build-asan),
# FUZZ_SECONDS (30 per target; 0 skips fuzzing), FUZZ_BUILD_DIR (./build-fuzz).
# Under CI=true neither phase can be skipped, and each fuzz target runs at least 30 s.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$WARREN_ROOT"

SANITIZE=${SANITIZE:-1}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-$WARREN_ROOT/build-asan}
[[ $FUZZ_SECONDS =~ ^[0-9]+$ ]] || { echo "test.sh: FUZZ_SECONDS must be a number of seconds, not '$FUZZ_SECONDS'" >&2; exit 2; }
if [[ ${CI:-} == true ]]; then
  [[ $SANITIZE == 1 ]] || note "CI=true: the ASan/UBSan phase always runs (SANITIZE=$SANITIZE ignored)"
  SANITIZE=1
  if (( FUZZ_SECONDS < 30 )); then
    note "CI=true: fuzzing runs 30 s per target (FUZZ_SECONDS=$FUZZ_SECONDS raised)"
    FUZZ_SECONDS=30
  fi
fi

summary=()
failed=0
# Runs one phase, records its wall time and outcome; a failing phase does not stop the others.
# CPU time is of the finished children, in seconds (the wall time depends on the machine's load).
cpu_seconds() {
  local stat
  read -r stat </proc/$$/stat
  stat=${stat##*) }
  local f=($stat)
  echo $(((f[13] + f[14]) / $(getconf CLK_TCK)))
}
phase() {
  local name=$1 start=$SECONDS cpu rc=0
  cpu=$(cpu_seconds)
  shift
  "$@" || rc=$?
  local result=ok
  (( rc == 0 )) || { result="FAILED (exit $rc)"; failed=1; }
  summary+=("$(printf '%-34s %5ds wall %6ds cpu  %s' "$name" $((SECONDS - start)) $(($(cpu_seconds) - cpu)) "$result")")
}

if [[ ${SKIP_DEPS:-0} != 1 ]]; then
  heading "dependencies"
  phase dependencies "$WARREN_ROOT/scripts/install-deps.sh"
  (( failed == 0 )) || { heading "dependencies could not be installed"; exit 1; }
fi

# The nspawn boot test's Debian root: debootstrap waits on the network while the build uses the
# CPUs, so it starts first, in the background (tests/packaging/nspawn_root.sh; the test waits on
# its lock). The list is the .deb's Depends on Debian 12; should they change, the test makes its
# own root and this one goes unused.
kDebDepends="libbpf1, libc6, libfmt9, libgcc-s1, libnl-3-200, libnl-route-3-200, libspdlog1.10-fmt9, libssl3, libstdc++6, libyaml-cpp0.7"
prefetch_pid=
start_root_prefetch() {
  (( EUID == 0 )) && command -v debootstrap >/dev/null && command -v apt-cache >/dev/null || return 0
  mkdir -p "$BUILD_DIR"
  "$WARREN_ROOT/tests/packaging/nspawn_root.sh" "$BUILD_DIR" "$kDebDepends" \
    >"$BUILD_DIR/nspawn-root-prefetch.log" 2>&1 &
  prefetch_pid=$!
}

release_tests() {
  start_root_prefetch
  heading "build ($BUILD_TYPE, $BUILD_DIR, -j$JOBS)"
  build || return
  heading "tests"
  (( EUID == 0 )) || note "not root: integration tests that need root will skip${CI:+ (and fail, CI=$CI)}"
  local rc=0
  ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error "$@" || rc=$?
  [[ -z $prefetch_pid ]] || wait "$prefetch_pid" || true
  return $rc
}

# Unit tests and the fuzz corpus replay (no integration tests) built with g++ -O1 and
# -fsanitize=address,undefined; any report fails the test that made it.
sanitizer_tests() {
  heading "ASan + UBSan build ($ASAN_BUILD_DIR, -j$JOBS)"
  cmake -S "$WARREN_ROOT" -B "$ASAN_BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DWARREN_SANITIZE=ON \
    -DWARREN_INTEGRATION_TESTS=OFF >/dev/null || return
  cmake --build "$ASAN_BUILD_DIR" -j"$JOBS" --target unit_tests || return
  heading "unit tests and fuzz corpus under ASan + UBSan"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir "$ASAN_BUILD_DIR" --output-on-failure --no-tests=error -j"$JOBS" "$@"
}

phase "Release build + all tests" release_tests "$@"
if [[ $SANITIZE == 1 ]]; then
  phase "ASan/UBSan unit tests" sanitizer_tests "$@"
else
  summary+=("$(printf '%-34s %s' "ASan/UBSan unit tests" "skipped (SANITIZE=0)")")
fi
if (( FUZZ_SECONDS > 0 )); then
  phase "fuzzing (${FUZZ_SECONDS}s per target)" "$WARREN_ROOT/scripts/fuzz.sh" "$FUZZ_SECONDS"
else
  summary+=("$(printf '%-34s %s' fuzzing "skipped (FUZZ_SECONDS=0)")")
fi

heading "summary"
printf '%s\n' "${summary[@]}"
if (( failed == 0 )); then
  heading "all tests passed"
else
  heading "TESTS FAILED"
fi
exit $failed
