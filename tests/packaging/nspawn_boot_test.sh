#!/usr/bin/env bash
# Boots systemd as PID 1 in a Debian 12 container (systemd-nspawn -b on a debootstrap'd minbase
# root, its own network namespace), installs the warren .deb and checks what a bare-metal node
# relies on: the units pass `systemd-analyze verify`, the sockets are enabled and listening while
# warrend is not running, the first CNI ADD starts warrend (socket activation) and is answered,
# warrend runs under the hardened unit with both sockets from systemd, its watchdog on and the eBPF
# signal loaded, `systemctl restart warrend` keeps every allocation, a stuck warrend is restarted
# by the watchdog, an upgrade restarts it, remove keeps the journal and purge deletes it. The
# unit's `systemd-analyze security` table and score go into the log.
#
#   nspawn_boot_test.sh BUILD_DIR
#
# Needs root, systemd-nspawn (systemd-container), debootstrap, the BPF filesystem on /sys/fs/bpf
# and the network the first time: the root is cached as BUILD_DIR/nspawn-cache/*.tar (keyed by
# the package list), so reruns skip debootstrap. Everything it starts or creates is stopped and removed on exit.
set -euo pipefail

build=${1:?usage: nspawn_boot_test.sh BUILD_DIR}
build=$(cd "$build" && pwd)
start_s=$(date +%s)
say() { printf 'nspawn-boot: [%3ds] %s\n' $(($(date +%s) - start_s)) "$*"; }
die() { say "FAIL: $*"; exit 1; }

(( EUID == 0 )) || die "needs root (systemd-nspawn, debootstrap); run it as root"
for tool in systemd-nspawn debootstrap cpack dpkg-deb nsenter jq apt-cache; do
    command -v "$tool" >/dev/null ||
        die "$tool not found: install systemd-container, debootstrap, cmake and dpkg (scripts/install-deps.sh)"
done

# warrend pins its eBPF maps in the container's /sys/fs/bpf: a directory of the host's bpffs
# of this run's own, bound there.
[[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]] ||
    die "the BPF filesystem is not mounted at /sys/fs/bpf: mount -t bpf bpf /sys/fs/bpf (scripts/install-deps.sh does)"
# Under the build dir: should a SIGKILL skip the cleanup, removing the build dir removes it.
work=$(mktemp -d "$build/nspawn-run.XXXXXX")
machine="warren-boot-$$-$RANDOM"
bpffs=/sys/fs/bpf/$machine
nspawn_pid=
leader=

