#!/usr/bin/env bash
# Builds warren and runs every test (unit + integration) with ctest. Exits non-zero on any
# failure. Integration tests need root; under CI=true a test that would skip fails instead.
#
#   sudo ./scripts/test.sh                 # deps, Release build in ./build, all tests
#   sudo ./scripts/test.sh -R journal      # extra arguments go to ctest
# Environment: BUILD_DIR (./build), BUILD_TYPE (Release), JOBS (2), SKIP_DEPS=1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$WARREN_ROOT"

if [[ ${SKIP_DEPS:-0} != 1 ]]; then
  heading "dependencies"
  "$WARREN_ROOT/scripts/install-deps.sh"
fi

heading "build ($BUILD_TYPE, $BUILD_DIR, -j$JOBS)"
build

heading "tests"
(( EUID == 0 )) || note "not root: integration tests that need root will skip${CI:+ (and fail, CI=$CI)}"
set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error "$@"
rc=$?
set -e
if (( rc == 0 )); then
  heading "all tests passed"
else
  heading "TESTS FAILED (ctest exit $rc)"
fi
exit $rc
