/**
 * `npm run bench -- interactive [--only a,b] [--rounds N]`: how an analyst's commands feel, each
 * against its floor in the same run (issue 12). The parts are the modules in bench/interactive/,
 * found by listing that folder (a new part needs no registration here); each exports
 * `main(argv)` and prints its own ratio table. See docs/performance.md, "Interactive speed".
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { opt } from './lib/measure.js';

const PARTS_DIR = join(import.meta.dirname, 'interactive');

export async function main(argv: string[]): Promise<void> {
  const parts = readdirSync(PARTS_DIR)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -'.js'.length))
    .sort();
  const only = opt(argv, 'only', '');
  const chosen = only === '' ? parts : only.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = chosen.filter((p) => !parts.includes(p));
  if (unknown.length > 0) throw new Error(`no part ${unknown.join(', ')} in bench/interactive/ (there are: ${parts.join(', ')})`);
  for (const name of chosen) {
    console.log(`\n== interactive: ${name}`);
    const part = (await import(join(PARTS_DIR, `${name}.js`))) as { main(argv: string[]): Promise<void> };
    await part.main(argv);
  }
}
