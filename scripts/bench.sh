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
# The eBPF liveness rows (root): ADD p50 with the agent's watch insert (--ebpf on) against
# without (--ebpf off), alternating runs of the exec'd-plugin part; TCP throughput between two
# pods with and without the classifier (bench/tcp_throughput.sh); one GC pass over 10,000 live
# allocations, as warrend times it (warren-bench --gc-pass).
liveness_rows() {
  local n=300 runs=2 tcp_runs=3 tcp_secs=5 off=() on=() r v
  [[ $1 == quick ]] && { n=100; runs=1; tcp_runs=1; tcp_secs=2; }
  add_p50() {  # the warren column of the "ADD p50 (exec included)" row, in ms
    "$BUILD_DIR/bin/warren-bench" --only cni -n "$n" --ebpf "$1" |
      awk -F'|' '/^\| ADD p50 \(exec included\)/ {gsub(/[ a-z]/, "", $4); print $4}'
  }
  for ((r = 0; r < runs; r++)); do
    v=$(add_p50 off) && [[ -n $v ]] || { echo "bench: warren-bench --ebpf off failed" >&2; return 1; }
    off+=("$v")
    v=$(add_p50 on) && [[ -n $v ]] || { echo "bench: warren-bench --ebpf on failed" >&2; return 1; }
    on+=("$v")
  done
  echo "| measurement | host-local | warren | warren / host-local | target | result |"
  echo "|---|---:|---:|---:|---|---|"
  printf '%s\n' "${off[*]}" "${on[*]}" | awk -v n="$n" -v runs="$runs" '
    { s = 0; for (i = 1; i <= NF; i++) s += $i; m[NR] = s / NF }
    END { r = m[2] / m[1]
      printf "| ADD p50 (exec included), --ebpf off → on (watch insert before the answer; mean of %d run(s) × %d ADDs) | — | %.2f → %.2f ms | %.3fx | ≤ 1.05x | %s |\n",
        runs, n, m[1], m[2], r, (r <= 1.05 ? "PASS" : "**MISS**") }'
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
