/**
 * The summary's Containers table (queries/summary/containers.sql) reads the view
 * container_event_counts, which counts each kind per capture and cgroup in the event tables and
 * joins only those rows to hosts and containers (issue 12 item 2: summing the event views was most
 * of a small capture's summary). It must answer exactly what summing the event views answers
 * (fixtures/sql/summary-containers-through-views.sql, the formulation it replaced): every
 * row and column, in order, with and without a container selection, over several hosts, containers,
 * host processes outside any container, several captures of one host, and every kind it counts.
 * (Over a Parquet lake the view sums the views themselves: test/unit/lake.test.ts compares every
 * named query over the lake with the loaded captures.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analysis } from '../../src/analyze/db.js';
import { readQuery } from '../../src/analyze/queries.js';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { writeCaptureFromRows } from '../support/fixture.js';
import { CLIENT_ID, scenarioRows, tempDir, WEB_ID, writeScenario } from '../helpers/captures.js';

const THROUGH_VIEWS = readFileSync(new URL('../../../fixtures/sql/summary-containers-through-views.sql', import.meta.url), 'utf8');
const work = tempDir('contxray-summary-containers-');
const captures = [join(work.dir, 'a.arrow'), join(work.dir, 'b.arrow'), join(work.dir, 'synthetic.arrow'), join(work.dir, 'host.arrow')];
let analysis: Analysis;

before(async () => {
  await writeScenario(captures[0]!, 'host-a');
  await writeScenario(captures[1]!, 'host-b');
  await writeSyntheticCapture(captures[2]!, { events: 20_000 });
  // the scenario's events again from a cgroup without a container record: processes of the host itself
  const rows = scenarioRows();
  const outside = rows.filter((r) => r.kind !== 'container' && r.kind !== 'stats').map((r) => ({ ...r, cgroup_id: 4242n }));
  await writeCaptureFromRows(captures[3]!, { host: { hostname: 'host-a' }, rows: [...rows, ...outside] as typeof rows });
  analysis = await Analysis.open(captures);
});
after(() => {
  analysis.close();
  work.cleanup();
});

const SELECTIONS: [string, string | null][] = [
  ['every container', null],
  ['two containers', JSON.stringify([WEB_ID, CLIENT_ID])],
  ['a container that is not there', JSON.stringify(['f'.repeat(64)])],
];

for (const [name, ids] of SELECTIONS) {
  test(`summary-containers answers what the event views answer: ${name}`, async () => {
    const got = await analysis.namedTable('summary-containers', { container_ids: ids });
    const want = await analysis.table(THROUGH_VIEWS, { container_ids: ids });
    if (ids === null) {
      assert.ok(want.rows.length >= 10, `hosts and containers of three captures: ${want.rows.length} rows`);
      assert.ok(want.rows.some((r) => r[1] === '(host)'), 'a row for processes outside any container');
      for (const column of [4, 6, 7, 8]) assert.ok(want.rows.some((r) => Number(r[column]) > 0), `column ${want.columns[column]} counts something`);
    }
    assert.deepEqual(got, want);
  });
}

test('the loaded container_event_counts no longer goes through the event views (what made it slow)', () => {
  const views = readQuery('views').sql.replace(/--.*$/gm, '');
  const view = views.slice(views.indexOf('CREATE OR REPLACE VIEW container_event_counts'), views.indexOf('CREATE OR REPLACE VIEW syscalls'));
  assert.match(view, /FROM ev_syscall/);
  assert.doesNotMatch(view, /\bFROM (syscalls|execs|opens|net_events)\b/);
  assert.match(readQuery('summary-containers').sql, /FROM container_event_counts\b/);
});
