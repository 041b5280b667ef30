/**
 * Start-up (issue 12 item 1): `contxray --help` and `contxray analyze --list` against bare
 * `node -e 0`, interleaved rounds, medians. Goal ≤ 1.5×. `--before BIN` also times another
 * contxray (bin/contxray.js of an older checkout, built) in the same rounds.
 *
 * When NODE_EXTRA_CA_CERTS is set (some sandboxes and CI images point it at the whole system CA
 * bundle), Node 20 parses that file at every start, before any script: ~420 M instructions, ~50 ms
 * here, in the floor and every command alike, which flatters the ratios. The same rounds then also
 * time every command without it, and print both tables.
 */
import { join } from 'node:path';
import { interleave, median, opt, printRatios, timeCommand, type CommandRun, type Variant } from '../lib/measure.js';
import { packageRoot } from '../../src/util/package-root.js';

export async function main(argv: string[]): Promise<void> {
  const rounds = Number(opt(argv, 'rounds', '9'));
  const bin = join(packageRoot(), 'bin', 'contxray.js');
  const node = process.execPath;
  const before = opt(argv, 'before', '');
  const withoutCa = { ...process.env };
  delete withoutCa.NODE_EXTRA_CA_CERTS;
  const environments = process.env.NODE_EXTRA_CA_CERTS ? [{ suffix: '', env: process.env }, { suffix: ' [no CA]', env: withoutCa }] : [{ suffix: '', env: process.env }];
  const variants: Variant<CommandRun>[] = environments.flatMap(({ suffix, env }) => [
    { name: `floor${suffix}`, run: () => timeCommand(node, ['-e', '0'], { env }) },
    { name: `contxray --help${suffix}`, run: () => timeCommand(node, [bin, '--help'], { env }) },
    { name: `contxray analyze --list${suffix}`, run: () => timeCommand(node, [bin, 'analyze', '--list'], { env }) },
    ...(before
      ? [
          { name: `before: contxray --help${suffix}`, run: () => timeCommand(node, [before, '--help'], { env }) },
          { name: `before: contxray analyze --list${suffix}`, run: () => timeCommand(node, [before, 'analyze', '--list'], { env }) },
        ]
      : []),
  ]);
  const results = await interleave<CommandRun>(rounds, variants);
  for (const { suffix } of environments) {
    const medians = Object.fromEntries([...results].filter(([name]) => name.endsWith(suffix) && (suffix !== '' || !name.endsWith(' [no CA]'))).map(([name, runs]) => [name, median(runs.map((r) => r.seconds))]));
    const title = suffix ? 'without NODE_EXTRA_CA_CERTS' : process.env.NODE_EXTRA_CA_CERTS ? 'with NODE_EXTRA_CA_CERTS as set' : '';
    printRatios(`start-up, ${rounds} interleaved rounds, median wall time (floor: node -e 0)${title ? `, ${title}` : ''}`, medians, `floor${suffix}`);
  }
}
