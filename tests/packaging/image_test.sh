#!/usr/bin/env bash
# The container image (packaging/Containerfile) end to end with podman, in a private image store
# under a temp dir: scripts/build-image.sh builds it in a network namespace with no network at
# all; `--version` prints the project version; `install-cni` puts the plugin and a conflist into
# bind-mounted host dirs; the agent runs in a container (host network, CAP_BPF + CAP_NET_ADMIN,
# eBPF liveness on, pinned under its own bpffs dir) with its state dir and /run/warren
# bind-mounted from the temp dir, and the host execs the installed plugin for a CNI ADD and a DEL
# against that socket, checked through the image's warrenctl. Everything it made (containers,
# image, store, bpffs pins, netns, cgroup, temp dir) is removed on every exit.
#
#   tests/packaging/image_test.sh BUILD_DIR
# Needs root; exits 77 (ctest: skipped) without it, except under CI=true where that fails.
set -uo pipefail

BUILD_DIR=$(cd "${1:?usage: image_test.sh BUILD_DIR}" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if (( EUID != 0 )); then
  if [[ ${CI:-} == true || ${CI:-} == 1 ]]; then
    echo "FAIL: the image test needs root (podman, netns, bind mounts) and CI=$CI forbids skipping" >&2
    exit 1
  fi
  echo "skip: the image test needs root"
  exit 77
fi
command -v podman >/dev/null || { echo "FAIL: podman not found; install it (scripts/install-deps.sh)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/warren-image-test.XXXXXX)
ID=$(tr '[:upper:]' '[:lower:]' <<<"${TMP##*.}")
BPFFS_DIR=/sys/fs/bpf/warren-img-$ID
NETNS=warren-img-$ID
CGROUP=warren-image-test-$ID
AGENT=warren-agent-$ID
export CONTAINERS_CONF=$TMP/containers.conf CONTAINERS_STORAGE_CONF=$TMP/storage.conf
PODMAN=(podman --root "$TMP/root" --runroot "$TMP/runroot" --storage-driver vfs --tmpdir "$TMP/tmp"
        --cgroup-manager cgroupfs)
mkdir -p "$TMP"/{root,runroot,tmp,host/bin,host/net.d,state,run}
# The ulimits: podman's defaults exceed what this kind of machine allows (as in
# tests/integration/runtime_podman.cpp).
cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$TMP/events.log"
tmp_dir = "$TMP/tmp"
lock_type = "file"
runtime = "runc"
EOF
cat >"$CONTAINERS_STORAGE_CONF" <<EOF
[storage]
driver = "vfs"
runroot = "$TMP/runroot"
graphroot = "$TMP/root"
EOF

cleanup() {
  timeout 120 "${PODMAN[@]}" rm -af -t 0 >/dev/null 2>&1
  timeout 120 "${PODMAN[@]}" rmi -af >/dev/null 2>&1
  ip netns del "$NETNS" 2>/dev/null
  [[ -e $BPFFS_DIR ]] && "$BUILD_DIR/bin/warrend" --detach-all --bpffs-dir "$BPFFS_DIR" >/dev/null 2>&1
  # Anything podman left mounted under the temp dir, innermost first, before removing it.
  awk -v t="$TMP" '$5 == t || index($5, t "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$TMP"
  for d in /sys/fs/cgroup/"$CGROUP" /sys/fs/cgroup/*/"$CGROUP"; do
    [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}
trap cleanup EXIT
trap 'exit 143' TERM INT

failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect_eq WHAT GOT WANT
expect_eq() { if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi; }
pm() { timeout 120 "${PODMAN[@]}" "$@"; }
run_in_image() { pm run --rm --cgroup-parent "/$CGROUP" "$@"; }

VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD_DIR/CMakeCache.txt")
[[ -n $VERSION ]] || { echo "FAIL: no CMAKE_PROJECT_VERSION in $BUILD_DIR/CMakeCache.txt" >&2; exit 1; }
IMAGE=localhost/warren-test-$ID
TAG=$IMAGE:$VERSION

echo "== the image builds offline (in a network namespace without network)"
if ! BUILD_DIR=$BUILD_DIR IMAGE=$IMAGE PODMAN="${PODMAN[*]}" \
     unshare --net "$ROOT/scripts/build-image.sh" --no-build; then
  fail "scripts/build-image.sh --no-build"
  exit 1
fi
expect_eq "the image carries its version label" \
  "$(pm image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' "$TAG")" "$VERSION"
expect_eq "the image's warrenctl runs" \
  "$(run_in_image --entrypoint /usr/bin/warrenctl "$TAG" --version)" "warrenctl $VERSION"

echo "== warrend --version"
expect_eq "podman run IMAGE --version" "$(run_in_image "$TAG" --version)" "warrend $VERSION"

echo "== install-cni into bind-mounted host dirs"
out=$(run_in_image -v "$TMP/host/bin:/host/bin" -v "$TMP/host/net.d:/host/net.d" "$TAG" \
        install-cni --cni-bin-dir /host/bin --cni-conf-dir /host/net.d 2>&1)
rc=$?
expect_eq "install-cni exit status (output: $out)" "$rc" 0
PLUGIN=$TMP/host/bin/warren
if [[ -x $PLUGIN ]]; then pass "the plugin is installed on the host side"; else fail "no executable $PLUGIN"; fi
CONFLIST=$TMP/host/net.d/10-warren.conflist
expect_eq "the conflist's first plugin uses warren IPAM" \
  "$(jq -r '.plugins[0].ipam.type' "$CONFLIST" 2>&1)" warren
expect_eq "the installed plugin runs on the host" \
  "$(CNI_COMMAND=VERSION "$PLUGIN" </dev/null | jq -r '.supportedVersions | index("1.0.0") != null')" true

echo "== the agent in a container serves a CNI ADD and DEL from the host"
POOL=10.251.$((RANDOM % 200 + 20)).0/24
# The least that loads the classifier: podman's default seccomp profile allows bpf(2) only with
# CAP_SYS_ADMIN, so seccomp is off instead. The metrics endpoint is off: no port to collide on.
pm run -d --name "$AGENT" --cgroup-parent "/$CGROUP" --network host \
  --cap-add BPF,NET_ADMIN --security-opt seccomp=unconfined -v /sys/fs/bpf:/sys/fs/bpf \
  -v "$TMP/state:/var/lib/warren" -v "$TMP/run:/run/warren" "$TAG" \
  --state-dir /var/lib/warren --socket /run/warren/warren.sock --pod-cidr "$POOL" \
  --ebpf on --bpffs-dir "$BPFFS_DIR" --metrics-address off >/dev/null ||
  fail "podman run -d the agent"
SOCKET=$TMP/run/warren.sock
for _ in $(seq 300); do
  [[ -S $SOCKET && -S $TMP/run/admin.sock ]] && break
  [[ $(pm inspect --format '{{.State.Running}}' "$AGENT" 2>/dev/null) == true ]] || break
  sleep 0.1
done
if [[ -S $SOCKET ]]; then
  pass "the agent's socket appears on the host side: $SOCKET"
else
  fail "no socket at $SOCKET; the agent's log:"
  pm logs "$AGENT" 2>&1 | sed 's/^/  | /'
  exit 1
fi
if [[ -s $TMP/state/journal.wal ]]; then pass "the journal is in the bind-mounted state dir"; else fail "no $TMP/state/journal.wal"; fi
# conmon copies the log to its file behind the agent: wait for the line (the socket is up
# already), up to 30 s on a loaded machine.
for _ in $(seq 300); do
  pm logs "$AGENT" 2>&1 | grep -q "serving CNI requests" && break
  sleep 0.1
done
if pm logs "$AGENT" 2>&1 | grep -q "eBPF on, maps pinned under $BPFFS_DIR"; then
  pass "the static libbpf loads the classifier in the container"
else
  fail "the agent's log does not say 'eBPF on, maps pinned under $BPFFS_DIR'"
fi

ip netns add "$NETNS" || fail "ip netns add $NETNS"
CONF=$(jq -n --arg s "$SOCKET" '{cniVersion: "1.1.0", name: "imagetest", type: "warren",
                                 ipam: {type: "warren", socket: $s}}')
cni() {
  CNI_COMMAND=$1 CNI_CONTAINERID=image-test-$ID CNI_NETNS=/var/run/netns/$NETNS CNI_IFNAME=eth0 \
    CNI_PATH=$TMP/host/bin "$PLUGIN" <<<"$CONF"
}
# "IP STATE REASON" of every entry warrenctl lists, comma-separated.
list_allocations() {
  pm exec "$AGENT" /usr/bin/warrenctl --json list |
    jq -r '[.entries[] | "\(.ip) \(.state) \(.reason)"] | join(",")'
}
add=$(cni ADD)
expect_eq "ADD exit status (result: $add)" "$?" 0
ip=$(jq -r '.ips[0].address' <<<"$add")
prefix=${POOL%.0/24}
if [[ $ip == "$prefix".*/24 ]]; then pass "ADD got $ip from $POOL"; else fail "ADD got '$ip', not an address of $POOL"; fi
expect_eq "the image's warrenctl lists the allocation" "$(list_allocations 2>&1)" "${ip%/*} active "
del=$(cni DEL)
expect_eq "DEL exit status (output: $del)" "$?" 0
expect_eq "after DEL the address cools down" "$(list_allocations 2>&1)" "${ip%/*} quarantined del"

if (( failures )); then
  echo "the agent's log:"
  pm logs "$AGENT" 2>&1 | sed 's/^/  | /'
  echo "$failures check(s) failed"
  exit 1
fi
echo "all image checks passed"
