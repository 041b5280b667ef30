/** Options and helpers shared by the commands that read captures. */
import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { Analysis } from '../analyze/db.js';
import { FORMATS, type Format } from '../util/format.js';
import { CliError, EXIT, errorMessage } from '../util/errors.js';
import { StatusLine, humanCount, warn } from '../util/tty.js';

export function withCaptures<T>(y: Argv<T>) {
  return y
    .positional('captures', { type: 'string', array: true, describe: "capture files or quoted globs ('day2/*.arrow')" })
    .option('db', { type: 'string', describe: 'keep the loaded DuckDB database in this file (reused when it exists)' });
}

export function withOutput<T>(y: Argv<T>) {
  return y
    .option('format', { alias: 'f', choices: FORMATS, default: 'table' as Format, describe: 'output format' })
    .option('out', { alias: 'o', type: 'string', describe: 'write the result to FILE instead of stdout' });
}

/** Opens captures with a live status line on a TTY and warnings for recovered files. */
export async function openCaptures(captures: string[] | undefined, db?: string): Promise<Analysis> {
  const status = new StatusLine();
  try {
    return await Analysis.open(captures ?? [], {
      db,
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

export function writeOutput(text: string, out?: string): void {
  if (!out) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(out, text);
  } catch (err) {
    throw new CliError(`cannot write ${out}: ${errorMessage(err)}`, EXIT.input);
  }
}

/** SQL errors are the user's to fix: one line, usage exit code. */
export async function userQuery<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`query failed: ${errorMessage(err)}`, EXIT.usage);
  }
}
