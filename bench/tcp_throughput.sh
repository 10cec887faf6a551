#!/usr/bin/env bash
# TCP throughput between two pods on a Linux bridge, without and with warren's liveness
# classifier on both host veths (warren-tc-hold attaches it, both pods' addresses watched), and
# with the classifier and anti-spoofing in mode drop (each host veth's entry lists its pod's
# address, so every packet is checked and none dropped): iperf3, RUNS runs of SECONDS s each way
# per setting, rotating the settings run by run (off, on, drop, drop, on, off, ...) so slow drift
# of a shared host hits all alike. The server and the
# client are pinned to the same CPUs in every run (server on the last CPU, client on the first)
# so the settings differ only in the classifier. Printed as markdown rows in warren-bench's
# columns: the median of each setting, the median and range of the per-pair ratios (on/off and
# drop/off of runs next to each other); every run's numbers go to stderr. Needs root and iperf3.
# Everything it makes (netns, links, pins) is removed on exit.
#
#   bench/tcp_throughput.sh BIN_DIR [RUNS [SECONDS]]      # defaults: 5 runs, 5 s
set -euo pipefail
BIN=${1:?usage: tcp_throughput.sh BIN_DIR [RUNS [SECONDS]]}
RUNS=${2:-5}
SECS=${3:-5}
command -v iperf3 >/dev/null || { echo "tcp_throughput: iperf3 is missing; run scripts/install-deps.sh" >&2; exit 1; }
[[ -x $BIN/warren-tc-hold ]] || { echo "tcp_throughput: $BIN/warren-tc-hold is missing" >&2; exit 1; }

TAG=$$
BR=wtb$TAG
NS_A=wtn-$TAG-a NS_B=wtn-$TAG-b
HA=wta$TAG HB=wtb$TAG-b
A=10.250.0.2 B=10.250.0.3
HOLD_PID= SERVER_PID=

cleanup() {
  [[ -n $HOLD_PID ]] && { kill -TERM "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null || true; }
  [[ -n $SERVER_PID ]] && { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  ip link del "$BR" 2>/dev/null || true
}
trap cleanup EXIT

ip link add "$BR" type bridge
ip link set "$BR" up
for side in A B; do
  ns=NS_$side host=H$side addr=$side
  ip netns add "${!ns}"
  ip link add "${!host}" type veth peer name eth0 netns "${!ns}"
  ip link set "${!host}" master "$BR" up
  ip -n "${!ns}" addr add "${!addr}/24" dev eth0
  ip -n "${!ns}" link set eth0 up
  ip -n "${!ns}" link set lo up
done
ip netns exec "$NS_B" ping -c1 -W2 "$A" >/dev/null

LAST_CPU=$(($(nproc) - 1))
ip netns exec "$NS_A" taskset -c "$LAST_CPU" iperf3 -s -p 5201 >/dev/null 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do ip netns exec "$NS_A" ss -ltnH 2>/dev/null | grep -q ":5201 " && break; sleep 0.05; done

# one_run [-R]: Mbit/s received, pod B -> pod A (or A -> B with -R).
one_run() {
  timeout $((SECS + 20)) ip netns exec "$NS_B" taskset -c 0 iperf3 -c "$A" -t "$SECS" -f m "$@" |
    awk '/receiver/ {print $(NF-2)}'
}
hold() {
  local out
  out=$(mktemp)
  "$BIN/warren-tc-hold" --link "$HA" --link "$HB" --watch "$A" --watch "$B" "$@" >"$out" &
  HOLD_PID=$!
  for _ in $(seq 100); do grep -q attached "$out" && break; sleep 0.05; done
  rm -f "$out"
  kill -0 "$HOLD_PID"
}
release() { kill -TERM "$HOLD_PID"; wait "$HOLD_PID"; HOLD_PID=; }

declare -a off_fwd on_fwd drop_fwd off_rev on_rev drop_rev
off_pair() {
  off_fwd+=("$(one_run)")
  off_rev+=("$(one_run -R)")
}
on_pair() {
  hold
  rx0=$(cat "/sys/class/net/$HB/statistics/rx_packets") rxb0=$(cat "/sys/class/net/$HB/statistics/rx_bytes")
  on_fwd+=("$(one_run)")
  rx1=$(cat "/sys/class/net/$HB/statistics/rx_packets") rxb1=$(cat "/sys/class/net/$HB/statistics/rx_bytes")
  on_rev+=("$(one_run -R)")
  release
}
drop_pair() {
  hold --protect "$HA=$A" --protect "$HB=$B" --mode drop
  drop_fwd+=("$(one_run)")
  drop_rev+=("$(one_run -R)")
  release
}
# off, on, drop, drop, on, off, ...: a steady drift of the host favours no setting.
for ((r = 0; r < RUNS; r++)); do
  if ((r % 2 == 0)); then off_pair; on_pair; drop_pair; else drop_pair; on_pair; off_pair; fi
  echo "tcp_throughput: run $((r + 1))/$RUNS Mbit/s B→A off ${off_fwd[r]} on ${on_fwd[r]} drop ${drop_fwd[r]}," \
    "A→B off ${off_rev[r]} on ${on_rev[r]} drop ${drop_rev[r]};" \
    "pod B's host veth took $(((rx1 - rx0) / SECS)) packets/s (mean $(((rxb1 - rxb0) / (rx1 - rx0 + 1))) B) in the B→A run with the classifier" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# row WHAT SETTING OFF... ON...: medians of each setting; the median and range of on/off pair
# by pair.
row() {
  local what=$1 setting=$2 off on ratios=() i lo hi mid
  local -a offs=("${@:3:RUNS}") ons=("${@:RUNS+3}")
  off=$(median "${offs[@]}")
  on=$(median "${ons[@]}")
  for ((i = 0; i < RUNS; i++)); do ratios+=("$(awk -v a="${offs[i]}" -v b="${ons[i]}" 'BEGIN {printf "%.4f", b / a}')"); done
  mid=$(median "${ratios[@]}")
  lo=$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)
  hi=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
  awk -v w="$what" -v s="$setting" -v off="$off" -v on="$on" -v runs="$RUNS" -v secs="$SECS" -v r="$mid" -v lo="$lo" -v hi="$hi" 'BEGIN {
    printf "| TCP pod→pod over a bridge, %s (iperf3, %d × %d s per setting, alternated, same CPUs): %s, medians; ratio = median of the %d pairs (range %.3f–%.3f) | — | %.2f → %.2f Gbit/s | %.3fx | ≥ 0.97x | %s |\n",
      w, runs, secs, s, runs, lo, hi, off / 1000, on / 1000, r, (r >= 0.97 ? "PASS" : "**MISS**")
  }'
}
row "B→A" "classifier off → on" "${off_fwd[@]}" "${on_fwd[@]}"
row "A→B" "classifier off → on" "${off_rev[@]}" "${on_rev[@]}"
row "B→A" "classifier off → on with anti-spoofing in drop (entries list each pod's address)" "${off_fwd[@]}" "${drop_fwd[@]}"
row "A→B" "classifier off → on with anti-spoofing in drop (entries list each pod's address)" "${off_rev[@]}" "${drop_rev[@]}"
