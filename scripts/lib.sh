# Shared by the scripts in this folder; sourced, not run.
# shellcheck shell=bash

WARREN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$WARREN_ROOT/build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-2}

if [[ -t 1 ]]; then
  _B=$'\e[1m' _C=$'\e[1;36m' _R=$'\e[0m'
else
  _B='' _C='' _R=''
fi

heading() { printf '\n%s==== %s ====%s\n' "$_C" "$*" "$_R"; }
note() { printf '%s%s%s\n' "$_B" "$*" "$_R"; }

# Configures and builds the given targets (all when none) in $BUILD_DIR. Configure runs every
# time (a second or two): CMakeLists add folders only when they exist, and a reused build dir
# would not notice a new one.
build() {
  cmake -S "$WARREN_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
  local args=()
  (( $# )) && args=(--target "$@")
  cmake --build "$BUILD_DIR" -j"$JOBS" "${args[@]}"
}
