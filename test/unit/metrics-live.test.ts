/**
 * The live exporter (`record --metrics`) fed flushes directly, without BPF: the values a scrape
 * shows, the rendering cache per flush, both content types, and removal of exited containers.
 * The real recording scraped by a real Prometheus is test/system/metrics-live.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { ContainerInfo } from '../../src/containers/index.js';
import { LiveMetrics, serveMetrics } from '../../src/metrics/live.js';
import type { FlushReport } from '../../src/record/recorder.js';

const OM = true;
const TEXT = false;
const ID = 'c'.repeat(64);

/** One flush: container `web` (cgroup 7) made `n` reads (nr 0), `errors` of them failed. */
function flush(n: number, errors = 0, opts: { gone?: boolean; counters?: Record<string, bigint> } = {}): FlushReport {
  const info = { id: ID, name: 'web', image: 'nginx', runtime: 'docker', ips: [] } as unknown as ContainerInfo;
  const batch = {
    kind: 'syscall' as const,
    length: 1,
    columns: {
      cgroup_id: new BigUint64Array([7n]),
      syscall_nr: new Int32Array([0]),
      compat: new Uint8Array(1),
      count: new BigUint64Array([BigInt(n)]),
      errors: new BigUint64Array([BigInt(errors)]),
      denied: new BigUint64Array(1),
    },
  };
  return {
    batches: [batch],
    resources: new Map(),
    containers: new Map([[7n, info]]),
    counters: opts.counters ?? {},
    bytesWritten: 0,
    flushSeconds: 0.001,
    ringBuffer: { sizeBytes: 1 << 24, usedBytes: 128, peakUsedBytes: 4096 },
    gone: new Set(opts.gone ? [7n] : []),
    final: false,
  };
}

const live = () => new LiveMetrics({ host: 'h', arch: 'x86_64', maxContainers: 10 });
const text = async (m: LiveMetrics, openMetrics: boolean) => String((await m.scrape(openMetrics)).body);
const readLine = (body: string, name: string) => body.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('syscall="read"'));

describe('live exporter', () => {
  test('a scrape shows every flush so far: counters add up, later scrapes see later flushes', async () => {
    const m = live();
    m.update(flush(5, 1));
    assert.match(readLine(await text(m, TEXT), 'contxray_syscalls_total') ?? '', / 5$/);
    m.update(flush(3));
    await m.idle(); // the rendering of that flush, started by update() since this format was scraped
    const body = await text(m, TEXT);
    assert.match(readLine(body, 'contxray_syscalls_total') ?? '', / 8$/);
    assert.match(readLine(body, 'contxray_syscall_errors_total') ?? '', / 1$/);
    assert.match(readLine(body, 'contxray_syscalls_total') ?? '', /container_id="c{64}"/);
    assert.match(readLine(body, 'contxray_syscalls_total') ?? '', /container="web"/);
    // OpenMetrics of the same flush: counters end in _total, family declared without it.
    const om = await text(m, OM);
    assert.match(readLine(om, 'contxray_syscalls_total') ?? '', / 8$/);
    assert.ok(om.includes('# TYPE contxray_syscalls counter\n'));
    assert.ok(om.endsWith('# EOF\n'));
  });

  test('the text format keeps `_total` after an OpenMetrics scrape (prom-client strips it from the metric)', async () => {
    const m = live();
    m.update(flush(2));
    await text(m, OM);
    m.update(flush(1));
    const body = await text(m, TEXT);
    assert.ok(readLine(body, 'contxray_syscalls_total'), 'contxray_syscalls_total in the text format');
    assert.ok(body.includes('# TYPE contxray_syscalls_total counter\n'));
    assert.ok(!body.includes('# EOF'));
  });

  test('text and OpenMetrics scrapes at the same moment each get their own format', async () => {
    const m = live();
    m.update(flush(4));
    const [om, plain] = await Promise.all([text(m, OM), text(m, TEXT)]);
    assert.ok(om.endsWith('# EOF\n'));
    assert.ok(om.includes('# TYPE contxray_syscalls counter\n'));
    assert.match(readLine(om, 'contxray_syscalls_total') ?? '', / 4$/);
    assert.ok(!plain.includes('# EOF'));
    assert.match(readLine(plain, 'contxray_syscalls_total') ?? '', / 4$/);
  });

  test('a container gone before a scrape is in that scrape, and in none after it', async () => {
    const m = live();
    m.update(flush(1));
    m.update(flush(1, 0, { gone: true }));
    assert.match(readLine(await text(m, TEXT), 'contxray_syscalls_total') ?? '', / 2$/);
    await m.idle(); // the rendering without it, started by its removal
    assert.equal(readLine(await text(m, TEXT), 'contxray_syscalls_total'), undefined);
    assert.ok(!(await text(m, OM)).includes('container="web"'));
  });

  test('over HTTP: content type by Accept header; anything but GET /metrics is 404', async () => {
    const m = live();
    m.update(flush(6, 0, { counters: { 'events.exec': 3n } }));
    const server = await serveMetrics(m, { host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const om = await fetch(`${url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
      assert.match(om.headers.get('content-type') ?? '', /^application\/openmetrics-text/);
      assert.match(readLine(await om.text(), 'contxray_syscalls_total') ?? '', / 6$/);
      const plain = await fetch(`${url}/metrics`);
      assert.match(plain.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.ok((await plain.text()).includes('contxray_recorder_events_total{host="h",kind="exec"} 3\n'));
      assert.equal((await fetch(`${url}/other`)).status, 404);
    } finally {
      server.close();
    }
  });
});
