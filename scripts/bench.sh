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
TARGETS=(warrend warren warrenctl warren-bench warren-bpf-bench warren-tc-hold)
build "${TARGETS[@]}" >/dev/null || build "${TARGETS[@]}"
# The eBPF liveness rows (root): ADD p50 with the agent's watch insert against without
# (warren-bench --ebpf-ab: two agents, liveness.ebpf off and on, their plugins exec'd alternately
# call by call); TCP throughput between two pods with and without the classifier
# (bench/tcp_throughput.sh, settings alternated run by run); one GC pass over 10,000 live
# allocations, as warrend times it (warren-bench --gc-pass). Ratios are medians over rounds or
# pairs, printed with their range: this VM's noise between runs (±10 % and more) is far above
# what the watch insert (a few µs per ADD, warren-bpf-bench's last row) or the classifier can
# cost, so one run proves nothing.
liveness_rows() {
  local n=300 rounds=5 tcp_runs=5 tcp_secs=3
  [[ $1 == quick ]] && { n=100; rounds=1; tcp_runs=1; tcp_secs=2; }
  echo "| measurement | host-local | warren | warren / host-local | target | result |"
  echo "|---|---:|---:|---:|---|---|"
  "$BUILD_DIR/bin/warren-bench" --ebpf-ab "$rounds" -n "$n"
  "$WARREN_ROOT/bench/tcp_throughput.sh" "$BUILD_DIR/bin" "$tcp_runs" "$tcp_secs"
  "$BUILD_DIR/bin/warren-bench" --gc-pass 10000 --ebpf on
}

# The admin socket's rows: the exec'd plugin's ADD p50 while `warrenctl list` runs in a loop
# against idle, and `warrenctl list` over 10,000 allocations.
admin_rows() {
  local n=500
  [[ $1 == quick ]] && n=100
  echo "| measurement | host-local | warren | warren / host-local | target | result |"
  echo "|---|---:|---:|---:|---|---|"
  "$BUILD_DIR/bin/warren-bench" --admin-list-load -n "$n" &&
    "$BUILD_DIR/bin/warren-bench" --list-time 10000
}

rc=0
"$BUILD_DIR/bin/warren-bench" "$@" || rc=$?
case " $* " in *" --help "* | *" -h "*) exit $rc ;; esac
echo
admin_rows "$([[ " $* " == *" --quick "* ]] && echo quick)" || rc=$?
# The eBPF liveness classifier's cost per packet (BPF_PROG_TEST_RUN) needs root: its own table.
echo
if (( EUID == 0 )); then
  repeat=1000000
  [[ " $* " == *" --quick "* ]] && repeat=100000
  "$BUILD_DIR/bin/warren-bpf-bench" --repeat "$repeat"
  echo
  liveness_rows "$([[ " $* " == *" --quick "* ]] && echo quick)" || rc=$?
else
  echo "note: not root: skipped the eBPF classifier rows (warren-bpf-bench needs CAP_BPF + CAP_NET_ADMIN)"
fi
exit $rc
