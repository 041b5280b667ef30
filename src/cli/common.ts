/** Options and helpers shared by the commands that read captures. */
import type { Argv } from 'yargs';
import type { Analysis } from '../analyze/db.js';
import { openWithCache } from '../analyze/cache/open.js';
import { FORMATS, type Format } from '../util/format.js';
import { errorMessage } from '../util/errors.js';
import { CliError, EXIT, isUserError } from './errors.js';
import { writeOutputFile } from '../util/outfile.js';
import { StatusLine, humanCount, warn } from '../util/tty.js';

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

export const DB_HELP = 'keep the loaded DuckDB database in this file (0600; reused when it exists and contxray created it)';

export const CACHE_HELP = 'reuse the database loaded by an earlier command on the same unchanged captures (~/.cache/contxray, see `contxray cache`); --no-cache loads afresh';

/** --force for commands that write an output file: without it an existing FILE is refused. */
export function withForce<T>(y: Argv<T>) {
  return y.option('force', { type: 'boolean', describe: 'replace an existing --out (atomically: new 0600 file renamed over it, links not followed)' });
}

export function withOutput<T>(y: Argv<T>) {
  return y
    .option('format', { alias: 'f', choices: FORMATS, default: 'table' as Format, describe: 'output format' })
    .option('out', { alias: 'o', type: 'string', describe: 'write the result to FILE (mode 0600, refused if it exists) instead of stdout' });
}

/** What the commands that read captures pass on: --db FILE, and --cache (false for --no-cache). */
export interface CaptureArgs {
  db?: string;
  cache?: boolean;
}

/**
 * Opens captures with a live status line on a TTY and warnings for recovered files, through the
 * load cache unless --no-cache (src/analyze/cache/, docs/cache.md).
 */
export async function openCaptures(captures: string[] | undefined, args: CaptureArgs = {}): Promise<Analysis> {
  // Everything DuckDB writes from here on (database files, COPY outputs) holds event data.
  process.umask(0o077);
  const status = new StatusLine();
  try {
    return await openWithCache(captures ?? [], {
      db: args.db,
      cache: args.cache !== false,
      progress: ({ path, rows }) => status.update(`loading ${path}: ${humanCount(rows)} events`),
      onWarning: (m) => {
        status.clear();
        warn(m);
      },
    });
  } finally {
    status.clear();
  }
}

/** To stdout, or to a new 0600 file (see util/outfile.ts: no symlink following, no overwrite without force). */
export function writeOutput(text: string, out?: string, force = false): void {
  if (!out) {
    process.stdout.write(text);
    return;
  }
  writeOutputFile(out, text, { force });
}

/** SQL errors are the user's to fix: one line, usage exit code. */
export async function userQuery<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isUserError(err)) throw err;
    throw new CliError(`query failed: ${errorMessage(err)}`, EXIT.usage);
  }
}
