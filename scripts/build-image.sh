#!/usr/bin/env bash
# Builds the container image localhost/warren:<version> from packaging/Containerfile, offline:
# links the static warrend and warrenctl (bin/static) and the static plugin (bin/warren), copies
# just those into a fresh context dir, runs `podman build --network=none --pull=never` (FROM
# scratch: nothing to pull) and prints the image size.
#
#   sudo ./scripts/build-image.sh              # build the binaries, then the image
#   sudo ./scripts/build-image.sh --no-build   # the image from the binaries already in $BUILD_DIR
# Environment: BUILD_DIR, BUILD_TYPE, JOBS as for the build; IMAGE (localhost/warren, tagged with
# the CMake project version); PODMAN (podman), e.g. "podman --root DIR --runroot DIR" for a
# private image store (tests/packaging/image_test.sh does that).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DO_BUILD=1
for a in "$@"; do
  case $a in
    --no-build) DO_BUILD=0 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument '$a' (try --help)" >&2; exit 2 ;;
  esac
done
IMAGE=${IMAGE:-localhost/warren}
read -r -a PODMAN_CMD <<<"${PODMAN:-podman}"
command -v "${PODMAN_CMD[0]}" >/dev/null ||
  { echo "build-image: ${PODMAN_CMD[0]} not found; install podman (scripts/install-deps.sh)" >&2; exit 1; }

STATIC_TARGETS=(warrend_static warrenctl_static warren)
if (( DO_BUILD )); then
  if ! build "${STATIC_TARGETS[@]}"; then
    if ! cmake --build "$BUILD_DIR" --target help 2>/dev/null | grep -q warrend_static; then
      echo "build-image: configure left out the static binaries: its warning names the missing .a" \
           "and its package (or WARREN_STATIC_IMAGE/WARREN_STATIC_SHIM is OFF in $BUILD_DIR)" >&2
    fi
    exit 1
  fi
fi

VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
[[ -n $VERSION ]] || { echo "build-image: no project version in $BUILD_DIR/CMakeCache.txt: build first (without --no-build) or set BUILD_DIR" >&2; exit 1; }

BINARIES=("$BUILD_DIR/bin/static/warrend" "$BUILD_DIR/bin/static/warrenctl" "$BUILD_DIR/bin/warren")
for f in "${BINARIES[@]}"; do
  [[ -x $f ]] || { echo "build-image: $f is missing: build the targets ${STATIC_TARGETS[*]} (drop --no-build)" >&2; exit 1; }
  # A dynamic binary would fail in the empty image with a bare "no such file or directory".
  if readelf -l "$f" | grep -q 'program interpreter'; then
    echo "build-image: $f is dynamically linked; the image needs static binaries (WARREN_STATIC_SHIM and WARREN_STATIC_IMAGE ON)" >&2
    exit 1
  fi
done

CONTEXT=$(mktemp -d "${TMPDIR:-/tmp}/warren-image.XXXXXX")
trap 'rm -rf "$CONTEXT"' EXIT
mkdir "$CONTEXT/bin"
cp "${BINARIES[@]}" "$CONTEXT/bin/"
strip --strip-all "$CONTEXT"/bin/*  # the plugin's Release build keeps its symbols
cp "$WARREN_ROOT/packaging/Containerfile" "$CONTEXT/Containerfile"

start=$SECONDS
"${PODMAN_CMD[@]}" build --network=none --pull=never --layers=false --build-arg VERSION="$VERSION" \
  -t "$IMAGE:$VERSION" -f "$CONTEXT/Containerfile" "$CONTEXT"
seconds=$((SECONDS - start))
bytes=$("${PODMAN_CMD[@]}" image inspect --format '{{.Size}}' "$IMAGE:$VERSION")
note "build-image: $IMAGE:$VERSION, $bytes bytes ($((bytes / 1024 / 1024)) MiB), podman build took ${seconds}s"
