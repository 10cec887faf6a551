#!/usr/bin/env bash
# A live tour of warren on this machine: builds it, starts warrend on a dual-stack pool, plugs
# three network namespaces ("pods") into a Linux bridge through the real CNI bridge plugin with
# `"ipam": {"type": "warren"}`, pings between them over IPv4 and IPv6, shows the agent's log,
# deletes one pod and shows its address cooling down, then lets one pod vanish without a DEL
# (warren reclaims its address: candidate, release stale, quarantine ended) and keeps a zombie
# (netns path gone, a process in it still sending: reported, never released), and shows the
# node through warrenctl (status, list, show, a refused release, gc --dry-run, events, metrics).
# Then warrend keeps running (its log follows) until Ctrl-C; on exit the namespaces, the bridge,
# the agent and its eBPF hooks and pins are removed.
#
#   sudo ./scripts/demo.sh               # the tour, then wait for Ctrl-C
#   sudo ./scripts/demo.sh --no-wait     # the tour, then clean up and exit (CI, scripted runs)
# Environment: SKIP_DEPS=1 skips install-deps; BUILD_DIR, BUILD_TYPE, JOBS as for the build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

WAIT=1
for a in "$@"; do
  case $a in
    --no-wait) WAIT=0 ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument '$a' (try --help)" >&2; exit 2 ;;
  esac
done
if (( EUID != 0 )); then
  echo "demo: needs root (network namespaces, a bridge, /run/warren); try: sudo $0" >&2
  exit 1
fi

POOL_V4=10.244.0.0/24
POOL_V6=fd00:10:244::/64
COOLDOWN=5
GC_INTERVAL=1
GC_GRACE=3
BPFFS_DIR=/sys/fs/bpf/warren-demo
SOCKET=/run/warren/warren.sock
ADMIN_SOCKET=/run/warren/admin.sock
METRICS=127.0.0.1:9464
BRIDGE=warren-demo0
NETWORK=warren-demo
PODS=(a b c)
EXTRA_PODS=(d e z)
ZOMBIE_PID=

# ------------------------------------------------------------------ build
if [[ ${SKIP_DEPS:-0} != 1 ]]; then
  heading "dependencies"
  "$WARREN_ROOT/scripts/install-deps.sh"
fi
heading "build ($BUILD_TYPE, $BUILD_DIR)"
build warrend warren warrenctl
BIN=$BUILD_DIR/bin
CNI_PATH="$BIN:/usr/lib/cni"
for need in /usr/lib/cni/bridge "$BIN/warrend" "$BIN/warren"; do
  [[ -x $need ]] || { echo "demo: $need is missing" >&2; exit 1; }
done

# ------------------------------------------------------------------ cleanup
WORK=$(mktemp -d /tmp/warren-demo.XXXXXX)
STATE=$WORK/state
LOG=$WORK/warrend.log
CONF=$WORK/10-warren-demo.conf
AGENT_PID=
TAIL_PID=
CREATED_RUN_DIR=0
[[ -d /run/warren ]] || CREATED_RUN_DIR=1

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  heading "cleaning up"
  [[ -n $TAIL_PID ]] && kill "$TAIL_PID" 2>/dev/null
  if [[ -n $ZOMBIE_PID ]]; then
    kill -KILL -- "-$ZOMBIE_PID" 2>/dev/null || kill -KILL "$ZOMBIE_PID" 2>/dev/null || true
    wait "$ZOMBIE_PID" 2>/dev/null || true
    echo "stopped the zombie (pid $ZOMBIE_PID)"
  fi
  for p in "${PODS[@]}" "${EXTRA_PODS[@]}"; do
    if ip netns list | grep -qw "warren-demo-$p"; then
      ip netns del "warren-demo-$p" && echo "removed netns warren-demo-$p"
    fi
  done
  if ip link show "$BRIDGE" &>/dev/null; then
    ip link del "$BRIDGE" && echo "removed bridge $BRIDGE"
  fi
  if [[ -n $AGENT_PID ]]; then
    # A Ctrl-C on the terminal reaches warrend too; it may already be on its way out.
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$AGENT_PID" 2>/dev/null || true
    wait "$AGENT_PID" 2>/dev/null || true
    echo "stopped warrend (pid $AGENT_PID)"
  fi
  if [[ -d $BPFFS_DIR ]]; then
    "$BIN/warrend" --detach-all --bpffs-dir "$BPFFS_DIR" >/dev/null 2>&1 || true
    rm -rf "$BPFFS_DIR" 2>/dev/null || true
    echo "detached warren's eBPF hooks, removed $BPFFS_DIR"
  fi
  rm -f "$SOCKET" "$ADMIN_SOCKET"
  rmdir /run/warren/delete-queue 2>/dev/null || true
  if (( CREATED_RUN_DIR )); then rmdir /run/warren 2>/dev/null || true; fi
  rm -rf "$WORK"
  echo "removed $WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "demo: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# Leftovers of an earlier run that was killed hard.
