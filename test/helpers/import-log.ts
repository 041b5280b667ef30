/**
 * A preload (`node --import …/import-log.js`) that logs every module a process loads into the file
 * $CONTXRAY_IMPORT_LOG: ES modules as the resolve hook sees them (with the importing module), and
 * at exit every CommonJS module and native addon in require's cache (DuckDB's bindings, handlebars
 * and prom-client load that way). Used by test/unit/cli-lazy.test.ts.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const log = process.env.CONTXRAY_IMPORT_LOG;
if (log) {
  register('./import-log-hooks.js', import.meta.url);
  const require = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(log, Object.keys(require.cache).map((f) => `cjs - ${f}\n`).join('')));
}
