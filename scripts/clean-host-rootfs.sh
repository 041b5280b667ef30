#!/usr/bin/env bash
# Builds, once, the minimal Debian 12 root filesystem the clean-host install test installs contxray
# into (test/system/install-clean-host.test.ts): `debootstrap --variant=minbase bookworm` plus
# Debian's nodejs and ca-certificates, no compiler, no libbpf-dev. It takes minutes, so the result is
# cached as a tarball and later runs only print its path.
#
#   scripts/clean-host-rootfs.sh            prints the tarball's path (building it if missing)
#
# Environment: CONTXRAY_ROOTFS_CACHE  cache folder (default /var/cache/contxray)
#              CONTXRAY_DEBIAN_MIRROR (default http://deb.debian.org/debian)
set -euo pipefail

cache=${CONTXRAY_ROOTFS_CACHE:-/var/cache/contxray}
mirror=${CONTXRAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The name carries what is inside, so changing the package list builds a new tarball.
include=nodejs,ca-certificates
tarball=$cache/bookworm-minbase-${include//,/-}.tar.gz

[[ $(id -u) == 0 ]] || { echo "clean-host-rootfs: needs root (debootstrap)" >&2; exit 4; }
command -v debootstrap >/dev/null || { echo "clean-host-rootfs: debootstrap not found: apt-get install -y debootstrap" >&2; exit 4; }

if [[ -s $tarball ]]; then echo "$tarball"; exit 0; fi

mkdir -p "$cache"
chmod 0700 "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
# debootstrap mounts /proc and /sys inside the target while it runs: make sure nothing stays mounted
# under $work before it is removed (rm -rf through a live /sys or /proc bind is destructive).
cleanup() {
  local m
  for m in $(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r); do umount -l "$m" || true; done
  if awk -v w="$work/" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    echo "clean-host-rootfs: mounts left under $work, not removing it" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

debootstrap --variant=minbase --include="$include" bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -30 "$work/debootstrap.log" >&2
  echo "clean-host-rootfs: debootstrap failed (log above)" >&2
  exit 4
}
# Package caches are not part of a clean host.
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
tar -C "$work/root" -czf "$work/rootfs.tar.gz" .
mv "$work/rootfs.tar.gz" "$tarball"
echo "$tarball"
