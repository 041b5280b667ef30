#!/usr/bin/env bash
# Build a tiny local image from Debian's busybox-static: no registry is reachable on the machines
# contxray is developed and tested on, so every image used by the demo and the tests is made here.
# Idempotent: does nothing when the tag already exists (pass --force to rebuild).
#   usage: scripts/demo-image.sh [TAG] [--force]
set -euo pipefail

tag=contxray/busybox:demo
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) tag=$arg ;;
  esac
done

if [[ $force == 0 ]] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "demo-image: $tag already exists"
  exit 0
fi

# busybox-static installs /bin/busybox; a dynamically linked one would need the host's libc inside.
busybox=/bin/busybox
[[ -x $busybox ]] || busybox=$(command -v busybox || true)
if [[ -z $busybox ]]; then
  echo "demo-image: busybox not found (apt-get install -y busybox-static)" >&2
  exit 1
fi
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
  echo "demo-image: $busybox is not statically linked (apt-get install -y busybox-static)" >&2
  exit 1
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,etc,tmp,www,proc,sys,dev,root}
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
# Explicit symlinks for every applet (what `busybox --install -s` would do, without running it as root
# against the host's paths).
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -sf busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
echo '<html><body>hello from contxray</body></html>' >"$rootfs/www/index.html"

tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/sh"]' - "$tag" >/dev/null
echo "demo-image: built $tag"
