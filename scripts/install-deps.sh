#!/usr/bin/env bash
# Installs every Debian 12 (bookworm) package warren needs to build, test, benchmark and demo,
# and mounts the BPF filesystem. Run as root on a fresh machine; safe to run again.
#
#   sudo ./scripts/install-deps.sh            # installs only when a package is missing
#   sudo ./scripts/install-deps.sh --force    # apt-get update + install even if all are present
set -euo pipefail

PACKAGES=(
  # toolchain
  cmake make g++ pkg-config ca-certificates
  # libraries (headers): agent, plugin, tests
  libboost-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  # Kubernetes API client: TLS and kubeconfig (YAML)
  libssl-dev libyaml-cpp-dev
  libgtest-dev googletest libgmock-dev
  # eBPF liveness: libbpf + skeleton generation + the BPF compiler
  libbpf-dev libelf-dev zlib1g-dev linux-libc-dev bpftool clang llvm
  # netlink
  libnl-3-dev libnl-route-3-dev
  # integration tests, demo and benchmark peers: bridge/ptp/host-local, ip, ping,
  # systemd-socket-activate (package systemd), unshare/mount/mountpoint/flock, pgrep, jq
  containernetworking-plugins iproute2 iputils-ping systemd util-linux mount procps jq
  # real-runtime tests (runtime_tests): containerd + ctr, podman with its CNI backend, runc,
  # a busybox rootfs
  containerd podman runc conmon busybox-static
  # metrics test: parses GET /metrics with the Prometheus text parser
  python3-prometheus-client
  # manifests test: packaging/kubernetes/ against the Kubernetes API models
  python3-kubernetes python3-yaml
  # benchmark: TCP throughput between two pods with and without the liveness classifier
  iperf3
  # packaging: the .deb (cpack runs dpkg-shlibdeps), lintian on it, and the nspawn boot test
  # (a debootstrap'd Debian 12 root booted with systemd-nspawn)
  dpkg-dev lintian debootstrap debian-archive-keyring systemd-container
  # fuzzing (scripts/fuzz.sh): clang 16 with its libFuzzer and sanitizer runtimes
  clang-16 libclang-rt-16-dev
)

force=0
[[ ${1:-} == --force ]] && force=1

missing=()
for p in "${PACKAGES[@]}"; do
  if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if [[ -r /etc/os-release ]]; then
  . /etc/os-release
  if [[ ${ID:-} != debian || ${VERSION_ID:-} != 12 ]]; then
    echo "install-deps: note: written for Debian 12, this is ${PRETTY_NAME:-unknown}; trying anyway" >&2
  fi
fi

if (( EUID != 0 )); then
  if (( ${#missing[@]} )); then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root (sudo $0) to install them" >&2
    exit 1
  fi
  echo "install-deps: all ${#PACKAGES[@]} packages present (not root: skipping the BPF mount)"
  exit 0
fi

if (( ${#missing[@]} || force )); then
  echo "install-deps: installing: ${missing[*]:-(forced) ${PACKAGES[*]}}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update
  apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${PACKAGES[@]}"
else
  echo "install-deps: all ${#PACKAGES[@]} packages present"
fi

# warrend pins its eBPF maps under /sys/fs/bpf/warren; the BPF filesystem must be mounted.
if [[ -d /sys/fs/bpf ]] && ! mountpoint -q /sys/fs/bpf; then
  if mount -t bpf bpf /sys/fs/bpf; then
    echo "install-deps: mounted the BPF filesystem on /sys/fs/bpf"
  else
    echo "install-deps: warning: could not mount bpffs on /sys/fs/bpf (no privileges in this container?)" >&2
  fi
fi
