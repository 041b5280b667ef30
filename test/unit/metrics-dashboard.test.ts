/**
 * Lint of the Grafana dashboard and provisioning files `contxray grafana` writes: the SDK validates
 * nothing (it accepts negative sizes), so the rules Grafana cares about are checked here.
 * (Every panel's PromQL returning data is checked against a real Prometheus in
 * test/system/metrics-prometheus.test.ts.)
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildDashboard } from '../../src/metrics/dashboard.js';
import { FAMILIES } from '../../src/metrics/families.js';
import { cli, tempDir } from '../helpers/captures.js';

type Panel = { id?: number; title?: string; datasource?: { uid?: string; type?: string }; gridPos?: { x: number; y: number; w: number; h: number }; targets?: { expr?: string; refId?: string; datasource?: { uid?: string } }[] };
const dash = buildDashboard() as unknown as {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string; datasource?: { uid?: string } }[] };
  __inputs?: unknown;
};

test('panel ids unique, grid inside 24 columns, no negative or zero sizes, no overlaps', () => {
  const ids = dash.panels.map((p) => p.id);
  assert.ok(ids.every((id) => typeof id === 'number' && id > 0));
  assert.equal(new Set(ids).size, ids.length);
  const boxes = dash.panels.map((p) => p.gridPos!);
  for (const g of boxes) {
    assert.ok(g.x >= 0 && g.y >= 0 && g.w > 0 && g.h > 0 && g.x + g.w <= 24, JSON.stringify(g));
  }
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i]!, boxes[j]!];
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.ok(!overlap, `${dash.panels[i]!.title} overlaps ${dash.panels[j]!.title}`);
    }
});

test('every panel and target uses the datasource variable; no fixed uid, no ${DS_…} inputs', () => {
  const json = JSON.stringify(dash);
  assert.doesNotMatch(json, /\$\{DS_/);
  assert.equal(dash.__inputs, undefined);
  assert.ok(dash.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
  for (const p of dash.panels) {
    assert.equal(p.datasource?.uid, '${datasource}', p.title);
    assert.ok((p.targets ?? []).length > 0, `${p.title} has no query`);
    const refIds = p.targets!.map((t) => t.refId);
    assert.equal(new Set(refIds).size, refIds.length, `${p.title}: duplicate refId`);
    for (const t of p.targets!) {
      assert.equal(t.datasource?.uid, '${datasource}', p.title);
      assert.match(t.expr ?? '', /contxray_/, p.title);
    }
  }
  for (const v of dash.templating.list.filter((x) => x.type === 'query')) assert.equal(v.datasource?.uid, '${datasource}', v.name);
});

test('every variable is used; host and container narrow every container panel', () => {
  const exprs = dash.panels.flatMap((p) => p.targets!.map((t) => t.expr!));
  const everything = [...exprs, ...dash.templating.list.map((v) => v.query ?? '')].join('\n');
  for (const v of dash.templating.list) {
    if (v.name === 'datasource') continue; // used as the uid of every panel, checked above
    assert.ok(everything.includes(`$${v.name}`), `variable ${v.name} unused`);
  }
  for (const e of exprs) {
    assert.match(e, /host=~"\$host"/, e);
    if (!/recorder_/.test(e)) assert.match(e, /container=~"\$container"/, e);
  }
  assert.deepEqual(dash.templating.list.map((v) => v.name), ['datasource', 'host', 'container']);
});

test('queries name only declared families', () => {
  const names = new Set(FAMILIES.map((f) => f.name));
  for (const p of dash.panels)
    for (const t of p.targets!)
      for (const m of t.expr!.matchAll(/contxray_[a-z_]+/g)) assert.ok(names.has(m[0]), `${p.title}: ${m[0]}`);
});

test('schemaVersion is one Grafana reads (the SDK emits 42)', () => {
  assert.ok(Number.isInteger(dash.schemaVersion) && dash.schemaVersion >= 36 && dash.schemaVersion <= 42, String(dash.schemaVersion));
  assert.equal(dash.uid, 'contxray-containers');
});

const tmp = tempDir('contxray-grafana-');
after(() => tmp.cleanup());

test('contxray grafana writes the dashboard and provisioning; timeInterval = --step; refuses to overwrite', () => {
  const dir = join(tmp.dir, 'g');
  const r = cli(['grafana', '-o', dir, '--step', '30s', '--prometheus-url', 'http://127.0.0.1:9095']);
  assert.equal(r.status, 0, r.stderr);
  const written = JSON.parse(readFileSync(join(dir, 'dashboards/contxray.json'), 'utf8'));
  assert.deepEqual(written, JSON.parse(JSON.stringify(buildDashboard())));
  const ds = readFileSync(join(dir, 'provisioning/datasources/contxray.yaml'), 'utf8');
  assert.match(ds, /^\s+timeInterval: "30s"$/m);
  assert.match(ds, /^\s+url: "http:\/\/127\.0\.0\.1:9095"$/m);
  assert.match(ds, /^\s+type: "prometheus"$/m);
  const provider = readFileSync(join(dir, 'provisioning/dashboards/contxray.yaml'), 'utf8');
  assert.ok(provider.includes(`path: ${JSON.stringify(join(dir, 'dashboards'))}`), provider);
  assert.equal(statSync(join(dir, 'dashboards/contxray.json')).mode & 0o777, 0o644);
  const again = cli(['grafana', '-o', dir]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /exists \(.*\); --force replaces it/);
  assert.equal(cli(['grafana', '-o', dir, '--force']).status, 0);
  const bad = cli(['grafana', '-o', dir, '--force', '--prometheus-url', 'file:///etc/passwd']);
  assert.equal(bad.status, 2);
});
