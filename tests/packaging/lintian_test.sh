#!/usr/bin/env bash
# Builds the .deb (cpack -G DEB) and runs lintian on it: prints every tag, fails on any E: line.
#
#   lintian_test.sh BUILD_DIR
set -euo pipefail

build=${1:?usage: lintian_test.sh BUILD_DIR}
command -v lintian >/dev/null || { echo "lintian-test: FAIL: lintian not found: apt-get install lintian" >&2; exit 1; }
work=$(mktemp -d /var/tmp/warren-lintian.XXXXXX)
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) ||
    { cat "$work/cpack.log"; echo "lintian-test: FAIL: cpack failed" >&2; exit 1; }
deb=$(ls "$work"/warren_*.deb)
echo "lintian-test: lintian $(basename "$deb")"
# lintian exits non-zero on errors and on warnings alike; the E: lines decide here.
lintian --info --display-info --allow-root "$deb" >"$work/lintian.log" 2>&1 || true
sed 's/^/  /' "$work/lintian.log"
if grep -q '^E: ' "$work/lintian.log"; then
    echo "lintian-test: FAIL: lintian reports $(grep -c '^E: ' "$work/lintian.log") error(s)" >&2
    exit 1
fi
echo "lintian-test: PASS: no errors ($(grep -c '^W: ' "$work/lintian.log" || true) warning(s))"
