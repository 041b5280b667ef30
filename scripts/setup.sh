#!/usr/bin/env bash
# Set up a fresh Debian 12 machine (as root) for building and testing contxray: system packages,
# a running dockerd (no systemd here), node modules, the TypeScript build, the native addon, pyarrow
# for the independent-reader test, and the demo image. Idempotent: a re-run skips what is done.
#
# Environment:
#   CONTXRAY_DOCKERD_PIDFILE  where to write dockerd's pid if this script starts it
#                             (default /run/contxray-dockerd.pid; .ci/run uses it to stop dockerd)
#   CONTXRAY_DOCKERD_LOG      dockerd's log (default /var/log/contxray-dockerd.log)
set -euo pipefail

cd "$(dirname "$0")/.."
say() { printf '\n==> %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run as root (installs packages, starts dockerd, loads BPF)"
export DEBIAN_FRONTEND=noninteractive

# --- system packages ---------------------------------------------------------------------------
packages=(
  docker.io busybox-static                            # containers and the locally built test image
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make g++   # BPF object + addon
  chromium                                            # report tests in a real browser
  bpftrace linux-perf strace                          # peers for side-by-side benchmarks
  jq iproute2 python3-pip
  debootstrap                                         # the clean-host install test's Debian 12 rootfs
  prometheus                                          # real scrape and backfill tests (promtool)
  linux-libc-dev-arm64-cross linux-libc-dev-armhf-cross   # syscall tables of other arches (generator check)
)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  say "apt-get update (to install: ${missing[*]})"
  apt-get update
  for pkg in "${missing[@]}"; do
    apt-cache show "$pkg" >/dev/null 2>&1 || die "no Debian package named $pkg"
  done
  say "apt-get install ${missing[*]}"
  apt-get install -y "${missing[@]}"
else
  say "system packages: all ${#packages[@]} installed"
fi

# --- tracefs: libbpf attaches classic tracepoints through it (and bpftrace needs it) ---------------
if [[ -d /sys/kernel/tracing/events || -d /sys/kernel/debug/tracing/events ]]; then
  say "tracefs: mounted"
else
  say "tracefs: mounting at /sys/kernel/tracing"
  mount -t tracefs nodev /sys/kernel/tracing
fi

# --- dockerd -----------------------------------------------------------------------------------
pidfile=${CONTXRAY_DOCKERD_PIDFILE:-/run/contxray-dockerd.pid}
dockerd_log=${CONTXRAY_DOCKERD_LOG:-/var/log/contxray-dockerd.log}
if docker info >/dev/null 2>&1; then
  say "dockerd: already running"
else
  say "dockerd: starting in the background (log: $dockerd_log)"
  mkdir -p "$(dirname "$dockerd_log")"
  nohup dockerd >>"$dockerd_log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -20 "$dockerd_log" >&2; die "dockerd exited"; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -20 "$dockerd_log" >&2; die "dockerd not ready after 30 s"; }
  say "dockerd: ready (pid $(cat "$pidfile"))"
fi

# --- node modules, build -----------------------------------------------------------------------
# npm ci wipes node_modules and recompiles zstd-napi (~40 s): only do it when the lockfile changed.
stamp=node_modules/.contxray-setup-stamp
if [[ -f package-lock.json ]]; then
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    say "node modules: up to date with package-lock.json"
  else
    say "npm ci"
    npm ci
    echo "$want" >"$stamp"
  fi
else
  say "npm install (no package-lock.json)"
  npm install
fi

say "npm run build"
npm run build

say "npm run build:native"
npm run build:native

# `contxray` on PATH (a symlink to this checkout's bin/contxray.js).
if [[ $(readlink -f "$(command -v contxray 2>/dev/null)" 2>/dev/null) != "$(readlink -f bin/contxray.js)" ]]; then
  say "npm link: contxray on PATH"
  npm link --silent --no-fund --no-audit >/dev/null
fi

# --- pyarrow: an Arrow reader independent of ours, for the capture-format test ------------------
# PyPI is not reachable; this machine kind's pip finds pyarrow in its local wheel store, and Debian 12
# has no python3-pyarrow. Missing pyarrow is reported, not fatal: only that one test needs it.
if python3 -c 'import pyarrow' 2>/dev/null; then
  say "pyarrow: $(python3 -c 'import pyarrow; print(pyarrow.__version__)') already importable"
elif python3 -m pip install --quiet pyarrow && python3 -c 'import pyarrow' 2>/dev/null; then
  say "pyarrow: installed with pip"
elif apt-cache show python3-pyarrow >/dev/null 2>&1 && apt-get install -y python3-pyarrow; then
  say "pyarrow: installed from Debian"
else
  printf '\nsetup: WARNING: pyarrow could not be installed (pip and apt failed); the independent-reader test will not pass\n' >&2
fi

# PyYAML: an independent YAML parser for the seccomp SPO output test (same python3 as pyarrow).
if python3 -c 'import yaml' 2>/dev/null; then
  say "PyYAML: already importable"
elif python3 -m pip install --quiet pyyaml && python3 -c 'import yaml' 2>/dev/null; then
  say "PyYAML: installed with pip"
else
  printf '\nsetup: WARNING: PyYAML could not be installed; the SPO YAML test will fail under CI\n' >&2
fi

# --- demo image (built locally: no registry is reachable) -----------------------------------------
say "demo image"
bash scripts/demo-image.sh

say "setup done"