for p in "${PODS[@]}" "${EXTRA_PODS[@]}"; do ip netns del "warren-demo-$p" 2>/dev/null || true; done
ip link del "$BRIDGE" 2>/dev/null || true

# ------------------------------------------------------------------ agent
heading "starting warrend"
if ss -xlH 2>/dev/null | awk '{print $5}' | grep -qx "$SOCKET"; then
  echo "demo: something already serves $SOCKET (a real warrend?); stop it first" >&2
  exit 1
fi
ARGS=(--state-dir "$STATE" --socket "$SOCKET" --pod-cidr "$POOL_V4" --pod-cidr "$POOL_V6"
      --cooldown "$COOLDOWN" --gc-interval "$GC_INTERVAL" --gc-grace "$GC_GRACE"
      --ebpf auto --bpffs-dir "$BPFFS_DIR" --log-level debug
      --admin-socket "$ADMIN_SOCKET" --metrics-address "$METRICS")
note "$BIN/warrend ${ARGS[*]}"
"$BIN/warrend" "${ARGS[@]}" 2>"$LOG" &
AGENT_PID=$!
for _ in $(seq 100); do
  [[ -S $SOCKET ]] && grep -q "serving CNI requests" "$LOG" && break
  kill -0 "$AGENT_PID" 2>/dev/null || { cat "$LOG"; echo "demo: warrend exited" >&2; exit 1; }
  sleep 0.05
done
sed 's/^/  | /' "$LOG"

# ------------------------------------------------------------------ CNI config
heading "the CNI network config (what a runtime reads from /etc/cni/net.d)"
cat >"$CONF" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$NETWORK",
  "type": "bridge",
  "bridge": "$BRIDGE",
  "isGateway": false,
  "ipMasq": false,
  "ipam": {
    "type": "warren",
    "socket": "$SOCKET"
  }
}
JSON
cat "$CONF"

# cni <command> <pod> [extra CNI_ARGS] [plugin]: runs a CNI plugin like a container runtime does.
cni() {
  local cmd=$1 pod=$2 extra=${3:-} plugin=${4:-/usr/lib/cni/bridge}
  CNI_COMMAND=$cmd CNI_CONTAINERID="demo-$pod" CNI_NETNS="/var/run/netns/warren-demo-$pod" \
    CNI_IFNAME=eth0 CNI_PATH="$CNI_PATH" \
    CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=demo;K8S_POD_NAME=pod-$pod;K8S_POD_UID=00000000-0000-4000-8000-0000000000$pod$pod${extra:+;$extra}" \
    "$plugin" <"$CONF"
}
pretty() { if command -v jq >/dev/null; then jq -c . 2>/dev/null || cat; else cat; fi; }

