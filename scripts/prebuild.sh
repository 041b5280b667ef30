#!/usr/bin/env bash
# Builds the prebuilt addon shipped in the npm package (docs/install.md):
#   native/prebuilds/linux-<arch>/contxray.glibc.node
# with prebuildify (N-API, so one file serves every Node >= 20), libbpf/libelf/zlib linked
# statically (binding.gyp's static_libbpf) and the CO-RE BPF object embedded through bpftool's
# skeleton (bpf/.output/contxray.skel.h), so nothing is read from disk at run time. Built on Debian
# 12: the result needs glibc >= the newest GLIBC_ symbol version it references (printed below).
# Run it on the architecture you want to ship (x86_64 or aarch64); needs the same packages as
# scripts/build-native.sh. Leaves native/build/ without a .node (prebuildify moves it out).
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "prebuild: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

# The BPF object and its skeleton (the addon's build needs the header).
bash scripts/build-native.sh --bpf-only

# Debian's libbpf.a and libelf.a are not position-independent (they cannot go into a shared object),
# so libbpf, libelf and zlib are built from Debian 12's own sources (same versions as libbpf-dev,
# libelf-dev, zlib1g-dev; checksums from Debian's .dsc files) with -fPIC, the way libbpf-bootstrap
# and bpftool vendor them. Built once, cached under bpf/.output/static/ (gitignored).
mirror=${CONTXRAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
static=$PWD/bpf/.output/static
mkdir -p "$static"
# unpack DIR URL SHA256: downloads and unpacks a source tarball into $static/DIR (once).
unpack() {
  local dir=$1 url=$2 sha=$3 file
  file=$static/$(basename "$url")
  [[ -d $static/$dir ]] && return 0
  curl -sSfL -o "$file" "$url"
  echo "$sha  $file" | sha256sum -c --quiet
  tar -C "$static" -xf "$file"
}
# quietly LOG CMD...: runs CMD with its output in LOG, shown only when it fails.
quietly() { local log=$1; shift; "$@" >"$log" 2>&1 || { tail -30 "$log" >&2; echo "prebuild: failed: $*" >&2; exit 1; }; }

zlib=$static/zlib-1.2.13.dfsg/libz.a
if [[ ! -s $zlib ]]; then
  echo "prebuild: building a PIC libz.a (zlib 1.2.13)"
  unpack zlib-1.2.13.dfsg "$mirror/pool/main/z/zlib/zlib_1.2.13.dfsg.orig.tar.bz2" 71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
  (cd "$static/zlib-1.2.13.dfsg" && CFLAGS="-O2 -fPIC" quietly build.log ./configure --static && quietly make.log make libz.a)
fi
libelf=$static/elfutils-0.188/libelf/libelf.a
if [[ ! -s $libelf ]]; then
  echo "prebuild: building a PIC libelf.a (elfutils 0.188; a few minutes)"
  unpack elfutils-0.188 "$mirror/pool/main/e/elfutils/elfutils_0.188.orig.tar.bz2" fb8b0e8d0802005b9a309c60c1d8de32dd2951b56f0c3a3cb56d21ce01595dff
  (cd "$static/elfutils-0.188" &&
    quietly build.log ./configure --disable-debuginfod --disable-libdebuginfod --without-zstd --without-bzlib --without-lzma CFLAGS="-O2 -fPIC" &&
    quietly make.log make -C lib && quietly make.log make -C libelf libelf.a)
fi
libbpf=$static/libbpf-1.1.2/src/libbpf.a
if [[ ! -s $libbpf ]]; then
  echo "prebuild: building a PIC libbpf.a (libbpf 1.1.2)"
  unpack libbpf-1.1.2 "$mirror/pool/main/libb/libbpf/libbpf_1.1.2.orig.tar.gz" b50ab60637fb713db78aa98e6ca911ddf13c0799d498a1f6ec03ebffc7dca588
  (cd "$static/libbpf-1.1.2/src" && quietly build.log make BUILD_STATIC_ONLY=y EXTRA_CFLAGS="-O2 -fPIC -I$static/elfutils-0.188/libelf -I$static/zlib-1.2.13.dfsg" libbpf.a)
fi
# Link order: libbpf needs libelf, both need zlib.
export CONTXRAY_STATIC_LIBS="$libbpf $libelf $zlib"

# node-gyp: the running node's headers (Debian ships them in /usr/include/node; otherwise node-gyp
# downloads them).
if [[ -f /usr/include/node/node_api.h && -z ${npm_config_nodedir:-} ]]; then export npm_config_nodedir=/usr; fi
out=native/prebuilds/linux-$arch
rm -rf "$out"
log=bpf/.output/prebuild.log
npx --no-install prebuildify --target "$(node -p process.versions.node)" --napi --strip --tag-libc --name contxray --cwd native >"$log" 2>&1 || {
  cat "$log" >&2
  echo "prebuild: prebuildify failed (log above)" >&2
  exit 1
}
addon=$out/contxray.glibc.node
[[ -f $addon ]] || { echo "prebuild: $addon was not produced" >&2; exit 1; }

# What the prebuild needs from the host: only libc/libstdc++-level libraries, no libbpf/libelf/libz.
needed=$(objdump -p "$addon" | awk '$1 == "NEEDED" { print $2 }' | sort | tr '\n' ' ')
for lib in $needed; do
  case $lib in
    libc.so.* | libm.so.* | libstdc++.so.* | libgcc_s.so.* | ld-linux-*) ;;
    *) echo "prebuild: $addon needs $lib (it must link libbpf, libelf and zlib statically)" >&2; exit 1 ;;
  esac
done
glibc=$(objdump -T "$addon" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
glibcxx=$(objdump -T "$addon" | grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -1)
# Smoke test: it loads into this node and describes its columns (no root needed).
node -e "require(process.argv[1]).describeColumns()" "$PWD/$addon"
echo "prebuild: $addon ($(stat -c %s "$addon") bytes; needs: $needed; newest symbols: $glibc ${glibcxx:-})"
