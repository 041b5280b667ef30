/**
 * The contract of every file in queries/: its header parses, the parameters it declares are the
 * ones it uses, and `DESCRIBE` of each row-returning query over the views (on a small fixture
 * capture) gives exactly the columns and types its `-- returns:` line declares.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openAnalysis, type Analysis } from '../../src/analyze/db.js';
import { allQueries, listQueries, parseHeader, SEVERITIES, type NamedQuery } from '../../src/analyze/queries.js';
import { tempDir, writeScenario } from '../helpers/captures.js';
import { SAMPLE_PARAMS, paramsFor } from '../support/query-params.js';

const tmp = tempDir();
let analysis: Analysis;
const queries = allQueries();

before(async () => {
  const file = join(tmp.dir, 'scenario.arrow');
  await writeScenario(file);
  analysis = await openAnalysis([file]);
  // Statements first: the report's queries read the temp tables they create.
  for (const q of queries.filter((q) => q.returns === null && q.name !== 'views')) await analysis.named(q.name, params(q));
});
after(() => {
  analysis?.close();
  tmp.cleanup();
});

const params = (q: NamedQuery) => paramsFor(q);

test('every query file has a header that keeps the contract, and names are unique', () => {
  assert.ok(queries.length >= 30, `only ${queries.length} queries found`);
  assert.equal(new Set(queries.map((q) => q.name)).size, queries.length);
  for (const q of queries) {
    const used = new Set([...q.sql.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
    assert.deepEqual([...used].sort(), [...q.params].sort(), `${q.name}: -- params: must name exactly the $parameters used`);
    for (const p of q.params) assert.ok(p in SAMPLE_PARAMS, `${q.name}: no sample value for $${p} in this test`);
  }
});

test('findings carry title, severity and explanation in their header', () => {
  const findings = queries.filter((q) => q.folder === 'findings');
  assert.ok(findings.length >= 5);
  for (const q of findings) {
    assert.ok(q.name.startsWith('finding-'), q.name);
    assert.ok(q.title && q.explanation, `${q.name}: -- title: and -- explanation: are required`);
    assert.ok(q.severity && SEVERITIES.includes(q.severity), `${q.name}: severity ${q.severity}`);
  }
});

test('analyze --list shows the analyze, findings and summary folders, not the building blocks', () => {
  const names = listQueries().map((q) => q.name);
  for (const n of ['top-syscalls', 'exec-timeline', 'finding-shells', 'summary-containers']) assert.ok(names.includes(n), n);
  for (const n of names) assert.ok(!/^(views|report-|seccomp-|export-)/.test(n), n);
});

test('a header that breaks the contract is refused', () => {
  assert.throws(() => parseHeader('SELECT 1', 'x.sql'), /description/);
  assert.throws(() => parseHeader('-- description: d\nSELECT 1', 'x.sql'), /exactly one of/);
  assert.throws(() => parseHeader('-- description: d\n-- returns: a INTEGER\n-- executes: x\nSELECT 1', 'x.sql'), /exactly one of/);
  assert.throws(() => parseHeader('-- description: d\n-- returns: a\nSELECT 1', 'x.sql'), /name TYPE/);
  assert.throws(() => parseHeader('-- description: d\n-- severity: dire\n-- returns: a INTEGER\nSELECT 1', 'x.sql'), /severity/);
  const h = parseHeader('-- description: d\n-- returns: a DECIMAL(18,1), b STRUCT(x INTEGER, y VARCHAR)[]\n-- returns: c VARCHAR\nSELECT 1', 'x.sql');
  assert.deepEqual(h.returns, [
    { name: 'a', type: 'DECIMAL(18,1)' },
    { name: 'b', type: 'STRUCT(x INTEGER, y VARCHAR)[]' },
    { name: 'c', type: 'VARCHAR' },
  ]);
});

for (const q of queries.filter((q) => q.returns !== null)) {
  test(`DESCRIBE ${q.name} matches its -- returns: line`, async () => {
    const described = await analysis.all(`DESCRIBE ${q.sql.trim().replace(/;\s*$/, '')}`, params(q));
    assert.deepEqual(
      described.map((r) => `${r.column_name} ${r.column_type}`),
      q.returns!.map((c) => `${c.name} ${c.type}`),
    );
  });
}