# ------------------------------------------------------------------ pods
declare -A V4 V6
heading "creating 3 pods: netns + CNI ADD through the bridge plugin"
for p in "${PODS[@]}"; do
  ip netns add "warren-demo-$p"
  ip -n "warren-demo-$p" link set lo up
  note "pod-$p: CNI_COMMAND=ADD bridge -> warren -> warrend"
  out=$(cni ADD "$p")
  echo "$out" | pretty
  V4[$p]=$(ip -n "warren-demo-$p" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
  V6[$p]=$(ip -n "warren-demo-$p" -6 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1)
done

heading "addresses inside the pods"
for p in "${PODS[@]}"; do
  printf 'pod-%s  ' "$p"
  ip -n "warren-demo-$p" -br addr show dev eth0
done
echo
ip -br link show master "$BRIDGE" | sed 's/^/bridge port  /'

heading "ping between pods (IPv4 and IPv6)"
for pair in a:b b:c c:a; do
  from=${pair%:*} to=${pair#*:}
  note "pod-$from -> pod-$to (${V4[$to]})"
  ip netns exec "warren-demo-$from" ping -c 2 -i 0.2 -W 2 "${V4[$to]}" | tail -n 2
  note "pod-$from -> pod-$to (${V6[$to]})"
  ip netns exec "warren-demo-$from" ping -6 -c 2 -i 0.2 -W 2 "${V6[$to]}" | tail -n 2
done

heading "what warrend logged"
sed 's/^/  | /' "$LOG"

heading "an ADD repeated by the runtime returns the same addresses (idempotent)"
note "pod-a again, plugin called directly:"
cni ADD a "" "$BIN/warren" | pretty

# ------------------------------------------------------------------ DEL + cooldown
heading "DEL pod-c: its addresses cool down for ${COOLDOWN}s before reuse"
LOG_MARK=$(wc -l <"$LOG")
cni DEL c && echo "DEL pod-c: ok (exit 0)"
ip netns del warren-demo-c
note "a new pod asking for pod-c's old address ${V4[c]} right away (CNI_ARGS IP=...):"
rc=0
out=$(cni ADD d "IP=${V4[c]}" "$BIN/warren") || rc=$?
echo "$out" | pretty
echo "exit $rc (refused while the address is cooling down)"
note "waiting for the cooldown to end ..."
if [[ -t 1 ]]; then
  for ((s = COOLDOWN + 2; s > 0; s--)); do printf '\r  %2ds ' "$s"; sleep 1; done
  printf '\r'
else
  sleep $((COOLDOWN + 2))
fi
note "the same request after the cooldown:"
cni ADD d "IP=${V4[c]}" "$BIN/warren" | pretty
cni DEL d "" "$BIN/warren" && echo "DEL pod-d: ok"

heading "what warrend logged since the DEL"
tail -n +"$((LOG_MARK + 1))" "$LOG" | sed 's/^/  | /'

# ------------------------------------------------------------------ GC: a pod vanishes, a zombie stays
# new_pod <p>: a netns plugged in through the bridge plugin; prints its IPv4 address.
new_pod() {
  ip netns add "warren-demo-$1"
  ip -n "warren-demo-$1" link set lo up
  cni ADD "$1" >/dev/null
  ip -n "warren-demo-$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1
}
# wait_log <seconds> <pattern>: waits until the log (since LOG_MARK) has a line matching pattern.
wait_log() {
  local i
  for ((i = 0; i < $1 * 10; i++)); do
    tail -n +"$((LOG_MARK + 1))" "$LOG" | grep -q -- "$2" && return 0
    sleep 0.1
  done
  return 1
}
# log_about <address>: the agent's lines since LOG_MARK that name the address.
# (The demo's own polling ADDs are left out.)
log_about() { tail -n +"$((LOG_MARK + 1))" "$LOG" | grep -F -- "$1" | grep -v ' debug add ' | sed 's/^/  | /' || true; }

heading "a pod vanishes without a DEL (kubelet crash, node reboot): warren reclaims its address"
note "GC settings: --gc-interval ${GC_INTERVAL}s, --gc-grace ${GC_GRACE}s, --cooldown ${COOLDOWN}s"
V4[e]=$(new_pod e)
echo "pod-e has ${V4[e]}"
LOG_MARK=$(wc -l <"$LOG")
ip netns del warren-demo-e
note "ip netns del warren-demo-e (no CNI DEL): the netns path, its holders and the host veth are gone"
START=$SECONDS
bound=$((GC_GRACE + COOLDOWN + 2 * GC_INTERVAL + 3))
reclaimed=0
rc=0
while ((SECONDS - START <= bound)); do
  if out=$(cni ADD d "IP=${V4[e]}" "$BIN/warren" 2>&1); then reclaimed=1; break; fi
  sleep 0.5
done
if ((reclaimed)); then
  echo "after ~$((SECONDS - START))s a new pod got ${V4[e]}:"
  echo "$out" | pretty
  cni DEL d "" "$BIN/warren" && echo "DEL pod-d: ok"
else
  echo "demo: ${V4[e]} was not reclaimed within ${bound}s" >&2
  rc=1
fi
note "why (the agent logs each decision once):"
log_about "${V4[e]}"
((rc == 0)) || exit 1

heading "a zombie: the netns path is deleted while a process in it keeps sending"
V4[z]=$(new_pod z)
echo "pod-z has ${V4[z]}; a shell in it pings pod-a (${V4[a]}) every 0.2s"
setsid ip netns exec warren-demo-z sh -c "while :; do ping -c1 -W1 ${V4[a]} >/dev/null; sleep 0.2; done" \
  </dev/null >/dev/null 2>&1 &
ZOMBIE_PID=$!
sleep 0.5
LOG_MARK=$(wc -l <"$LOG")
ip netns del warren-demo-z
note "ip netns del warren-demo-z: the path is gone, the namespace is not"
wait_log $((GC_GRACE + COOLDOWN + 2 * GC_INTERVAL)) "${V4[z]}.* is kept" || sleep $((GC_GRACE + 2 * GC_INTERVAL))
sleep $((2 * GC_INTERVAL))
note "what warrend logged about ${V4[z]}:"
log_about "${V4[z]}"
note "another pod asking for ${V4[z]}:"
rc=0
out=$(cni ADD d "IP=${V4[z]}" "$BIN/warren") || rc=$?
echo "$out" | pretty
if ((rc == 0)); then
  echo "demo: the zombie's address ${V4[z]} was handed out" >&2
  exit 1
fi
echo "exit $rc (refused: the zombie still holds it)"

# ------------------------------------------------------------------ operations
heading "operating the node: warrenctl over the admin socket ($ADMIN_SOCKET)"
ctl() { note "warrenctl $*"; "$BIN/warrenctl" --admin-socket "$ADMIN_SOCKET" "$@"; }
ctl status
ctl list
ctl show demo/pod-a
rc=0
ctl release "${V4[z]}" || rc=$?
echo "exit $rc (refused: a process still holds the zombie's namespace; --force would release it)"
ctl gc --dry-run
ctl events --limit 8
heading "metrics (GET http://$METRICS/metrics; the same text as warrenctl metrics)"
"$BIN/warrenctl" --admin-socket "$ADMIN_SOCKET" metrics |
  grep -E '^warren_(pool_(size|in_use|free)_addresses|pool_alert_level|cni_request_duration_seconds_count|gc_decisions_total)' |
  sed 's/^/  /'

# ------------------------------------------------------------------ wait
if (( WAIT )); then
  heading "warrend keeps serving $SOCKET; its log follows. Ctrl-C stops it and cleans up"
  note "try: CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/proc/1/ns/net CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH $BIN/warren < $CONF"
  tail -n 0 -f "$LOG" &
  TAIL_PID=$!
  wait "$AGENT_PID" || true
  echo "demo: warrend exited"
else
  heading "tour done (--no-wait)"
fi
