/**
 * `node cached-query.js QUERY CAPTURE…`: the load cache as the library uses it (openCaptures with
 * `cache: true`, then the named query, rows as JSON lines), without the command line's start-up:
 * what the cache itself costs over its floor. Used by bench/interactive/cache.ts.
 */
import { openCaptures } from '../../src/index.js';

const [query, ...captures] = process.argv.slice(2);
const analysis = await openCaptures(captures, { cache: true });
const rows = await analysis.named(query!, {});
for (const row of rows) process.stdout.write(`${JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
analysis.close();
