/**
 * The container records and aggregates (container_records, containers, cgroup_containers) are
 * computed once per database, as tables read through views of the same name (queries/views.sql):
 * every event view joins them, and recomputing them per query made a 100k-container report miss
 * its 30 s budget (docs/performance.md); the records' string joins once, not once per aggregate,
 * are a third of a small capture's views. The views must keep their rows, and a --db database must carry the
 * tables and reuse them, not rebuild or duplicate them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { api } from '../../src/analyze/duckdb.js';
import { openAnalysis, type Analysis } from '../../src/analyze/db.js';
import { writeMultiContainerCapture } from '../support/samples.js';
import { writeScenario, tempDir } from '../helpers/captures.js';

// the copy of DuckDB's JavaScript contxray runs (src/analyze/duckdb.ts), not a second one
const { DuckDBInstance } = api;

const TABLES = ['materialised_cgroup_containers', 'materialised_container_records', 'materialised_containers'];

/** The aggregates as views.sql defined them before they were materialised, computed afresh. */
const FRESH = {
  container_records: `SELECT e.capture_id, cap.host, e.ts, e.cgroup_id,
       s_id.value AS container_id, s_name.value AS name, s_img.value AS image, s_rt.value AS runtime,
       s_cg.value AS cgroup_path, e.ips, e.labels, e.started_at, e.first_seen, e.last_seen
    FROM ev_container e
    JOIN capture_files cap USING (capture_id)
    LEFT JOIN strings s_id ON s_id.id = e.container_id
    LEFT JOIN strings s_name ON s_name.id = e.container_name
    LEFT JOIN strings s_img ON s_img.id = e.image
    LEFT JOIN strings s_rt ON s_rt.id = e.runtime
    LEFT JOIN strings s_cg ON s_cg.id = e.cgroup_path`,
  cgroup_containers: `SELECT capture_id, cgroup_id, arg_max(container_id, ts) AS container_id, arg_max(name, ts) AS container
    FROM container_records GROUP BY capture_id, cgroup_id`,
  containers: `SELECT host, arg_max(capture, ts) AS capture, container_id, left(container_id, 12) AS short_id,
       arg_max(name, ts) AS name, arg_max(image, ts) AS image, arg_max(runtime, ts) AS runtime,
       arg_max(cgroup_id, ts) AS cgroup_id, arg_max(cgroup_path, ts) AS cgroup_path,
       arg_max(ips, ts) AS ips, arg_max(labels, ts) AS labels, max(started_at) AS started_at,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM container_records JOIN capture_files USING (capture_id, host) GROUP BY host, container_id`,
};

async function tablesOf(a: Analysis): Promise<string[]> {
  const rows = await a.all("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND table_name LIKE 'materialised_%' ORDER BY 1");
  return rows.map((r) => String(r.table_name));
}

async function assertSameRows(a: Analysis): Promise<void> {
  for (const [view, fresh] of Object.entries(FRESH)) {
    const n = await a.all(`SELECT count(*) AS n FROM ${view}`);
    assert.ok(Number(n[0]!.n) > 0, `${view} has rows`);
    // same columns, in the same order, with the same types
    const cols = await a.table(`SELECT * FROM ${view} LIMIT 0`);
    const freshCols = await a.table(`SELECT * FROM (${fresh}) LIMIT 0`);
    assert.deepEqual([cols.columns, cols.types], [freshCols.columns, freshCols.types], `${view}: columns`);
    const diff = await a.all(
      `SELECT count(*) AS n FROM ((SELECT * FROM ${view} EXCEPT ALL ${fresh}) UNION ALL (${fresh} EXCEPT ALL SELECT * FROM ${view}))`,
    );
    assert.equal(Number(diff[0]!.n), 0, `${view}: the materialised rows equal the fresh aggregation`);
  }
}

test('container_records, containers and cgroup_containers are read from tables made at load, with the rows of the old views', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const a1 = join(dir, 'one.arrow');
    const a2 = join(dir, 'multi.arrow');
    await writeScenario(a1, 'host-a');
    await writeMultiContainerCapture(a2);
    const a = await openAnalysis([a1, a2]);
    try {
      assert.deepEqual(await tablesOf(a), TABLES);
      await assertSameRows(a);
    } finally {
      a.close();
    }
  } finally {
    cleanup();
  }
});

test('a --db database carries the tables from its load and reuses them when reopened', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const cap = join(dir, 'one.arrow');
    const db = join(dir, 'kept.duckdb');
    await writeScenario(cap, 'host-a');
    (await openAnalysis([cap], { db })).close();
    // in the file as loaded (read without views.sql, which would make missing tables on reopen)
    const raw = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
    const conn = await raw.connect();
    const made = (await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'materialised_%' ORDER BY 1")).getRows();
    conn.closeSync();
    raw.closeSync();
    assert.deepEqual(made.map((r) => r[0]), TABLES);
    const again = await openAnalysis([], { db });
    try {
      assert.deepEqual(await tablesOf(again), TABLES);
      await assertSameRows(again);
      // reopening does not append a second copy
      const n = await again.all('SELECT (SELECT count(*) FROM materialised_containers) AS c, (SELECT count(DISTINCT (host, container_id)) FROM container_records) AS d');
      assert.equal(n[0]!.c, n[0]!.d);
    } finally {
      again.close();
    }
  } finally {
    cleanup();
  }
});
