/**
 * Lake mode: a directory written by `contxray export --parquet` (kind=/host=/date= partitions),
 * queried in place, out of core, without a load step. The fleet path: hosts record, one job
 * exports their captures into a lake on shared storage, analysts query it from one machine.
 *
 * The export writes the analysis *views* (decoded strings, not the loader's string ids), so lake
 * mode defines those views (queries/lake/views.sql) over one `lake_<kind>` view per exported kind,
 * and the named queries run unchanged. Each `lake_<kind>` reads exactly the files listed here,
 * passed as a bound list parameter (never pasted into SQL), with hive partitioning: a filter on
 * `host` skips other hosts' files, `date` (on lake_<kind>) other days', and a view never opens
 * another kind's files.
 *
 * A lake may come from shared storage written by others, so its names are data: symbolic links
 * (which could pull in files from outside the lake), glob characters (DuckDB expands each listed
 * path as a pattern) and files whose columns differ from what this contxray exports are refused.
 */
import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { api } from './duckdb.js';
import { tableDdl } from './append.js';
import { parseHeader, QUERY_DIR, readQuery } from './queries.js';
import { CaptureError, UsageError } from '../util/errors.js';

const { LIST, VARCHAR, listValue } = api;

export interface Lake {
  root: string;
  /** kind → its Parquet files (absolute paths), in a stable order. */
  files: Map<string, string[]>;
  /** True when every host partition value is the host name itself (none was shortened), so views read `host` from the path and a host filter prunes files. */
  hostFromPartition: boolean;
  /** Entries that are not part of the layout (other files, unknown kinds), for one warning. */
  ignored: string[];
}

/** The exported kinds (queries/export/tables.sql), the only kind= partitions a lake has. */
export const LAKE_KINDS = ['syscall', 'exec', 'process', 'open', 'net', 'connection', 'container', 'stats', 'resource', 'capture'] as const;

/** DuckDB expands every listed path as a glob; export percent-encodes these in partition values. */
const GLOB_CHARS = /[*?[\]{}\\]/;
/** A host partition value export shortened (a host name longer than 80 bytes): `…~` + 16 hex. */
const SHORTENED_HOST = /~[0-9a-f]{16}$/;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The lake among the capture arguments, or null when no argument is a directory (then they are
 * capture files). A directory must be a lake, given alone and without --db (a lake is queried in
 * place; there is nothing to load or keep).
 */
export function findLake(patterns: string[], db?: string): Lake | null {
  const dirs = patterns.filter(isDirectory);
  if (dirs.length === 0) return null;
  const lake = scanLake(dirs[0]!);
  if (patterns.length > 1) throw new UsageError('lake-with-others', `${dirs[0]} is a lake: query it on its own, without other captures or lakes`);
  if (db !== undefined) throw new UsageError('lake-with-db', `${dirs[0]} is a lake, queried in place: --db (a loaded database to keep) does not apply`);
  return lake;
}

/** Walks kind=/host=/date=/*.parquet under root, refusing links and names DuckDB would misread. */
export function scanLake(root: string): Lake {
  const abs = resolve(root);
  // DuckDB reads every key=value segment of a path as a partition column, the lake's own path too.
  if (abs.split(sep).some((s) => s.includes('='))) {
    throw new CaptureError('lake-path', `${root}: a lake's own path may not contain '=' (it would be read as a partition); move it`);
  }
  const entries = list(abs, root);
  const kinds = entries.filter((e) => e.name.startsWith('kind='));
  if (kinds.length === 0) {
    throw new CaptureError('not-a-lake', `${root} is a directory but not a lake (no kind=… partitions in it); give capture files, or a directory written by \`contxray export --parquet\``);
  }
  const lake: Lake = { root, files: new Map(), hostFromPartition: true, ignored: [] };
  const skip = (rel: string, e: Dirent) => {
    // Markers other writers leave (_SUCCESS, .crc files) are not data.
    if (!e.name.startsWith('_') && !e.name.startsWith('.')) lake.ignored.push(rel);
  };
  for (const e of entries) {
    const kind = e.name.slice('kind='.length);
    if (!e.name.startsWith('kind=') || !(LAKE_KINDS as readonly string[]).includes(kind) || !trusted(e, root, e.name).isDirectory()) {
      skip(e.name, e);
      continue;
    }
    const files: string[] = [];
    for (const h of partitions(abs, root, e.name, 'host=', skip)) {
      // DuckDB reads a partition value NULL (or empty) as a null: those hosts come from host_name too
      const value = decodePartition(h.slice('host='.length));
      if (SHORTENED_HOST.test(value) || value === '' || value.toUpperCase() === 'NULL') lake.hostFromPartition = false;
      for (const d of partitions(abs, root, join(e.name, h), 'date=', skip)) {
        for (const f of list(join(abs, e.name, h, d), root, join(e.name, h, d))) {
          const rel = join(e.name, h, d, f.name);
          if (f.name.endsWith('.parquet') && trusted(f, root, rel).isFile()) files.push(join(abs, rel));
          else skip(rel, f);
        }
      }
    }
    if (files.length > 0) lake.files.set(kind, files);
  }
  return lake;
}

/** The `prefix…` directories of a partition level; anything else is skipped. */
function partitions(abs: string, root: string, rel: string, prefix: string, skip: (rel: string, e: Dirent) => void): string[] {
  const out: string[] = [];
  for (const e of list(join(abs, rel), root, rel)) {
    if (e.name.startsWith(prefix) && trusted(e, root, join(rel, e.name)).isDirectory()) out.push(e.name);
    else skip(join(rel, e.name), e);
  }
  return out;
}

/** A directory's entries, sorted. */
function list(dir: string, root: string, rel = ''): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    throw new CaptureError('lake-unreadable', `lake ${root}: cannot read ${rel || '.'}: ${(err as Error).message}`, { cause: err });
  }
}

