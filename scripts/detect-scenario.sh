#!/usr/bin/env bash
# The detect workload (test/system/detect.test.ts and the demo), run under `contxray record -- …`:
# cxd-web serves a file (busybox httpd), cxd-client fetches it twice a second for SECONDS.
# ATTACK=portscan: halfway through, the client also tries 50 ports of cxd-web (a port scan).
# Usage: detect-scenario.sh WORKDIR SECONDS [ATTACK]. Env: CONTXRAY_IMAGE, CONTXRAY_LABEL,
# CXD_PREFIX (container/network names, default cxd) and CXD_SUBNET (default 10.231.77.0/24), so
# concurrent runs on one host do not clash.
set -euo pipefail
mkdir -p "${1:?usage: detect-scenario.sh WORKDIR SECONDS [ATTACK]}"
work=$(cd "$1" && pwd)
seconds=${2:?seconds}
attack=${3:-none}
image=${CONTXRAY_IMAGE:-contxray/busybox:test}
label=${CONTXRAY_LABEL:-contxray.test=1}
p=${CXD_PREFIX:-cxd}
subnet=${CXD_SUBNET:-10.231.77.0/24}
net=$p-net
web=$p-web
client=$p-client

mkdir -p "$work/www"
echo "hello" >"$work/www/index.html"
docker rm -f "$web" "$client" >/dev/null 2>&1 || true
# a fixed subnet: the server keeps its address across runs (else every run shows a "new peer")
docker network inspect "$net" >/dev/null 2>&1 || docker network create --label "$label" --subnet "$subnet" "$net" >/dev/null
docker run -d --name "$web" --label "$label" --network "$net" -v "$work/www:/www:ro" "$image" httpd -f -p 80 -h /www >/dev/null
sleep 1
docker run --rm --name "$client" --label "$label" --network "$net" -e WEB="$web" -e SECONDS_="$seconds" -e ATTACK="$attack" "$image" sh -c '
  end=$(( $(date +%s) + SECONDS_ ))
  half=$(( $(date +%s) + SECONDS_ / 2 ))
  done_attack=0
  while [ "$(date +%s)" -lt "$end" ]; do
    wget -q -O /dev/null http://$WEB/index.html || true
    if [ "$ATTACK" = portscan ] && [ "$done_attack" = 0 ] && [ "$(date +%s)" -ge "$half" ]; then
      # nc: one bare connect per port (busybox 1.35 wget -T segfaults; never use -T, see docs/containers.md)
      for p in $(seq 8000 8049); do nc -w 1 "$WEB" "$p" </dev/null 2>/dev/null || true; done
      done_attack=1
    fi
    sleep 0.5
  done
' >/dev/null
docker rm -f "$web" >/dev/null
