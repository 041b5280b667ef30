/**
 * `contxray export`: the way out for fleets that outgrow one machine. Hive-partitioned Parquet
 * (kind=/host=/date=) that Trino, Spark, ClickHouse or DuckDB read directly, or NDJSON.
 */
import { closeSync, createReadStream, createWriteStream, fsyncSync, lstatSync, readdirSync, rmSync, type Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { basename, dirname, join } from 'node:path';
import type { Analysis } from '../analyze/db.js';
import { errorMessage } from '../util/errors.js';
import { CliError, EXIT, isUserError } from './errors.js';
import { StatusLine } from '../util/tty.js';
import { existsError, makeTreePrivate, openSiblingTemp, placeDir, placeFile, privateTempDir, refuseExisting, removeTempDir } from '../util/outfile.js';
import { openCaptures } from './common.js';
import { refuseLake } from '../analyze/lake.js';
import { exportTables, selectFrom, sqlPath } from '../export/sql.js';
import type { Args } from './commands/export.js';

/**
 * Host partition values longer than this many bytes are shortened: DuckDB percent-encodes them
 * (up to 3 bytes per byte) into a directory name, which may not exceed 255 bytes.
 */
export const MAX_HOST_PARTITION_BYTES = 80;

/**
 * The host partition value: the host name, or when longer than MAX_HOST_PARTITION_BYTES its first
 * characters (15 when it is not ASCII, 60 when it is), '~' and 16 hex digits of its md5, so
 * distinct long names stay distinct. The files keep the full name in host_name.
 */
function hostPartition(): string {
  return (
    `CASE WHEN strlen(host) <= ${MAX_HOST_PARTITION_BYTES} THEN host ` +
    `ELSE left(host, CASE WHEN strlen(host) = length(host) THEN 60 ELSE 15 END) || '~' || left(md5(host), 16) END`
  );
}

export async function exportParquet(analysis: Analysis, dir: string, force: boolean, status?: StatusLine): Promise<number> {
  const st = existing(dir);
  if (st && !force && !(st.isDirectory() && readdirSync(dir).length === 0)) throw existsError(dir);
  // Written into a private dir next to the target and moved into place at the end: a failed
  // export leaves nothing behind, and DuckDB never writes through a planted link.
  const tmp = siblingTempDir(dir);
  let files = 0;
  try {
    for (const { kind, view } of await exportTables(analysis)) {
      status?.update(`exporting ${kind} …`, true);
      const hasTs = ['syscall', 'exec', 'open', 'net', 'connection', 'resource'].includes(kind);
      const date = hasTs ? "strftime(ts, '%Y-%m-%d')" : "'all'";
      // DuckDB percent-encodes partition values, so a hostile hostname cannot climb out of dir.
      await analysis.connection.run(
        `COPY (SELECT * REPLACE (${hostPartition()} AS host), host AS host_name, ${date} AS date FROM (${selectFrom(kind, view)})) ` +
          `TO ${sqlPath(join(tmp, `kind=${kind}`))} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (host, date))`,
      );
      files++;
    }
    makeTreePrivate(tmp);
    placeDir(tmp, dir, force);
  } finally {
    removeTempDir(tmp);
  }
  return files;
}

export async function exportNdjson(analysis: Analysis, file: string, force: boolean): Promise<void> {
  refuseExisting(file, force);
  // DuckDB's COPY output goes to a private scratch dir; the NDJSON itself to a new 0600 file next
  // to the target, renamed into place once complete.
  const scratch = privateTempDir('contxray-export-');
  const part = join(scratch, 'part.json');
  const out = openSiblingTemp(file);
  let done = false;
  try {
    for (const { kind, view } of await exportTables(analysis)) {
      // connections are derived from the net events, which are exported; captures are not events
      if (kind === 'connection' || kind === 'capture') continue;
      await analysis.connection.run(`COPY (SELECT '${kind}' AS kind, * FROM (${selectFrom(kind, view)})) TO ${sqlPath(part)} (FORMAT json)`);
      // Streamed: an export can be many GB.
      await pipeline(createReadStream(part), createWriteStream('', { fd: out.fd, autoClose: false }));
    }
    fsyncSync(out.fd);
    done = true;
  } finally {
    closeSync(out.fd);
    removeTempDir(scratch);
    if (!done) rmSync(out.path, { force: true });
  }
  placeFile(out.path, file, force);
}

function existing(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function siblingTempDir(dir: string): string {
  try {
    return privateTempDir(`.${basename(dir)}.contxray-`, dirname(dir));
  } catch (err) {
    throw new CliError(`cannot create ${dir}: ${errorMessage(err)}`, EXIT.input);
  }
}

export async function run(args: Args): Promise<void> {
  refuseLake(args.captures, 'export');
    const analysis = await openCaptures(args.captures, args);
    const status = new StatusLine();
    try {
      if (args.parquet) await exportParquet(analysis, args.parquet, Boolean(args.force), status);
      if (args.ndjson) await exportNdjson(analysis, args.ndjson, Boolean(args.force));
    } catch (err) {
      if (isUserError(err)) throw err;
      throw new CliError(`export failed: ${errorMessage(err)}`, EXIT.input);
    } finally {
      status.clear();
      analysis.close();
    }
}
