/**
 * queries/detect/execs.sql: the runtime's own re-exec (`runc init` from a memfd, /dev/fd/N) is part of
 * a container's start, caught or not depending on when recording began; it must never count as a
 * program of the workload (it made the drift rule flag a normal run whose recording caught it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeCaptureFromRows } from '../support/fixture.js';
import { multiContainerRows } from '../support/samples.js';
import { tempDir } from '../helpers/captures.js';
import { openAnalysis } from '../../src/analyze/db.js';
import { detectQuery } from '../../src/detect/facts.js';

test("detect's execs leave out runc init, keep the workload's programs", async () => {
  const work = tempDir('contxray-detect-execs-');
  try {
    const rows = multiContainerRows();
    const nginx = rows.find((r) => r.kind === 'exec' && Array.isArray(r.argv) && r.argv[0] === 'nginx')!;
    rows.push({ ...nginx, ts: (nginx.ts as bigint) - 1_000_000n, filename: '/dev/fd/6', argv: ['runc', 'init'], comm: 'runc:[2:INIT]' });
    const file = join(work.dir, 'c.arrow');
    await writeCaptureFromRows(file, { rows, options: { source: 'test' } });
    const a = await openAnalysis([file]);
    try {
      const got = await a.all(detectQuery('execs'), { window_ns: 10_000_000_000 });
      const argv0 = got.map((r) => String(r.argv0));
      assert.ok(argv0.includes('nginx'), `the workload's exec is kept: ${argv0.join(', ')}`);
      assert.ok(!argv0.includes('runc'), `runc init is left out: ${argv0.join(', ')}`);
      const all = await a.all("SELECT count(*)::INTEGER AS n FROM execs WHERE argv[1] = 'runc'");
      assert.equal(all[0]!.n, 1, 'the execs view itself still shows it');
    } finally {
      a.close();
    }
  } finally {
    work.cleanup();
  }
});
