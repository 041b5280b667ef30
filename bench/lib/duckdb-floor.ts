/**
 * The floor of an interactive DuckDB command: Node starts, loads @duckdb/node-api, opens a database
 * (in memory unless a file is given), creates one table, answers one query, exits. No contxray code.
 *   node dist/bench/lib/duckdb-floor.js [DB_FILE] [SQL]
 * FLOOR_LOAD=require loads the package with require() instead of `import`, as contxray does
 * (src/analyze/duckdb.ts): the tighter floor, printed next to the plain one.
 */
import { createRequire } from 'node:module';
import type * as NodeApi from '@duckdb/node-api';

const { DuckDBInstance } =
  process.env.FLOOR_LOAD === 'require' ? (createRequire(import.meta.url)('@duckdb/node-api') as typeof NodeApi) : await import('@duckdb/node-api');
const [file = ':memory:', sql] = process.argv.slice(2);
const instance = await DuckDBInstance.create(file);
const connection = await instance.connect();
if (sql === undefined) await connection.run('CREATE TABLE t AS SELECT 42 AS answer');
const reader = await connection.runAndReadAll(sql ?? 'SELECT answer FROM t');
process.stdout.write(`${JSON.stringify(reader.getRows(), (_, v) => (typeof v === 'bigint' ? String(v) : v))}\n`);
connection.closeSync();
instance.closeSync();
