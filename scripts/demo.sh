#!/usr/bin/env bash
# The built-in demo, end to end on this machine (as root): set everything up, record two real demo
# containers talking to each other (scripts/scenario.sh: a web server with a host bind mount, a
# client fetching from it over IPv4 and IPv6, a mkdir its seccomp profile denies), then analyse the
# capture, render the HTML report, generate and check a seccomp profile for the web server, export a
# Parquet lake, Prometheus metrics (backfilled with promtool) and a Grafana dashboard, and look for
# anomalous windows with `contxray detect`. Also: `contxray doctor` before recording, live Prometheus
# metrics scraped while recording, the load cache, queries straight over the Parquet lake, and a
# baseline + port-scan pair recorded for `detect --baseline` and the report's anomaly section.
# Idempotent; output goes to ./demo-output (or $CONTXRAY_DEMO_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\n==> %s\n' "$*"; }

bash scripts/setup.sh
out=${CONTXRAY_DEMO_DIR:-demo-output}
mkdir -p "$out"
cx() { node bin/contxray.js "$@"; }   # the same as `contxray`, which setup.sh links onto PATH

say "doctor: can this host record? (one line per check)"
cx doctor

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
say "record: contxray record -o $out/demo.arrow --metrics 127.0.0.1:$port -- bash scripts/scenario.sh"
# a scrape of the live /metrics endpoint while the scenario runs
( sleep 4
  node -e "fetch('http://127.0.0.1:$port/metrics').then(r=>r.text()).then(t=>{const l=t.split('\n').filter(x=>x.startsWith('contxray_syscalls_total')).sort((a,b)=>+b.split(' ').pop()-+a.split(' ').pop());console.log('live scrape: '+l.length+' contxray_syscalls_total series; busiest:\n  '+l.slice(0,3).join('\n  '))})" || true
) &
scrape=$!
cx record -o "$out/demo.arrow" --force --metrics "127.0.0.1:$port" -- bash scripts/scenario.sh "$out/work"
wait "$scrape" || true

say "analyze: summary"
cx analyze "$out/demo.arrow"
say "analyze: container-to-container connections"
cx analyze "$out/demo.arrow" -q connection-matrix
say "analyze: what the client executed"
cx analyze "$out/demo.arrow" -q exec-timeline -c cx-client
say "analyze: files opened on host-shared filesystems"
cx analyze "$out/demo.arrow" -q host-file-access
say "analyze: syscalls seccomp denied at run time"
cx analyze "$out/demo.arrow" -q denied-syscalls
say "cache: the commands above reused one loaded database (~/.cache/contxray; --no-cache bypasses it)"
cx cache list

if cx report --help >/dev/null 2>&1; then
  say "report: $out/report.html"
  cx report "$out/demo.arrow" -o "$out/report.html" --force
fi
if cx seccomp --help >/dev/null 2>&1; then
  say "seccomp: a profile for cx-web ($out/cx-web.seccomp.json)"
  cx seccomp "$out/demo.arrow" --container cx-web -o "$out/cx-web.seccomp.json" --force
fi
say "seccomp --check: would the profile deny anything cx-web did? (exit 1 if so)"
cx seccomp "$out/demo.arrow" --container cx-web --check "$out/cx-web.seccomp.json" || true

say "export: a kind=/host=/date= Parquet lake ($out/lake) for Trino, Spark, ClickHouse"
cx export "$out/demo.arrow" --parquet "$out/lake" --force
say "analyze the lake in place (no load step): top syscalls"
cx analyze "$out/lake" -q top-syscalls --limit 3

say "metrics: OpenMetrics for Prometheus ($out/demo.om), backfilled with promtool into $out/prometheus"
cx metrics "$out/demo.arrow" -o "$out/demo.om" --step 5s --force
if command -v promtool >/dev/null; then
  rm -rf "$out/prometheus"
  promtool tsdb create-blocks-from openmetrics --max-block-duration=24h "$out/demo.om" "$out/prometheus" | tail -1
fi
say "grafana: dashboard and provisioning ($out/grafana)"
cx grafana -o "$out/grafana" --step 5s --force

say "detect: windows of each container that look unlike the rest of the capture (exit 1 when any do)"
cx detect "$out/demo.arrow" --all || true

say "detect --baseline: record 30 s of a normal web+client pair, then a run where the client port-scans the server"
CONTXRAY_IMAGE=contxray/busybox:demo CONTXRAY_LABEL=contxray.demo=1 \
  cx record -o "$out/baseline.arrow" --force -c cxd-web -c cxd-client -- bash scripts/detect-scenario.sh "$out/detect-base" 30
CONTXRAY_IMAGE=contxray/busybox:demo CONTXRAY_LABEL=contxray.demo=1 \
  cx record -o "$out/attack.arrow" --force -c cxd-web -c cxd-client -- bash scripts/detect-scenario.sh "$out/detect-attack" 20 portscan
cx detect "$out/attack.arrow" --baseline "$out/baseline.arrow" --window 5s || true
say "report --baseline: $out/anomaly-report.html (score timeline, flagged windows and their reasons)"
cx report "$out/attack.arrow" --baseline "$out/baseline.arrow" -o "$out/anomaly-report.html" --force

say "done: open $out/report.html and $out/anomaly-report.html in a browser; query more with: node bin/contxray.js analyze $out/demo.arrow --sql '…'"
