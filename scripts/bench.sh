#!/usr/bin/env bash
# Builds warrend, the warren plugin and warren-bench (Release, ./build) and runs the benchmark:
# host-local and warren side by side, one markdown table on stdout. Needs
# /usr/lib/cni/host-local (containernetworking-plugins); root is not required. The method and
# how to read the numbers: docs/benchmark.md.
#
#   sudo ./scripts/bench.sh              # full run, well under 2 minutes
#   sudo ./scripts/bench.sh --quick      # smoke run; see --help for all options
# Environment: BUILD_DIR (./build), BUILD_TYPE (Release), JOBS (2).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [[ ! -x /usr/lib/cni/host-local ]]; then
  echo "bench: /usr/lib/cni/host-local is missing; run scripts/install-deps.sh first" >&2
  exit 1
fi
build warrend warren warren-bench warren-bpf-bench >/dev/null || build warrend warren warren-bench warren-bpf-bench
rc=0
"$BUILD_DIR/bin/warren-bench" "$@" || rc=$?
case " $* " in *" --help "* | *" -h "*) exit $rc ;; esac
# The eBPF liveness classifier's cost per packet (BPF_PROG_TEST_RUN) needs root: its own table.
echo
if (( EUID == 0 )); then
  repeat=1000000
  [[ " $* " == *" --quick "* ]] && repeat=100000
  "$BUILD_DIR/bin/warren-bpf-bench" --repeat "$repeat"
else
  echo "note: not root: skipped the eBPF classifier rows (warren-bpf-bench needs CAP_BPF + CAP_NET_ADMIN)"
fi
exit $rc
