/**
 * The floor of an interactive DuckDB command: Node starts, loads @duckdb/node-api, opens a database
 * (in memory unless a file is given), creates one table, answers one query, exits. No contxray code.
 *   node dist/bench/lib/duckdb-floor.js [DB_FILE] [SQL]
 */
import { DuckDBInstance } from '@duckdb/node-api';

const [file = ':memory:', sql] = process.argv.slice(2);
const instance = await DuckDBInstance.create(file);
const connection = await instance.connect();
if (sql === undefined) await connection.run('CREATE TABLE t AS SELECT 42 AS answer');
const reader = await connection.runAndReadAll(sql ?? 'SELECT answer FROM t');
process.stdout.write(`${JSON.stringify(reader.getRows(), (_, v) => (typeof v === 'bigint' ? String(v) : v))}\n`);
connection.closeSync();
instance.closeSync();
