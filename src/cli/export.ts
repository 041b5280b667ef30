/**
 * `contxray export`: the way out for fleets that outgrow one machine. Hive-partitioned Parquet
 * (kind=/host=/date=) that Trino, Spark, ClickHouse or DuckDB read directly, or NDJSON.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import type { Analysis } from '../analyze/db.js';
import { CliError, EXIT, errorMessage } from '../util/errors.js';
import { StatusLine } from '../util/tty.js';
import { openCaptures, withCaptures } from './common.js';
import { exportTables, selectFrom, sqlPath } from '../export/sql.js';

interface Args {
  captures?: string[];
  db?: string;
  parquet?: string;
  ndjson?: string;
  force?: boolean;
}

export async function exportParquet(analysis: Analysis, dir: string, force: boolean, status?: StatusLine): Promise<number> {
  if (existsSync(dir) && readdirSync(dir).length > 0 && !force) throw new CliError(`${dir} is not empty; use --force to add to it`, EXIT.usage);
  mkdirSync(dir, { recursive: true });
  let files = 0;
  for (const { kind, view } of await exportTables(analysis)) {
    status?.update(`exporting ${kind} …`, true);
    const hasTs = ['syscall', 'exec', 'open', 'net', 'connection'].includes(kind);
    const date = hasTs ? "strftime(ts, '%Y-%m-%d')" : "'all'";
    // DuckDB percent-encodes partition values, so a hostile hostname cannot climb out of dir.
    await analysis.connection.run(
      `COPY (SELECT *, ${date} AS date FROM (${selectFrom(kind, view)})) TO ${sqlPath(join(dir, `kind=${kind}`))} ` +
        `(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (host, date), OVERWRITE_OR_IGNORE true)`,
    );
    files++;
  }
  return files;
}

export async function exportNdjson(analysis: Analysis, file: string, force: boolean): Promise<void> {
  if (existsSync(file) && !force) throw new CliError(`${file} exists; use --force to overwrite it`, EXIT.usage);
  writeFileSync(file, '');
  const tmp = join(tmpdir(), `contxray-export-${process.pid}.json`);
  try {
    for (const { kind, view } of await exportTables(analysis)) {
      if (kind === 'connection') continue; // derived from the net events, which are exported
      await analysis.connection.run(`COPY (SELECT '${kind}' AS kind, * FROM (${selectFrom(kind, view)})) TO ${sqlPath(tmp)} (FORMAT json)`);
      // Streamed: an export can be many GB.
      await pipeline(createReadStream(tmp), createWriteStream(file, { flags: 'a' }));
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

export const command: CommandModule<object, Args> = {
  command: 'export [captures..]',
  describe: 'Export captures as hive-partitioned Parquet (kind/host/date) or NDJSON',
  builder: (y: Argv) =>
    withCaptures(y)
      .option('parquet', { type: 'string', describe: 'write Parquet files under DIR/kind=…/host=…/date=…/' })
      .option('ndjson', { type: 'string', describe: 'write every event as one JSON object per line to FILE' })
      .option('force', { type: 'boolean', describe: 'overwrite FILE / add to a non-empty DIR' })
      .check((a) => {
        if (!a.parquet && !a.ndjson) throw new CliError('give --parquet DIR and/or --ndjson FILE', EXIT.usage);
        return true;
      })
      .example('$0 export trace.arrow --parquet lake/', "then: duckdb -c \"SELECT * FROM read_parquet('lake/kind=exec/*/*/*.parquet', hive_partitioning=true)\"")
      .example('$0 export trace.arrow --ndjson events.ndjson', 'one JSON object per event') as unknown as Argv<Args>,
  handler: async (args) => {
    const analysis = await openCaptures(args.captures, args.db);
    const status = new StatusLine();
    try {
      if (args.parquet) await exportParquet(analysis, args.parquet, Boolean(args.force), status);
      if (args.ndjson) await exportNdjson(analysis, args.ndjson, Boolean(args.force));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`export failed: ${errorMessage(err)}`, EXIT.input);
    } finally {
      status.clear();
      analysis.close();
    }
  },
};
