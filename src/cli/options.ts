/**
 * Options shared by the command definitions in src/cli/commands/. Imported by `contxray --help`, so
 * this file stays light: yargs types and src/util only, never DuckDB or a command's own code.
 */
import type { Argv } from 'yargs';
import { FORMATS, type Format } from '../util/format.js';

export function withCaptures<T>(y: Argv<T>) {
  return y
    .positional('captures', { type: 'string', array: true, describe: "capture files or quoted globs ('day2/*.arrow')" })
    .option('db', { type: 'string', describe: DB_HELP })
    .option('cache', { type: 'boolean', default: true, describe: CACHE_HELP });
}

/**
 * The one --container/-c of the commands that read captures. Repeatable (`-c web -c db`), not
 * greedy, so `-c web trace.arrow` keeps trace.arrow a capture; always a list (or undefined). The
 * values are resolved by src/analyze/select.ts: exact name, full id, or a unique id prefix.
 */
export function withContainers<T>(y: Argv<T>, opts: { required?: boolean; describe?: string } = {}) {
  return y.option('container', {
    alias: 'c',
    type: 'string',
    demandOption: opts.required,
    coerce: (v: unknown): string[] | undefined => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String)),
    describe: opts.describe ?? CONTAINER_HELP,
  });
}

export const CONTAINER_HELP = 'only this container: exact name, full id or unique id prefix (ambiguous: an error listing the candidates); repeatable';

export const CACHE_HELP = 'reuse the database loaded by an earlier command on the same unchanged captures (~/.cache/contxray, see `contxray cache`); --no-cache loads afresh';

export const DB_HELP = 'keep the loaded DuckDB database in this file (0600; reused when it exists and contxray created it)';

/** --force for commands that write an output file: without it an existing FILE is refused. */
export function withForce<T>(y: Argv<T>) {
  return y.option('force', { type: 'boolean', describe: 'replace an existing --out (atomically: new 0600 file renamed over it, links not followed)' });
}

export function withOutput<T>(y: Argv<T>) {
  return y
    .option('format', { alias: 'f', choices: FORMATS, default: 'table' as Format, describe: 'output format' })
    .option('out', { alias: 'o', type: 'string', describe: 'write the result to FILE (mode 0600, refused if it exists) instead of stdout' });
}
