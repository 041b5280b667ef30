/**
 * The live exporter's rendering off the scrape path (src/metrics/render.ts, LiveMetrics.scrape):
 * byte for byte what prom-client's own registry.metrics() writes for the same state, never a
 * half-updated exposition, counters never backwards, nothing rendered when nobody scrapes, a
 * served body never overwritten, exited containers gone for good.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import type { ContainerInfo } from '../../src/containers/index.js';
import { LiveMetrics, acceptsGzip, serveMetrics } from '../../src/metrics/live.js';
import { ByteSink, render, snapshot } from '../../src/metrics/render.js';
import { StoredCounter, type StoredMetric } from '../../src/metrics/stored.js';
import type { FlushReport } from '../../src/record/recorder.js';

const OM = true;
const TEXT = false;

/** Hostile names too: quote, backslash, newline, non-ASCII (multi-byte UTF-8). */
const NAMES = ['web', 'q"uote', 'back\\slash', 'new\nline', 'café-☕', 'db'];

/** `nc` containers (cgroups 100…) × `ns` syscalls, each series +`by`; `gone`: cgroups seen gone. */
function flush(nc: number, ns: number, by: number, gone: bigint[] = []): FlushReport {
  const containers = new Map<bigint, ContainerInfo>();
  const rows = nc * ns;
  const cg = new BigUint64Array(rows);
  const nr = new Int32Array(rows);
  const count = new BigUint64Array(rows).fill(BigInt(by));
  for (let c = 0; c < nc; c++) {
    const id = BigInt(100 + c);
    containers.set(id, { id: c.toString(16).padStart(64, 'f'), name: `${NAMES[c % NAMES.length]}-${c}`, image: 'img', runtime: 'docker', ips: [] } as unknown as ContainerInfo);
    for (let k = 0; k < ns; k++) {
      cg[c * ns + k] = id;
      nr[c * ns + k] = k;
    }
  }
  return {
    batches: [{ kind: 'syscall', length: rows, columns: { cgroup_id: cg, syscall_nr: nr, compat: new Uint8Array(rows), count, errors: count, denied: new BigUint64Array(rows) } }],
    resources: new Map(),
    containers,
    counters: { 'events.syscall': BigInt(rows) },
    bytesWritten: 0,
    flushSeconds: 0.001,
    ringBuffer: { sizeBytes: 1 << 24, usedBytes: 0, peakUsedBytes: 0 },
    gone: new Set(gone),
    final: false,
  };
}

/** prom-client's own rendering of the registry (the reference), in one content type. */
async function direct(m: LiveMetrics, openMetrics: boolean): Promise<string> {
  m.registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
  const body = await m.registry.metrics();
  for (const metric of m.registry.getMetricsAsArray() as unknown[]) if (metric instanceof StoredCounter) metric.restoreName();
  return body;
}

const scrapeText = async (m: LiveMetrics, openMetrics: boolean) => String((await m.scrape(openMetrics)).body);

/** Every contxray_syscalls_total value in a body. */
const syscallValues = (body: string) => body.split('\n').filter((l) => l.startsWith('contxray_syscalls_total{')).map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));

