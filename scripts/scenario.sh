#!/usr/bin/env bash
# The web + client scenario (after ContXRay's): a `web` container serving files, with a host
# directory bind-mounted, and a `client` container that fetches from web over IPv4 and IPv6, cats
# the bind-mounted file, runs a command with several arguments, and tries a mkdir that its seccomp
# profile denies. Used by the README demo and by test/system/record.test.ts, each under
# `contxray record -- bash scripts/scenario.sh WORKDIR`, so every container starts mid-recording.
#
# Environment: CONTXRAY_IMAGE (default contxray/busybox:demo), CONTXRAY_LABEL (default
# contxray.demo=1), CONTXRAY_ROUNDS (client fetch rounds, default 3).
set -euo pipefail
mkdir -p "${1:?usage: scenario.sh WORKDIR}"
work=$(cd "$1" && pwd) # docker -v needs an absolute path
image=${CONTXRAY_IMAGE:-contxray/busybox:demo}
label=${CONTXRAY_LABEL:-contxray.demo=1}
rounds=${CONTXRAY_ROUNDS:-3}
net=cx-scenario
subnet4=172.30.99.0/24
subnet6=fd00:c0:ff00::/64
web4=172.30.99.10
web6=fd00:c0:ff00::10

mkdir -p "$work/shared"
echo "hello from the host" >"$work/shared/hello.txt"
cat >"$work/deny-mkdir.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
JSON

docker rm -f cx-web cx-client >/dev/null 2>&1 || true
docker network inspect "$net" >/dev/null 2>&1 ||
  docker network create --label "$label" --subnet "$subnet4" --ipv6 --subnet "$subnet6" "$net" >/dev/null

docker run -d --name cx-web --label "$label" --network "$net" --ip "$web4" --ip6 "$web6" \
  -v "$work/shared:/www/shared:ro" "$image" httpd -f -p 80 -h /www >/dev/null
sleep 1

docker run --rm --name cx-client --label "$label" --network "$net" \
  -v "$work/shared:/shared:ro" --security-opt "seccomp=$work/deny-mkdir.json" \
  -e ROUNDS="$rounds" -e WEB4="$web4" -e WEB6="$web6" "$image" sh -c '
    for i in $(seq "$ROUNDS"); do
      timeout 10 wget -q -O - "http://$WEB4/shared/hello.txt"
      timeout 10 wget -q -O /dev/null "http://[$WEB6]/index.html"
    done
    cat /shared/hello.txt
    ls -l /shared /etc/hostname
    mkdir /tmp/forbidden 2>/dev/null || echo "mkdir denied, as the profile says"
  '
docker rm -f cx-web >/dev/null
