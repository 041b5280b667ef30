/**
 * Small captures (issue 12 item 2): `contxray analyze CAPTURE` (the summary) and `-q top-syscalls`
 * on a demo-sized capture (synthetic, ~165 KB) against the floor script bench/lib/duckdb-floor.ts
 * (Node + DuckDB in memory, one table, one query), interleaved rounds, medians. Goal ≤ 1.5×.
 * The floor script imports @duckdb/node-api as an ES module, as a plain script would; contxray
 * require()s it (src/analyze/duckdb.ts, ~90 ms less), so the ratios are also printed against the
 * same script loading it that way ("floor, require()"), the tighter floor.
 * Every contxray run passes --no-cache: this part measures loading the capture; a load-cache hit is
 * bench/interactive/cache.ts. `--before BIN` also times another contxray (bin/contxray.js of an
 * older checkout that knows --no-cache) in the same rounds.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { interleave, median, opt, printRatios, timeCommand, type CommandRun } from '../lib/measure.js';
import { packageRoot } from '../../src/util/package-root.js';
import { privateTempDir, removeTempDir } from '../../src/util/outfile.js';
import { writeSyntheticCapture } from '../../test/support/synthetic.js';

const REQUIRE_FLOOR = 'floor, require()';

export async function main(argv: string[]): Promise<void> {
  const rounds = Number(opt(argv, 'rounds', '7'));
  const events = Number(opt(argv, 'events', '8700'));
  const root = packageRoot();
  const bin = join(root, 'bin', 'contxray.js');
  const floor = join(root, 'dist', 'bench', 'lib', 'duckdb-floor.js');
  const node = process.execPath;
  const before = opt(argv, 'before', '');
  const dir = privateTempDir('contxray-bench-small-');
  try {
    const capture = join(dir, 'demo.arrow');
    await writeSyntheticCapture(capture, { events });
    const kb = (statSync(capture).size / 1024).toFixed(0);
    const results = await interleave<CommandRun>(rounds, [
      { name: 'floor', run: () => timeCommand(node, [floor]) },
      { name: REQUIRE_FLOOR, run: () => timeCommand(node, [floor], { env: { ...process.env, FLOOR_LOAD: 'require' } }) },
      { name: 'analyze CAPTURE --no-cache', run: () => timeCommand(node, [bin, 'analyze', capture, '--no-cache']) },
      { name: 'analyze CAPTURE -q top-syscalls --no-cache', run: () => timeCommand(node, [bin, 'analyze', capture, '-q', 'top-syscalls', '--no-cache']) },
      ...(before ? [
        { name: 'before: analyze CAPTURE --no-cache', run: () => timeCommand(node, [before, 'analyze', capture, '--no-cache']) },
        { name: 'before: analyze CAPTURE -q top-syscalls --no-cache', run: () => timeCommand(node, [before, 'analyze', capture, '-q', 'top-syscalls', '--no-cache']) },
      ] : []),
    ]);
    const seconds = Object.fromEntries([...results].map(([name, runs]) => [name, median(runs.map((r) => r.seconds))]));
    const rss = Object.fromEntries([...results].map(([name, runs]) => [name, median(runs.map((r) => r.maxRssMb))]));
    printRatios(`small capture (${events} events, ${kb} KiB), ${rounds} interleaved rounds, median wall time (floor: DuckDB in memory, one table, one query)`, seconds, 'floor');
    printRatios(`the same against the tighter floor (the floor script loading DuckDB with require(), as contxray does)`, seconds, REQUIRE_FLOOR);
    printRatios('peak memory, median', rss, 'floor', 'MiB');
  } finally {
    removeTempDir(dir);
  }
}
