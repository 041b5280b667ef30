/**
 * Small captures load in memory (issue 12): for them a scratch database file costs more (creating
 * it, the checkpoint at close) than the whole load. Checked by where the database is, not by time.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { Analysis, IN_MEMORY_MAX_BYTES } from '../../src/analyze/db.js';
import { tempDir, writeScenario } from '../helpers/captures.js';

const work = tempDir('contxray-small-');
after(() => work.cleanup());

async function databasePath(analysis: Analysis): Promise<unknown> {
  const rows = await analysis.all('SELECT path FROM duckdb_databases() WHERE database_name = current_database()');
  return rows[0]!.path;
}

test('a small capture without --db loads into an in-memory database, not a scratch file', async () => {
  const capture = join(work.dir, 'small.arrow');
  await writeScenario(capture);
  const analysis = await Analysis.open([capture]);
  try {
    assert.equal(await databasePath(analysis), null, 'in memory');
    assert.ok(statSync(capture).size < IN_MEMORY_MAX_BYTES);
    const rows = await analysis.named('top-syscalls');
    assert.ok(rows.length > 0, 'the views answer as before');
  } finally {
    analysis.close();
  }
});

test('CONTXRAY_IN_MEMORY_MAX=0 puts even a small capture in a scratch file; a bad value is refused', async () => {
  const capture = join(work.dir, 'small3.arrow');
  await writeScenario(capture);
  const before = process.env.CONTXRAY_IN_MEMORY_MAX;
  try {
    process.env.CONTXRAY_IN_MEMORY_MAX = '0';
    const analysis = await Analysis.open([capture]);
    try {
      assert.match(String(await databasePath(analysis)), /analysis\.duckdb$/);
    } finally {
      analysis.close();
    }
    process.env.CONTXRAY_IN_MEMORY_MAX = 'lots';
    await assert.rejects(Analysis.open([capture]), /CONTXRAY_IN_MEMORY_MAX: 'lots' is not a number of bytes/);
  } finally {
    if (before === undefined) delete process.env.CONTXRAY_IN_MEMORY_MAX;
    else process.env.CONTXRAY_IN_MEMORY_MAX = before;
  }
});

test('with --db the same capture is still loaded into that file', async () => {
  const capture = join(work.dir, 'small2.arrow');
  await writeScenario(capture);
  const db = join(work.dir, 'kept.duckdb');
  const analysis = await Analysis.open([capture], { db });
  try {
    assert.equal(await databasePath(analysis), db);
  } finally {
    analysis.close();
  }
  assert.ok(statSync(db).size > 0);
});
