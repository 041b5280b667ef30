/**
 * The floor of a cached query: `node duckdb-file-floor.js DB.duckdb QUERY.sql` opens a DuckDB file
 * read-only, runs the query (its $parameters bound as NULL) and prints the rows as JSON lines —
 * the least any command answering from that file must do. Used by bench/interactive/cache.ts.
 */
import { readFileSync } from 'node:fs';
import { DuckDBInstance, VARCHAR, type DuckDBType } from '@duckdb/node-api';

const [db, sqlFile] = process.argv.slice(2);
if (!db || !sqlFile) {
  console.error('usage: duckdb-file-floor DB.duckdb QUERY.sql');
  process.exit(2);
}
const sql = readFileSync(sqlFile, 'utf8');
const names = [...new Set([...sql.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
const connection = await instance.connect();
const reader = await connection.runAndReadAll(
  sql,
  Object.fromEntries(names.map((n) => [n, null])),
  Object.fromEntries(names.map((n) => [n, VARCHAR as DuckDBType])),
);
for (const row of reader.getRowsJson()) process.stdout.write(`${JSON.stringify(row)}\n`);
connection.closeSync();
instance.closeSync();
