#!/usr/bin/env bash
# Makes (or finds) the cached Debian 12 minbase root the nspawn boot test boots: debootstrap with
# systemd, dbus and the runtime Depends of the warren .deb, packed as
# BUILD_DIR/nspawn-cache/bookworm-minbase-<key>.tar, where the key is of the package list. Prints
# the tar's path. A lock on the cache dir makes a second caller wait for the first, so
# scripts/test.sh can start it in the background while the build runs (debootstrap waits on the
# network, the build on the CPUs) and the test then finds the tar.
#
#   nspawn_root.sh BUILD_DIR 'DEPENDS'     # DEPENDS as dpkg-deb -f warren.deb Depends prints it
set -euo pipefail

build=${1:?usage: nspawn_root.sh BUILD_DIR DEPENDS}
depends=${2:?usage: nspawn_root.sh BUILD_DIR DEPENDS}
die() { echo "nspawn_root: $*" >&2; exit 1; }

# debootstrap cannot resolve a virtual package (libspdlog1.10-fmt9): the host's apt names its
# provider.
real_package() {
    if (( $(apt-cache show "$1" 2>/dev/null | grep -c "^Package: $1\$") > 0 )); then
        echo "$1"
    else
        apt-cache showpkg "$1" 2>/dev/null | awk '/^Reverse Provides:/ {f = 1; next} f && NF && !done {print $1; done = 1}'
    fi
}
# The runtime Depends, without versions (first of any alternatives), go into the root so no
# apt-get is needed inside.
deps=
for d in $(tr ',' '\n' <<<"$depends" | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' | sort -u); do
    r=$(real_package "$d")
    [[ -n $r ]] || die "no package provides $d (a Depends of the .deb) in the host's apt lists: apt-get update"
    deps+=${deps:+,}$r
done

mirror=http://deb.debian.org/debian
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    [[ -r $f ]] || continue
    m=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit} /^deb / && $0 !~ /security/ {print ($2 ~ /^\[/ ? $3 : $2); exit}' "$f")
    if [[ -n $m ]]; then mirror=$m; break; fi
done
include="systemd,systemd-sysv,dbus,$deps"
cache_dir="$build/nspawn-cache"
key=$(printf '%s' "bookworm minbase $include" | sha256sum | cut -c1-16)
cache="$cache_dir/bookworm-minbase-$key.tar"
mkdir -p "$cache_dir"
exec 9>"$cache_dir/lock"
flock 9
if [[ ! -f $cache ]]; then
    root=$(mktemp -d "$cache_dir/root.XXXXXX")
    chmod 0755 "$root"  # it becomes the container's /: mktemp's 0700 would lock out every service user
    trap 'rm -rf --one-file-system "$root" "$root.log"' EXIT
    echo "nspawn_root: debootstrap bookworm minbase from $mirror (--include=$include)" >&2
    debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror" >"$root.log" 2>&1 ||
        { tail -n 30 "$root.log" >&2; die "debootstrap failed (network? mirror $mirror)"; }
    rm -rf "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -cpf "$cache.tmp.$$" . && mv "$cache.tmp.$$" "$cache"
fi
echo "$cache"
