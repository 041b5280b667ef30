/**
 * The live exporter for real: a real Prometheus (Debian's, started here on 127.0.0.1, scrape
 * interval 1 s) scrapes `contxray record --metrics` while real containers run (a web server and a
 * client that fetches from it, execs and exits). The recording goes on a few seconds after the
 * client has gone, so its last counts are scraped before its series are removed; then PromQL's
 * answers for the client's syscalls, execs and connections must equal the capture's (DuckDB).
 * Also: a busy port and a bad address fail before anything is recorded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Analysis } from '../../src/analyze/db.js';
import { addonBuilt } from '../../src/record/native.js';
import { BIN, cli, tempDir } from '../helpers/captures.js';
import { IS_ROOT, requireOrSkip } from '../helpers/env.js';
import { dockerAvailable, docker, ensureTestImage, removeContainers, TEST_IMAGE, TEST_LABEL } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';

const PROMETHEUS = '/usr/bin/prometheus';
const NET = 'cxl-live-net';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('record --metrics: a real Prometheus scrapes the live exporter', { timeout: 300_000 }, () => {
  const tmp = tempDir('contxray-live-');
  const capture = join(tmp.dir, 'live.arrow');
  let why = '';
  let ready = false;
  let prom: ChildProcess | null = null;
  let base = '';
  let analysis: Analysis | null = null;
  let recordStderr = '';

  before(async () => {
    if (!IS_ROOT) return void (why = 'needs root (eBPF)');
    if (!addonBuilt()) return void (why = 'native addon not built (npm run build:native)');
    if (!(await dockerAvailable())) return void (why = 'needs a running Docker');
    if (!existsSync(PROMETHEUS)) return void (why = 'needs /usr/bin/prometheus (scripts/setup.sh installs it)');
    await ensureTestImage();
    await removeContainers('cxl-web', 'cxl-client');
    await docker('network', 'rm', NET).catch(() => undefined);
    await docker('network', 'create', '--label', TEST_LABEL, NET);
    const metricsPort = await freePort();
    const promPort = await freePort();
    base = `http://127.0.0.1:${promPort}`;
    const config = join(tmp.dir, 'prometheus.yml');
    writeFileSync(
      config,
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: contxray\n    static_configs:\n      - targets: ['127.0.0.1:${metricsPort}']\n`,
    );
    prom = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${join(tmp.dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], { stdio: ['ignore', 'ignore', 'ignore'] });
    let up = false;
    for (let i = 0; i < 120 && !up; i++) {
      up = await fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
      if (!up) await sleep(500);
    }
    assert.ok(up, 'prometheus did not become ready');
    // web serves; the client fetches from it 5 times (execs, connections), then exits; the
    // recording goes on 5 s after that, so Prometheus scrapes the client's final counts.
    const script = [
      `docker run -d --name cxl-web --label ${TEST_LABEL} --network ${NET} ${TEST_IMAGE} httpd -f -p 80 -h /etc >/dev/null`,
      'sleep 2',
      `docker run --rm --name cxl-client --label ${TEST_LABEL} --network ${NET} ${TEST_IMAGE} sh -c 'for i in 1 2 3 4 5; do wget -q -O /dev/null http://cxl-web/hostname; sleep 0.3; done'`,
      'sleep 5',
      'docker rm -f cxl-web >/dev/null',
    ].join(' && ');
    const rec = spawn(process.execPath, [BIN, 'record', '-o', capture, '-c', 'cxl-web', '-c', 'cxl-client', '--metrics', `127.0.0.1:${metricsPort}`, '--', 'bash', '-c', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    rec.stderr!.on('data', (d: Buffer) => (recordStderr += d.toString()));
    const code = await new Promise<number | null>((res) => rec.on('exit', res));
    assert.equal(code, 0, recordStderr);
    analysis = await Analysis.open([capture]);
    ready = true;
  });

  after(async () => {
    if (prom?.pid) prom.kill('SIGTERM');
    analysis?.close();
    await removeContainers('cxl-web', 'cxl-client').catch(() => undefined);
    await docker('network', 'rm', NET).catch(() => undefined);
    tmp.cleanup();
  });

  /** The last value Prometheus scraped of each series (the client's series are gone by now: stale). */
  async function lastValues(selector: string, by: string): Promise<Map<string, number>> {
    const query = `max by (${by}) (max_over_time(${selector}[10m]))`;
    const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query })}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    assert.equal(body.status, 'success');
    return new Map(body.data.result.map((s) => [s.metric[by] ?? '', Number(s.value[1])]));
  }

  const sorted = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));

  test("the client's syscalls by name equal the capture's", async (t) => {
    if (!requireOrSkip(t, ready, why)) return;
    const prom = await lastValues('contxray_syscalls_total{container="cxl-client"}', 'syscall');
    const rows = await analysis!.all("SELECT coalesce(name, '#' || nr) AS syscall, sum(count)::BIGINT AS n FROM syscalls WHERE container = 'cxl-client' GROUP BY 1 HAVING n > 0");
    assert.ok(rows.length > 10, 'the client made syscalls');
    assert.deepEqual(sorted(prom), sorted(new Map(rows.map((r) => [String(r.syscall), Number(r.n)]))));
  });

  test("the client's execs and outbound connections equal the capture's", async (t) => {
    if (!requireOrSkip(t, ready, why)) return;
    const execs = await lastValues('contxray_execs_total{container="cxl-client"}', 'container');
    const [e] = await analysis!.all("SELECT count(*)::BIGINT AS n FROM execs WHERE container = 'cxl-client'");
    assert.ok(Number(e!.n) >= 6, 'sh and 5 wget');
    assert.equal(execs.get('cxl-client'), Number(e!.n));
    const conns = await lastValues('contxray_tcp_connections_total{container="cxl-client", direction="outbound"}', 'peer_container');
    const [c] = await analysis!.all("SELECT count(*)::BIGINT AS n FROM net_events WHERE container = 'cxl-client' AND kind = 'connect' AND (ret = 0 OR ret = -115)");
    assert.ok(Number(c!.n) >= 5);
    assert.equal([...conns.values()].reduce((a, b) => a + b, 0), Number(c!.n));
    assert.ok((conns.get('cxl-web') ?? 0) >= 5, `peer named by container: ${JSON.stringify(sorted(conns))}`);
  });

  test('the exited client was removed from the endpoint after its last scrape; resource and self-metrics were served', async (t) => {
    if (!requireOrSkip(t, ready, why)) return;
    const res = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query: 'contxray_syscalls_total{container="cxl-client"}' })}`);
    const body = (await res.json()) as { data: { result: unknown[] } };
    assert.equal(body.data.result.length, 0, 'no fresh client series at the end');
    const cpu = await lastValues('contxray_cpu_seconds_total{container="cxl-web"}', 'mode');
    assert.ok((cpu.get('user') ?? 0) + (cpu.get('system') ?? 0) > 0, 'cpu samples of web');
    const events = await lastValues('contxray_recorder_events_total', 'kind');
    assert.ok((events.get('exec') ?? 0) > 0);
    // Ring-buffer use, read from the BPF map's positions by the addon: the default 16 MiB buffer;
    // the records of the scenario were seen pending (8-byte aligned), never more than its size.
    const ring = async (name: string) => [...(await lastValues(`contxray_ringbuf_${name}_bytes`, 'host')).values()][0] ?? -1;
    assert.equal(await ring('size'), 16 << 20);
    const peak = await ring('peak_used');
    assert.ok(peak > 0 && peak <= 16 << 20 && peak % 8 === 0, `peak ${peak}`);
    assert.ok((await ring('used')) >= 0);
  });
});

describe('record --metrics: bad input', () => {
  test('a port in use: one line, exit 4, no capture written', async () => {
    const tmp = tempDir('contxray-live-bad-');
    const busy: Server = createServer();
    await new Promise<void>((res) => busy.listen(0, '127.0.0.1', res));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = cli(['record', '-o', join(tmp.dir, 'x.arrow'), '-d', '1s', '--metrics', `127.0.0.1:${port}`]);
      assert.equal(r.status, 4, r.stderr);
      assert.match(r.stderr, /^contxray: --metrics 127\.0\.0\.1:\d+: cannot listen \(EADDRINUSE\)\n$/);
      assert.ok(!existsSync(join(tmp.dir, 'x.arrow')), 'recording not started');
    } finally {
      busy.close();
      tmp.cleanup();
    }
  });

  test('a bad address: one line, exit 2', () => {
    const tmp = tempDir('contxray-live-bad-');
    try {
      for (const bad of ['x y', '70000', 'host:port']) {
        const r = cli(['record', '-o', join(tmp.dir, 'x.arrow'), '-d', '1s', '--metrics', bad]);
        assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.ok(!existsSync(join(tmp.dir, 'x.arrow')));
      }
    } finally {
      tmp.cleanup();
    }
  });
});

