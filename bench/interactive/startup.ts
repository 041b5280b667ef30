/**
 * Start-up (issue 12 item 1): `contxray --help` and `contxray analyze --list` against bare
 * `node -e 0`, interleaved rounds, medians. Goal ≤ 1.5×. `--before BIN` also times another
 * contxray (bin/contxray.js of an older checkout, built) in the same rounds.
 */
import { join } from 'node:path';
import { interleave, median, opt, printRatios, timeCommand, type CommandRun } from '../lib/measure.js';
import { packageRoot } from '../../src/util/package-root.js';

export async function main(argv: string[]): Promise<void> {
  const rounds = Number(opt(argv, 'rounds', '9'));
  const bin = join(packageRoot(), 'bin', 'contxray.js');
  const node = process.execPath;
  const before = opt(argv, 'before', '');
  const results = await interleave<CommandRun>(rounds, [
    { name: 'floor', run: () => timeCommand(node, ['-e', '0']) },
    { name: 'contxray --help', run: () => timeCommand(node, [bin, '--help']) },
    { name: 'contxray analyze --list', run: () => timeCommand(node, [bin, 'analyze', '--list']) },
    ...(before ? [
      { name: 'before: contxray --help', run: () => timeCommand(node, [before, '--help']) },
      { name: 'before: contxray analyze --list', run: () => timeCommand(node, [before, 'analyze', '--list']) },
    ] : []),
  ]);
  const medians = Object.fromEntries([...results].map(([name, runs]) => [name, median(runs.map((r) => r.seconds))]));
  printRatios(`start-up, ${rounds} interleaved rounds, median wall time (floor: node -e 0)`, medians, 'floor');
}
