/**
 * Copies a load worker's database into the analysis database, so the analysis stays one
 * self-contained DuckDB file (what --db and the load cache keep and reopen). DuckDB runs the copy
 * on all its threads. The worker numbered its dictionary strings on its own: its new strings get
 * ids after ours, and its id columns are translated through a map of worker id → our id.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { kindColumns } from './append.js';
import { KINDS } from '../capture/schema.js';

const ALIAS = 'contxray_load_worker';

/** `file` is a worker database in our private scratch dir; captures in `skip` are left out (loaded again whole). */
export async function mergeWorkerDatabase(conn: DuckDBConnection, file: string, skip: number[]): Promise<void> {
  await conn.run(`ATTACH ${quote(file)} AS ${ALIAS} (READ_ONLY)`);
  try {
    await conn.run(
      `INSERT INTO strings
       SELECT (SELECT coalesce(max(id) + 1, 0) FROM strings) + row_number() OVER (ORDER BY w.id) - 1, w.value
       FROM ${ALIAS}.strings w ANTI JOIN strings s ON s.value = w.value`,
    );
    await conn.run(`CREATE OR REPLACE TEMP TABLE contxray_load_ids AS SELECT w.id AS wid, s.id AS gid FROM ${ALIAS}.strings w JOIN strings s ON s.value = w.value`);
    const where = skip.length > 0 ? `WHERE t.capture_id NOT IN (${skip.map((id) => String(Math.trunc(id))).join(', ')})` : '';
    for (const kind of KINDS) {
      const dicts = kindColumns(kind).filter((c) => c.type === 'dict').map((c) => c.name);
      const replace = dicts.length > 0 ? ` REPLACE (${dicts.map((c, i) => `m${i}.gid AS "${c}"`).join(', ')})` : '';
      const joins = dicts.map((c, i) => `LEFT JOIN contxray_load_ids m${i} ON m${i}.wid = t."${c}"`).join(' ');
      await conn.run(`INSERT INTO ev_${kind} SELECT t.*${replace} FROM ${ALIAS}.ev_${kind} t ${joins} ${where}`);
    }
    await conn.run('DROP TABLE contxray_load_ids');
  } finally {
    await conn.run(`DETACH ${ALIAS}`);
  }
}

/** A path as an SQL string literal (ATTACH takes no parameters); the path is ours, quoted anyway. */
function quote(path: string): string {
  return `'${path.replaceAll("'", "''")}'`;
}
