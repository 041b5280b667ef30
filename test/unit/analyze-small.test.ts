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
