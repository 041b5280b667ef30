/**
 * Helpers shared by the commands that read captures, when they run (their options are in
 * options.ts: this file may load DuckDB, the definitions in commands/ must not).
 */
import type { Analysis } from '../analyze/db.js';
import { openWithCache } from '../analyze/cache/open.js';
import { errorMessage } from '../util/errors.js';
import { CliError, EXIT, isUserError } from './errors.js';
import { writeOutputFile } from '../util/outfile.js';
import { StatusLine, humanCount, warn } from '../util/tty.js';

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