describe('live exporter: rendering off the scrape path', () => {
  test('the exposition is byte for byte what registry.metrics() writes, in both formats, across slices', async () => {
    // 7 series per slice: every family splits across slices at odd places; ~300 KB outgrows the first buffer.
    const m = new LiveMetrics({ host: 'h', arch: 'x86_64', maxContainers: 100, sliceSeries: 7 });
    m.update(flush(20, 50, 3));
    for (const format of [TEXT, OM]) {
      const body = (await m.scrape(format)).body;
      assert.ok(body.length > 1 << 16, `body of ${body.length} bytes`);
      assert.equal(body.toString('utf8'), await direct(m, format));
    }
    assert.ok((await scrapeText(m, TEXT)).includes('container="new\\nline-3"'));
    assert.ok((await scrapeText(m, OM)).includes('container="café-☕-4"'));
  });

  test('render(): a change between slices does not reach a rendering already started (its snapshot)', async () => {
    const m = new LiveMetrics({ host: 'h', arch: 'x86_64', maxContainers: 100 });
    m.update(flush(3, 10, 1));
    const before = await direct(m, TEXT);
    const metrics = m.registry.getMetricsAsArray() as unknown as StoredMetric[];
    const sink = new ByteSink(Buffer.alloc(16));
    // Each pause is a flush landing between two slices: every value +1.
    const pause = async () => {
      for (const metric of metrics) for (const s of metric.samples) s.value += 1;
    };
    const stats = await render(snapshot(metrics), TEXT, sink, { sliceSeries: 4, pause });
    assert.ok(stats.slices > 10, `${stats.slices} slices`);
    assert.equal(sink.buffer.subarray(0, sink.length).toString('utf8'), before);
  });

  test('scrapes during background renderings: every body is one whole flush, counters never go back', async () => {
    const m = new LiveMetrics({ host: 'h', arch: 'x86_64', maxContainers: 100, sliceSeries: 5 });
    m.update(flush(4, 20, 1));
    await m.scrape(TEXT); // scraped: from now on every flush is rendered in the background
    let last = 0;
    for (let n = 2; n <= 30; n++) {
      m.update(flush(4, 20, 1)); // every series is now n
      // Scrapes at different moments of the background rendering (before it, between its slices).
      for (let k = 0; k < 3; k++) {
        const values = syscallValues(await scrapeText(m, TEXT));
        assert.equal(values.length, 80);
        assert.equal(new Set(values).size, 1, `one flush per body, got values ${[...new Set(values)].join(', ')}`);
        assert.ok(values[0]! >= last && values[0]! <= n, `counter ${values[0]} after ${last}, at flush ${n}`);
        last = values[0]!;
        await new Promise((r) => setImmediate(r));
      }
    }
    await m.idle();
    assert.deepEqual(new Set(syscallValues(await scrapeText(m, TEXT))), new Set([30]));
  });

  test('nothing is rendered while nobody scrapes; a format scraped within the window is rendered after each flush', async () => {
    let now = 0;
    const m = new LiveMetrics({ host: 'h', arch: 'x86_64', maxContainers: 100, prerenderWindowMs: 1000, now: () => now });
    for (let i = 0; i < 5; i++) m.update(flush(2, 5, 1));
    await m.idle();
    assert.equal(m.renderStats.renders, 0);
    await m.scrape(OM); // cold: renders now
    assert.equal(m.renderStats.renders, 1);
    m.update(flush(2, 5, 1));
    await m.idle();
    assert.equal(m.renderStats.renders, 2, 'rendered after the flush, OpenMetrics only');
    now = 1001; // no scrape for longer than the window
    m.update(flush(2, 5, 1));
    await m.idle();
    assert.equal(m.renderStats.renders, 2);
  });

  test('a body being sent is never overwritten by later renderings (its buffer is reused only once released)', async () => {
    const m = new LiveMetrics({ host: 'h', arch: 'x86_64', maxContainers: 100 });
    m.update(flush(5, 20, 1));
    const held = await m.scrape(TEXT);
    const copy = Buffer.from(held.body);
    for (let i = 0; i < 6; i++) {
      m.update(flush(5, 20, 1));
      await m.idle();
      const other = await m.scrape(TEXT);
      other.release(); // these buffers go back to be reused
    }
    assert.ok(copy.equals(held.body));
    assert.deepEqual(new Set(syscallValues(await scrapeText(m, TEXT))), new Set([7]));
  });

  test('an exited container goes after one scrape and stays gone, though the recorder keeps listing it', async () => {
    const m = new LiveMetrics({ host: 'h', arch: 'x86_64', maxContainers: 100 });
    m.update(flush(2, 3, 1));
    m.update(flush(2, 3, 1, [101n]));
    const last = await scrapeText(m, TEXT);
    assert.ok(last.includes('container="q\\"uote-1"'), 'its last counts are scraped');
    for (let i = 0; i < 3; i++) {
      m.update(flush(2, 3, 1, [101n])); // the recorder's report still names it (and its rows, if any)
      await m.idle();
      const body = await scrapeText(m, TEXT);
      assert.ok(!body.includes('q\\"uote-1'), `flush ${i}: the exited container is back`);
      assert.ok(body.includes('container="web-0"'));
    }
  });
});

describe('live exporter over HTTP: gzip', () => {
  const get = (url: string, encoding: string) =>
    new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      httpGet(url, { headers: { 'accept-encoding': encoding } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
      }).on('error', reject);
    });

  test('a scraper accepting gzip gets the rendering gzipped once it has been compressed, the same text', async () => {
    const m = new LiveMetrics({ host: 'h', arch: 'x86_64', maxContainers: 100 });
    m.update(flush(5, 20, 1));
    const server = await serveMetrics(m, { host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
      const first = await get(url, 'gzip');
      assert.equal(first.headers['content-encoding'], undefined, 'the first rendering was not compressed (no gzip scraper yet)');
      m.update(flush(5, 20, 1));
      await m.idle();
      const zipped = await get(url, 'gzip, deflate');
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.equal(zipped.headers.vary, 'accept-encoding');
      const plain = await get(url, 'identity');
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.ok(plain.body.length > 10 * zipped.body.length, `${plain.body.length} bytes vs ${zipped.body.length} gzipped`);
      assert.equal(gunzipSync(zipped.body).toString('utf8'), plain.body.toString('utf8'));
      assert.deepEqual(new Set(syscallValues(plain.body.toString('utf8'))), new Set([2]));
    } finally {
      server.close();
    }
  });

  test('Accept-Encoding: gzip or * with a non-zero quality', () => {
    assert.equal(acceptsGzip('gzip'), true);
    assert.equal(acceptsGzip('deflate, GZIP;q=0.5'), true);
    assert.equal(acceptsGzip('*'), true);
    assert.equal(acceptsGzip('gzip;q=0'), false);
    assert.equal(acceptsGzip('identity'), false);
    assert.equal(acceptsGzip(undefined), false);
    assert.equal(acceptsGzip('x-gzip-not'), false);
  });
});