cleanup() {
    local rc=$?
    if [[ -n $nspawn_pid ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
        # SIGTERM asks nspawn to shut the container's systemd down cleanly.
        kill -TERM "$nspawn_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$nspawn_pid" 2>/dev/null; then
            say "the container did not stop in 10 s: killing it"
            kill -KILL "$nspawn_pid" 2>/dev/null || true
        fi
        wait "$nspawn_pid" 2>/dev/null || true
    fi
    if (( rc != 0 )) && [[ -f $work/console.log ]]; then
        say "the container's console (last 40 lines):"
        tail -n 40 "$work/console.log" | sed 's/^/  | /'
    fi
    # Nothing may stay mounted below the root before it is deleted.
    if grep -q " $work/" /proc/mounts; then
        grep " $work/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l || true
    fi
    rm -rf --one-file-system "$work"
    [[ -d $bpffs ]] && rm -rf "$bpffs"
    say "cleaned up (machine $machine stopped, $work removed); took $(($(date +%s) - start_s)) s"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the package --------------------------------------------------------------------------------
say "building the .deb (cpack -G DEB)"
(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
    { cat "$work/cpack.log"; die "cpack failed"; }
deb=$(ls "$work"/pkg/warren_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
say "built $(basename "$deb"); Depends: $depends"
# --- the root (cached under BUILD_DIR/nspawn-cache; scripts/test.sh may have made it already) ------
root="$work/root"
mkdir -p "$root"
cache=$("$(dirname "$0")/nspawn_root.sh" "$build" "$depends") || die "no root to boot (nspawn_root.sh failed)"
say "unpacking the cached root $cache"
tar -C "$root" -xpf "$cache"
mkdir "$bpffs"
cp "$deb" "$root/root/warren.deb"
echo "$machine" >"$root/etc/hostname"

# --- boot ---------------------------------------------------------------------------------------
say "booting the container $machine (systemd-nspawn -b)"
# A network namespace of its own: warrend's metrics port and its netlink and tc work stay inside.
# Without systemd on the host (no machined, no bus) nspawn neither registers the machine nor
# makes a scope for it; its /run/systemd/nspawn must be a tmpfs, so it runs in a mount namespace
# of its own with a fresh /run. The background pid is nspawn's (sh execs it). Should this script
# be killed without its cleanup (a ctest timeout's SIGKILL), nspawn gets SIGTERM and shuts down.
setpriv --pdeathsig TERM unshare --mount --propagation private sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"' sh \
    systemd-nspawn --quiet --register=no --keep-unit -D "$root" -M "$machine" -b --console=passive \
    --private-network --capability=CAP_BPF,CAP_PERFMON --system-call-filter=bpf --bind="$bpffs:/sys/fs/bpf" \
    >"$work/console.log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 1 300); do
    leader=$(pgrep -P "$nspawn_pid" -x systemd || true)
    [[ -n $leader ]] && break
    kill -0 "$nspawn_pid" 2>/dev/null || die "systemd-nspawn exited early"
    sleep 0.1
done
[[ -n $leader ]] || die "no systemd (PID 1) in the container after 30 s"

in_ct() { nsenter --target "$leader" --mount --uts --ipc --net --pid --cgroup -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

state=
for _ in $(seq 1 600); do
    state=$(in_ct systemctl is-system-running 2>/dev/null || true)
    [[ $state == running || $state == degraded ]] && break
    sleep 0.1
done
[[ $state == running || $state == degraded ]] || die "the container's systemd did not finish booting: '$state'"
say "booted: $state"

# --- install --------------------------------------------------------------------------------------
in_ct dpkg -i /root/warren.deb >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -i failed"; }
say "installed: $(in_ct dpkg-query -W -f='${Package} ${Version}' warren)"

for unit in warrend.socket warrend-admin.socket; do
    s=$(in_ct systemctl is-active "$unit" || true)
    [[ $s == active ]] || die "$unit is '$s' after dpkg -i, not active (postinst enables and starts it)"
    [[ $(in_ct systemctl is-enabled "$unit" || true) == enabled ]] || die "$unit is not enabled"
done
s=$(in_ct systemctl is-active warrend.service || true)
[[ $s == inactive ]] || die "warrend.service is '$s' before any request; socket activation should start it"
[[ -x $root/usr/lib/cni/warren && $(readlink "$root/opt/cni/bin/warren") == /usr/lib/cni/warren ]] ||
    die "the plugin is not at /usr/lib/cni/warren with /opt/cni/bin/warren linking to it"
say "warrend.socket and warrend-admin.socket active and enabled, warrend.service inactive"
verify=$(in_ct systemd-analyze verify warrend.service warrend.socket warrend-admin.socket 2>&1) ||
    die "systemd-analyze verify rejects the units: $verify"
[[ -z $verify ]] || die "systemd-analyze verify warns about the units: $verify"
# /usr/bin/warrend has no plugin beside it: install-cni takes the packaged /usr/lib/cni/warren.
out=$(in_ct warrend install-cni --cni-bin-dir /root/cni-bin --cni-conf-dir /root/cni-conf 2>&1) ||
    die "warrend install-cni failed in the container: $out"
grep -q "installed /root/cni-bin/warren from /usr/lib/cni/warren" <<<"$out" ||
    die "warrend install-cni did not install the packaged plugin: $out"
cmp -s "$root/root/cni-bin/warren" "$root/usr/lib/cni/warren" || die "install-cni's copy differs from /usr/lib/cni/warren"
say "warrend install-cni installs the packaged /usr/lib/cni/warren"

# --- a CNI ADD that starts the agent ------------------------------------------------------------
cat >"$root/root/net.conf" <<'CONF'
{"cniVersion": "1.0.0", "name": "boot-test", "type": "bridge",
 "ipam": {"type": "warren", "pool": "default"}}
CONF
# As `ip netns add` does: a private bind mount to hold the namespace's file.
in_ct sh -c 'mkdir -p /run/boot-netns && mount --bind /run/boot-netns /run/boot-netns &&
             mount --make-private /run/boot-netns && touch /run/boot-netns/pod &&
             unshare --net=/run/boot-netns/pod true' || die "cannot make a network namespace in the container"
add() {
    in_ct env CNI_COMMAND=ADD CNI_CONTAINERID="$1" CNI_NETNS=/run/boot-netns/pod CNI_IFNAME=eth0 \
        CNI_PATH=/usr/lib/cni /usr/lib/cni/warren <"$root/root/net.conf"
}
out=$(add boot-1 2>"$work/add.err") || { cat "$work/add.err"; die "the first CNI ADD failed: $out"; }
grep -q '"10\.244\.1\.' <<<"$out" || die "the first CNI ADD's answer has no address from the default pool: $out"
say "first CNI ADD answered: $(tr -d ' \n' <<<"$out" | cut -c1-160)"
s=$(in_ct systemctl is-active warrend.service || true)
[[ $s == active ]] || die "warrend.service is '$s' after the ADD; socket activation should have started it"
in_ct journalctl -u warrend.service --no-pager -o cat >"$work/journal.log" 2>&1 || true
n=$(in_ct systemctl show -P NRestarts warrend.service)
[[ $n == 0 ]] || die "warrend failed to start $n time(s) before it served: $(grep -E 'error|fatal' "$work/journal.log" | tail -n 5)"
grep -q "using the CNI socket passed by systemd" "$work/journal.log" || die "warrend did not use the CNI socket systemd passed"
grep -q "using the admin socket passed by systemd" "$work/journal.log" || die "warrend did not use the admin socket systemd passed"
grep -q "systemd watchdog: 30000 ms" "$work/journal.log" || die "warrend did not start its watchdog pings"
# The unit's system call filter, capabilities and writable paths let the eBPF signal load and pin.
grep -q "eBPF on, maps pinned under /sys/fs/bpf/warren" "$work/journal.log" ||
    die "the eBPF liveness signal is off under warrend.service: $(grep 'liveness signals' "$work/journal.log")"
say "warrend.service active (started by the ADD), both sockets from systemd, watchdog on, eBPF on"
grep -E "liveness signals|metrics:" "$work/journal.log" | sed 's/^/  warrend: /'
add boot-2 >/dev/null 2>>"$work/add.err" || { cat "$work/add.err"; die "the second CNI ADD failed"; }

# --- restart keeps every allocation ---------------------------------------------------------------
# Who holds which address since when; lastSeenNs (the wire) may move on between the two reads.
allocations() {
    local text
    text=$(in_ct warrenctl list --json) || die "warrenctl list --json failed: $text"
    jq -S '[.entries[] | {containerId, ifname, network, pool, ip, allocatedNs, state}] | sort_by(.ip)' <<<"$text" ||
        die "warrenctl list --json printed no entries: $text"
}
before=$(allocations)
[[ $(jq -r '[.[].containerId] | unique | join(" ")' <<<"$before") == "boot-1 boot-2" ]] ||
    die "warrenctl list lacks boot-1/boot-2: $before"
main_pid=$(in_ct systemctl show -P MainPID warrend.service)
in_ct systemctl restart warrend.service || die "systemctl restart warrend failed"
s=$(in_ct systemctl is-active warrend.service || true)
[[ $s == active ]] || die "warrend.service is '$s' after the restart"
[[ $(in_ct systemctl show -P MainPID warrend.service) != "$main_pid" ]] || die "warrend was not restarted (same MainPID)"
after=$(allocations)
[[ $before == "$after" ]] || die "the allocations changed across the restart:
before: $before
after:  $after"
say "systemctl restart warrend kept every allocation: $(jq -c '[.[] | .containerId + "=" + .ip]' <<<"$after")"

# systemctl reload runs `warrenctl reload`: the zones are re-read, the process stays.
main_pid=$(in_ct systemctl show -P MainPID warrend.service)
out=$(in_ct systemctl reload warrend.service 2>&1) || die "systemctl reload warrend failed: $out"
[[ $(in_ct systemctl show -P MainPID warrend.service) == "$main_pid" ]] || die "systemctl reload restarted warrend"
in_ct journalctl -u warrend.service --no-pager | grep -q "zones reloaded" ||
    die "systemctl reload: warrend's log has no 'zones reloaded'"
say "systemctl reload warrend re-read the zones (same MainPID)"

# --- the watchdog: a stuck I/O thread gets warrend restarted ---------------------------------------
# A drop-in shortens the watchdog so the test need not wait 30 s; SIGSTOP freezes every thread.
mkdir -p "$root/etc/systemd/system/warrend.service.d"
printf '[Service]\nWatchdogSec=2\nTimeoutAbortSec=1\n' >"$root/etc/systemd/system/warrend.service.d/test-watchdog.conf"
in_ct systemctl daemon-reload
in_ct systemctl restart warrend.service || die "systemctl restart warrend (watchdog drop-in) failed"
stuck_pid=$(in_ct systemctl show -P MainPID warrend.service)
restarts=$(in_ct systemctl show -P NRestarts warrend.service)
in_ct sh -c "kill -STOP $stuck_pid"  # the shell builtin: minbase has no procps
for _ in $(seq 1 200); do
    [[ $(in_ct systemctl show -P NRestarts warrend.service) != "$restarts" &&
       $(in_ct systemctl is-active warrend.service || true) == active ]] && break
    sleep 0.1
done
[[ $(in_ct systemctl show -P NRestarts warrend.service) != "$restarts" ]] ||
    die "systemd did not restart the stopped warrend (pid $stuck_pid) within 20 s of a 2 s watchdog"
in_ct journalctl -u warrend.service --no-pager -o cat >"$work/journal.log" 2>&1 || true
grep -q "Watchdog timeout" "$work/journal.log" ||
    die "warrend was restarted, but not for a watchdog timeout: $(tail -n 20 "$work/journal.log")"
[[ $(in_ct systemctl is-active warrend.service || true) == active ]] || die "warrend is not active after the watchdog restart"
[[ $(allocations) == "$before" ]] || die "the allocations changed across the watchdog restart"
rm -r "$root/etc/systemd/system/warrend.service.d"
in_ct systemctl daemon-reload
say "a stopped warrend was killed by the watchdog and restarted by systemd; allocations kept"

# --- the maintainer scripts: reinstall (as an upgrade), remove, purge -----------------------------
main_pid=$(in_ct systemctl show -P MainPID warrend.service)
in_ct dpkg -i /root/warren.deb >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -i over the installed package failed"; }
[[ $(in_ct systemctl is-active warrend.service || true) == active ]] || die "warrend is not active after the upgrade"
[[ $(in_ct systemctl show -P MainPID warrend.service) != "$main_pid" ]] || die "the upgrade did not restart warrend"
[[ $(allocations) == "$before" ]] || die "the allocations changed across the upgrade"
say "dpkg -i over the installed package restarted warrend; allocations kept"
# --- the hardening score ---------------------------------------------------------------------------
in_ct systemd-analyze security --no-pager warrend.service >"$work/security.log" 2>&1 || true
score=$(grep -E "Overall exposure level" "$work/security.log" || true)
[[ -n $score ]] || { cat "$work/security.log"; die "systemd-analyze security printed no score"; }
sed 's/^/  /' "$work/security.log"
say "systemd-analyze security: $score"
in_ct dpkg -r warren >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -r warren failed"; }
for unit in warrend.service warrend.socket warrend-admin.socket; do
    s=$(in_ct systemctl is-active "$unit" || true)
    [[ $s == inactive ]] || die "$unit is '$s' after dpkg -r, not stopped"
done
[[ -d $root/var/lib/warren && ! -e $root/opt/cni/bin/warren && ! -L $root/opt/cni/bin/warren ]] ||
    die "dpkg -r must keep /var/lib/warren and remove the /opt/cni/bin/warren link"
[[ -f $root/etc/warren/warrend.json ]] || die "dpkg -r removed the conffile /etc/warren/warrend.json"
in_ct dpkg -P warren >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; die "dpkg -P warren failed"; }
[[ ! -e $root/var/lib/warren && ! -e $root/etc/warren/warrend.json ]] || die "dpkg -P left /var/lib/warren or the conffile"
say "dpkg -r stopped the units and kept the journal; dpkg -P deleted it"
say "PASS"