/** An entry the lake is read through: a link or a name with glob characters is refused. */
function trusted(e: Dirent, root: string, rel: string): Dirent {
  if (e.isSymbolicLink()) {
    throw new CaptureError('lake-symlink', `lake ${root}: ${rel} is a symbolic link; a lake is read only through its own directories and files (a link could pull in files from elsewhere)`);
  }
  if (GLOB_CHARS.test(e.name)) throw new CaptureError('lake-name', `lake ${root}: ${rel} has a glob character in its name; contxray export never writes one`);
  return e;
}

function decodePartition(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Defines the analysis views over the lake on an empty connection. The shape of each kind (its
 * columns and types) comes from this contxray's own export views over empty loaded tables, so a
 * kind the lake has no files for is an empty view of the right type, and a lake whose files differ
 * (another version, another writer) is refused instead of answering wrongly.
 */
export async function defineLakeViews(connection: DuckDBConnection, lake: Lake): Promise<void> {
  await connection.run(tableDdl());
  await connection.run(readQuery('views').sql);
  await connection.run(readQuery('export-views').sql);
  const tables = (await connection.runAndReadAll(readQuery('export-tables').sql)).getRowObjectsJS() as { kind: string; view: string }[];
  for (const { kind, view } of tables) {
    if (!/^[a-z_]+$/.test(kind) || !/^[a-z_]+$/.test(view)) throw new Error(`bad export table ${kind} ${view}`);
    await connection.run(`CREATE TEMP TABLE lake_shape_${kind} AS SELECT *, NULL::VARCHAR AS date FROM ${view} LIMIT 0`);
  }
  await dropLoadedObjects(connection);
  for (const { kind } of tables) {
    const files = lake.files.get(kind);
    if (!files) {
      await connection.run(`CREATE VIEW lake_${kind} AS SELECT * FROM lake_shape_${kind}`);
      continue;
    }
    await connection.run(`SET VARIABLE lake_files_${kind} = $files`, { files: listValue(files) }, { files: LIST(VARCHAR) });
    const host = lake.hostFromPartition ? 'host' : 'host_name';
    await connection.run(
      `CREATE VIEW lake_${kind} AS SELECT ${host} AS host, * EXCLUDE (host, host_name, kind, date), date ` +
        `FROM read_parquet(getvariable('lake_files_${kind}'), hive_partitioning = true, hive_types = {'kind': VARCHAR, 'host': VARCHAR, 'date': VARCHAR})`,
    );
    await checkShape(connection, lake, kind);
  }
  await connection.run(lakeViews().sql);
}

/** The lake views (queries/lake/views.sql): outside the named-query folders, since they only run here. */
export function lakeViews(): { description: string; sql: string } {
  const sql = readFileSync(join(QUERY_DIR, 'lake', 'views.sql'), 'utf8');
  return { description: parseHeader(sql, 'lake/views.sql').description, sql };
}

/** Drops the loaded tables and views used only to derive the shapes: in lake mode they would answer with silence. */
async function dropLoadedObjects(connection: DuckDBConnection): Promise<void> {
  const views = await connection.runAndReadAll("SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND database_name IN ('memory', 'temp')");
  for (const [schema, name] of views.getRows()) await connection.run(`DROP VIEW ${ident(String(schema))}.${ident(String(name))}`);
  const tables = await connection.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE database_name = 'memory' AND schema_name = 'main'");
  for (const [name] of tables.getRows()) await connection.run(`DROP TABLE main.${ident(String(name))}`);
}

/** Our own object names (checked), quoted. */
function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected object name ${name}`);
  return `"${name}"`;
}

async function checkShape(connection: DuckDBConnection, lake: Lake, kind: string): Promise<void> {
  const describe = async (rel: string) =>
    (await connection.runAndReadAll(`DESCRIBE ${rel}`)).getRows().map((r) => `${String(r[0])} ${String(r[1])}`);
  let got: string[];
  try {
    got = await describe(`lake_${kind}`);
  } catch (err) {
    throw new CaptureError('lake-schema', `lake ${lake.root}: kind=${kind}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const want = await describe(`lake_shape_${kind}`);
  if (got.join(',') === want.join(',')) return;
  const missing = want.filter((c) => !got.includes(c));
  const extra = got.filter((c) => !want.includes(c));
  throw new CaptureError(
    'lake-schema',
    `lake ${lake.root}: kind=${kind} files do not have the columns this contxray exports (missing: ${missing.slice(0, 4).join(', ') || 'none'}; ` +
      `unexpected: ${extra.slice(0, 4).join(', ') || 'none'}); export the captures again with this version`,
  );
}

/** One warning for what the walk left out (names escaped by whoever prints it). */
export function lakeWarnings(lake: Lake): string[] {
  if (lake.ignored.length === 0) return [];
  const some = lake.ignored.slice(0, 3).join(', ');
  return [`lake ${lake.root}: ignored ${lake.ignored.length} entries outside its kind=/host=/date=/*.parquet layout (${some}${lake.ignored.length > 3 ? ', …' : ''})`];
}

/**
 * For the commands that read the captures' raw events (detect: forks and exits per cgroup;
 * metrics: the loader's tables; export: a lake is already exported): a lake carries the views,
 * not those, so a lake is refused in one line (and a directory that is no lake as elsewhere).
 */
export function refuseLake(patterns: string[] | undefined, command: string): void {
  for (const p of patterns ?? []) {
    if (!isDirectory(p)) continue;
    scanLake(p);
    throw new CaptureError('lake-unsupported', `${p} is a lake: \`contxray ${command}\` reads the captures' raw events, which a lake does not carry; give the capture files`);
  }
}
