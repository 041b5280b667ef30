/**
 * The offline metrics path for real: captures → `contxray metrics` → `promtool tsdb
 * create-blocks-from openmetrics` → a real Prometheus on 127.0.0.1 serving those blocks. PromQL
 * answers must equal what `contxray analyze` (DuckDB) says about the same captures, and every
 * panel query of the dashboard `contxray grafana` writes must return data. Needs Debian's
 * prometheus/promtool (scripts/setup.sh installs them); skips outside CI when missing, fails in CI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from '../helpers/captures.js';
import { requireOrSkip } from '../helpers/env.js';
import { HOSTILE_NAME, writeMetricsScenario } from '../helpers/metrics-scenario.js';
import { boundLabel } from '../../src/metrics/labels.js';
import { Analysis } from '../../src/analyze/db.js';
import { freePort } from '../helpers/net.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const STEP = 15;

type Sample = { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] };

describe('metrics: captures → OpenMetrics → promtool → Prometheus', { timeout: 240_000 }, () => {
  const tmp = tempDir('contxray-metrics-');
  let captures: string[] = [];
  let prom: ChildProcess | null = null;
  let base = '';
  let first = 0;
  let last = 0;
  let ready = false;
  let analysis: Analysis | null = null;

  before(async () => {
    if (!existsSync(PROMETHEUS) || !existsSync(PROMTOOL)) return;
    captures = await writeMetricsScenario(tmp.dir);
    // The DuckDB side: the same loader and views `contxray analyze` uses, opened once.
    analysis = await Analysis.open(captures);
    const om = join(tmp.dir, 'captures.om');
    const r = cli(['metrics', ...captures, '-o', om, '--step', `${STEP}s`]);
    assert.equal(r.status, 0, r.stderr);
    const span = /\((\d+(?:\.\d+)?) … (\d+(?:\.\d+)?)\)/.exec(r.stderr);
    assert.ok(span, r.stderr);
    first = Number(span[1]);
    last = Number(span[2]);
    const data = join(tmp.dir, 'data');
    const b = spawnSync(PROMTOOL, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=24h', om, data], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(b.status, 0, `promtool: ${b.stderr}${b.stdout}`);
    const config = join(tmp.dir, 'prometheus.yml');
    writeFileSync(config, 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    prom = spawn(
      PROMETHEUS,
      [`--config.file=${config}`, `--storage.tsdb.path=${data}`, '--storage.tsdb.retention.time=100y', `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prom.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    for (let i = 0; i < 120 && !ready; i++) {
      try {
        ready = (await fetch(`${base}/-/ready`)).ok;
      } catch {
        /* not listening yet */
      }
      if (!ready) await new Promise((res) => setTimeout(res, 500));
    }
    assert.ok(ready, `prometheus did not become ready: ${log}`);
  });

  after(() => {
    if (prom?.pid) prom.kill('SIGTERM');
    analysis?.close();
    tmp.cleanup();
  });

  async function api(path: string, params: Record<string, string>): Promise<Sample[]> {
    const res = await fetch(`${base}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: Sample[] } };
    assert.equal(body.status, 'success', `${params.query}: ${body.error}`);
    return body.data.result;
  }

  /** An instant query at the end of the data: label set (of `by`) → value. */
  async function instant(query: string, by: string[]): Promise<Map<string, number>> {
    const result = await api('/api/v1/query', { query, time: String(last) });
    return new Map(result.map((s) => [by.map((l) => s.metric[l] ?? '').join('|'), Number(s.value![1])]));
  }

  /** `contxray analyze --sql` rows as label-key → number, names bounded like the exporter's labels. */
  async function duck(sql: string, by: string[]): Promise<Map<string, number>> {
    const rows = await analysis!.all(sql);
    return new Map(rows.map((row) => [by.map((l) => boundLabel(String(row[l] ?? 'host'))).join('|'), Number(row.n)]));
  }

  const sorted = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));

  test('the tools are installed', (t) => {
    requireOrSkip(t, existsSync(PROMETHEUS) && existsSync(PROMTOOL), `${PROMETHEUS} and ${PROMTOOL} (apt-get install prometheus)`);
    assert.ok(ready);
  });

  test('syscalls per host and container: PromQL equals DuckDB', async (t) => {
    if (!requireOrSkip(t, ready, 'prometheus')) return;
    const prom = await instant('sum by (host, container) (last_over_time(contxray_syscalls_total[1d]))', ['host', 'container']);
    const db = await duck('SELECT host, container, sum(count) AS n FROM syscalls GROUP BY ALL HAVING n > 0', ['host', 'container']);
    assert.deepEqual(sorted(prom), sorted(db));
    assert.ok(prom.has(`beta|${boundLabel(HOSTILE_NAME)}`), 'the hostile container name survives as one bounded label');
    assert.ok(prom.has('alpha|host'), 'processes outside any container count as "host"');
  });

  test('syscall errors and seccomp denials: PromQL equals DuckDB', async (t) => {
    if (!requireOrSkip(t, ready, 'prometheus')) return;
    for (const [metric, column] of [['contxray_syscall_errors_total', 'errors'], ['contxray_seccomp_denied_total', 'denied']]) {
      const promBySyscall = await instant(`sum by (host, container, syscall) (last_over_time(${metric}[1d]))`, ['host', 'container', 'syscall']);
      assert.ok(promBySyscall.size > 0, metric);
      const db = await duck(`SELECT host, container, name, sum(${column}) AS n FROM syscalls GROUP BY ALL HAVING n > 0`, ['host', 'container', 'name']);
      assert.deepEqual(sorted(promBySyscall), sorted(db), metric);
    }
  });

  test('execs, forks and exits per container: PromQL equals DuckDB', async (t) => {
    if (!requireOrSkip(t, ready, 'prometheus')) return;
    for (const [metric, view] of [['contxray_execs_total', 'execs'], ['contxray_forks_total', 'ev_fork JOIN capture_files USING (capture_id) LEFT JOIN cgroup_containers USING (capture_id, cgroup_id)'], ['contxray_exits_total', 'ev_exit JOIN capture_files USING (capture_id) LEFT JOIN cgroup_containers USING (capture_id, cgroup_id)']]) {
      const prom = await instant(`sum by (host, container) (last_over_time(${metric}[1d]))`, ['host', 'container']);
      const db = await duck(`SELECT host, container, count(*) AS n FROM ${view} GROUP BY ALL`, ['host', 'container']);
      assert.ok(prom.size > 0, metric);
      assert.deepEqual(sorted(prom), sorted(db), metric);
    }
  });

  test('TCP connections: outbound per container and matched peers equal DuckDB; outside peers are "external", host processes "host"', async (t) => {
    if (!requireOrSkip(t, ready, 'prometheus')) return;
    const out = await instant('sum by (host, container) (last_over_time(contxray_tcp_connections_total{direction="outbound"}[1d]))', ['host', 'container']);
    const dbOut = await duck("SELECT host, client_container AS container, count(*) AS n FROM connections WHERE seen <> 'server' AND ret IN (0, -115) GROUP BY ALL", ['host', 'container']);
    assert.deepEqual(sorted(out), sorted(dbOut));
    const inbound = await instant('sum by (host, container) (last_over_time(contxray_tcp_connections_total{direction="inbound"}[1d]))', ['host', 'container']);
    const dbIn = await duck("SELECT host, server_container AS container, count(*) AS n FROM connections WHERE seen <> 'client' GROUP BY ALL", ['host', 'container']);
    assert.deepEqual(sorted(inbound), sorted(dbIn));
    const peers = await instant('sum by (host, container, peer_container) (last_over_time(contxray_tcp_connections_total{direction="outbound"}[1d]))', ['host', 'container', 'peer_container']);
    const dbPairs = await duck("SELECT host, client_container AS container, server_container AS peer, count(*) AS n FROM connections WHERE seen = 'both' GROUP BY ALL", ['host', 'container', 'peer']);
    for (const [key, n] of dbPairs) assert.equal(peers.get(key), n, key);
    // client → 93.184.216.34 (nobody recorded) and client → db (db's accept not recorded: found by IP).
    const external = await duck("SELECT host, client_container AS container, count(*) AS n FROM connections WHERE seen = 'client' AND server_addr = '93.184.216.34' GROUP BY ALL", ['host', 'container']);
    for (const [key, n] of external) assert.equal(peers.get(`${key}|external`), n, key);
    const byIp = await duck("SELECT host, client_container AS container, count(*) AS n FROM connections WHERE seen = 'client' AND server_addr = '172.18.0.4' GROUP BY ALL", ['host', 'container']);
    assert.ok(byIp.size > 0);
    for (const [key, n] of byIp) assert.equal(peers.get(`${key}|db`) ?? 0, n, key);
    assert.ok([...peers.keys()].some((k) => k.startsWith('alpha|host|web')), 'a host process connecting to web');
  });

  test('recorder counters continue across two captures of one host', async (t) => {
    if (!requireOrSkip(t, ready, 'prometheus')) return;
    const prom = await instant('sum by (host, reason) (last_over_time(contxray_recorder_drops_total[1d]))', ['host', 'reason']);
    const db = await duck("SELECT host, 'ringbuf' AS reason, sum(value) AS n FROM stats WHERE name = 'drops.ringbuf' GROUP BY ALL", ['host', 'reason']);
    assert.deepEqual(sorted(prom), sorted(db));
    assert.ok(prom.get('alpha|ringbuf')! > 0);
  });

  test('every dashboard panel query returns data, and the variables resolve', async (t) => {
    if (!requireOrSkip(t, ready, 'prometheus')) return;
    const dir = join(tmp.dir, 'grafana');
    const r = cli(['grafana', '-o', dir, '--step', `${STEP}s`]);
    assert.equal(r.status, 0, r.stderr);
    const dash = JSON.parse(readFileSync(join(dir, 'dashboards/contxray.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
      templating: { list: { name: string; type: string; query?: string }[] };
    };
    const range = `${Math.ceil(last - first) + STEP}s`;
    const substitute = (expr: string) =>
      expr
        .replaceAll('$host', '.*')
        .replaceAll('$container', '.*')
        .replaceAll('$__rate_interval', `${4 * STEP}s`)
        .replaceAll('$__interval', `${STEP}s`)
        .replaceAll('$__range', range);
    let queries = 0;
    for (const panel of dash.panels) {
      for (const target of panel.targets) {
        const query = substitute(target.expr);
        assert.doesNotMatch(query, /\$/, `${panel.title}: unsubstituted variable in ${query}`);
        const result = await api('/api/v1/query_range', { query, start: String(first), end: String(last), step: String(STEP) });
        assert.ok(result.length > 0 && result.some((s) => (s.values ?? []).length > 0), `${panel.title}: no data for ${query}`);
        queries++;
      }
    }
    assert.ok(queries >= dash.panels.length);
    for (const v of dash.templating.list.filter((x) => x.type === 'query')) {
      const m = /^label_values\((.+), (\w+)\)$/.exec(v.query!);
      assert.ok(m, v.query);
      const res = await fetch(`${base}/api/v1/label/${m[2]}/values?${new URLSearchParams({ 'match[]': substitute(m[1]!), start: String(first), end: String(last) })}`);
      const values = ((await res.json()) as { data: string[] }).data;
      assert.ok(values.length >= 2, `variable ${v.name}: ${values.join(', ')}`);
    }
  });
});
