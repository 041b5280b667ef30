#!/usr/bin/env bash
# Build contxray's kernel side and native addon (idempotent):
#   bpf/vmlinux.h            from the running kernel's BTF
#   bpf/.output/contxray.bpf.o  CO-RE object (clang -target bpf)
#   bpf/.output/contxray.skel.h bpftool skeleton, embedded in the addon
#   native/build/Release/contxray.node
# native/columns.gen.h (the decoder's tables) is checked in: after changing a column in
# src/capture/schema.ts or a struct in bpf/contxray.h, run `npm run build` then
# `node scripts/gen-native-columns.mjs` (docs/bpf.md, "How to add a field to an event").
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "build-native: '$1' not found. Install: apt-get install -y clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config g++ make" >&2
    exit 1
  fi
}
need clang
need bpftool
need pkg-config
if ! pkg-config --exists libbpf; then
  echo "build-native: libbpf not found by pkg-config. Install: apt-get install -y libbpf-dev libelf-dev zlib1g-dev" >&2
  exit 1
fi

case "$(uname -m)" in
  x86_64) ARCH=x86 ;;
  aarch64) ARCH=arm64 ;;
  *) echo "build-native: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

OUT=bpf/.output
mkdir -p "$OUT"

BTF=${CONTXRAY_BTF:-/sys/kernel/btf/vmlinux}
if [ ! -s bpf/vmlinux.h ]; then
  if [ ! -r "$BTF" ]; then
    echo "build-native: no kernel BTF at $BTF (needs CONFIG_DEBUG_INFO_BTF=y)" >&2
    exit 1
  fi
  bpftool btf dump file "$BTF" format c > bpf/vmlinux.h.tmp
  mv bpf/vmlinux.h.tmp bpf/vmlinux.h
fi

# -mcpu=v3: atomic fetch-and-add for socket cookies. -g: BTF for CO-RE.
clang -O2 -g -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$ARCH \
  -I bpf -I "$OUT" $(pkg-config --cflags libbpf) \
  -c bpf/contxray.bpf.c -o "$OUT/contxray.tmp.bpf.o"
bpftool gen object "$OUT/contxray.bpf.o" "$OUT/contxray.tmp.bpf.o"
bpftool gen skeleton "$OUT/contxray.bpf.o" name contxray > "$OUT/contxray.skel.h.tmp"
mv "$OUT/contxray.skel.h.tmp" "$OUT/contxray.skel.h"

if [ "${1:-}" = "--bpf-only" ]; then exit 0; fi

# node-gyp: use the headers of the running node (Debian ships them in /usr/include/node).
NODEDIR_ARGS=()
if [ -f /usr/include/node/node_api.h ] && [ -z "${npm_config_nodedir:-}" ]; then
  NODEDIR_ARGS=(--nodedir=/usr)
fi
# node-gyp: the checkout's (devDependency), else the one npm puts on PATH for install scripts (an
# installed package building from source: scripts/install-addon.mjs).
if [ -x node_modules/.bin/node-gyp ]; then GYP=(node_modules/.bin/node-gyp)
elif command -v node-gyp >/dev/null 2>&1; then GYP=(node-gyp)
else echo "build-native: node-gyp not found (it comes with npm: run this through npm, or npm install -g node-gyp)" >&2; exit 1
fi
"${GYP[@]}" rebuild --directory native "${NODEDIR_ARGS[@]}" >"$OUT/node-gyp.log" 2>&1 || {
  cat "$OUT/node-gyp.log" >&2
  echo "build-native: addon build failed (log above)" >&2
  exit 1
}
echo "build-native: native/build/Release/contxray.node"
