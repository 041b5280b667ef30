#!/usr/bin/env bash
# Builds the real server images for `npm run bench -- realworld` offline from Debian packages:
# debootstrap --variant=minbase bookworm, then `tar | docker import`. Images are cached by tag
# (contxray-rw/NAME:bookworm), so reruns skip the build. Usage: realworld-images.sh NAME...
# NAME is one of: nginx redis postgres python node.
set -euo pipefail
MIRROR="${CONTXRAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

packages_for() {
  case "$1" in
    nginx) echo nginx-light,curl ;;
    redis) echo redis-server,redis-tools ;;
    postgres) echo postgresql,postgresql-client ;;
    python) echo python3 ;;
    node) echo nodejs ;;
    *) echo "unknown workload: $1" >&2; exit 2 ;;
  esac
}

# After the packages are in: small changes a containerised server needs (no init, clients on the network).
tune() {
  local name="$1" dir="$2"
  case "$name" in
    postgres)
      local ver; ver=$(ls "$dir/usr/lib/postgresql")
      # postgresql-common's postinst does not create the cluster inside debootstrap: do it here.
      if [ ! -d "$dir/etc/postgresql/$ver/main" ]; then
        mount -t proc proc "$dir/proc"
        chroot "$dir" pg_createcluster "$ver" main >/dev/null || { umount "$dir/proc"; return 1; }
        umount "$dir/proc"
      fi
      local conf="$dir/etc/postgresql/$ver/main"
      echo "host all all 0.0.0.0/0 trust" >> "$conf/pg_hba.conf"
      echo "listen_addresses = '*'" >> "$conf/postgresql.conf"
      mkdir -p "$dir/var/run/postgresql"; chroot "$dir" chown postgres:postgres /var/run/postgresql ;;
    redis)
      sed -i -e 's/^bind .*/bind 0.0.0.0/' -e 's/^protected-mode yes/protected-mode no/' \
        -e 's/^daemonize yes/daemonize no/' -e 's/^logfile .*/logfile ""/' "$dir/etc/redis/redis.conf" ;;
  esac
}

for name in "$@"; do
  tag="contxray-rw/$name:bookworm"
  if docker image inspect "$tag" >/dev/null 2>&1; then echo "$tag: cached"; continue; fi
  pkgs=$(packages_for "$name")
  dir=$(mktemp -d /tmp/contxray-rw-XXXXXX)
  chmod 755 "$dir" # the root of the image: initdb runs as postgres inside the chroot
  trap 'rm -rf "$dir"' EXIT
  echo "$tag: debootstrap --include=$pkgs" >&2
  debootstrap --variant=minbase --include="$pkgs" bookworm "$dir" "$MIRROR" > "$dir.log" 2>&1 \
    || { tail -20 "$dir.log" >&2; exit 4; }
  tune "$name" "$dir"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | docker import --change 'LABEL contxray.test=1' - "$tag" >/dev/null
  rm -rf "$dir" "$dir.log"; trap - EXIT
  echo "$tag: built"
done
