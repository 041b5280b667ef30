/**
 * Where the load cache lives, how big it may grow, and whether we trust the directory.
 *
 * `$XDG_CACHE_HOME/contxray` (an absolute XDG_CACHE_HOME only, as the XDG spec says) or
 * `~/.cache/contxray`. The directory holds whole capture databases, argv secrets included, so it
 * is ours alone: created 0700 (parents too, when we create them), refused when it is a symlink,
 * not a directory or owned by another user (a root shell with another user's HOME, a planted
 * link); a refused or unwritable directory means "no cache", never an error. Only node:fs here:
 * `contxray cache list|clear` import this without DuckDB.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, writeSync, constants as fsc } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { PRIVATE_DIR, PRIVATE_FILE } from '../../util/outfile.js';
import { errorMessage } from '../../util/errors.js';

/** Default bound of the whole cache: a few 10M-event databases. */
export const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;

/** The cache directory's path (not checked, not created). */
export function cacheDirPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), '.cache');
  return join(base, 'contxray');
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * CONTXRAY_CACHE_MAX: bytes with an optional binary unit (`2G`, `500M`, `1.5GiB`, `0` = off).
 * Returns null for text that is not a size (the caller warns and keeps the default).
 */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (!m) return null;
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
}

/** The size bound in bytes (0: the cache is off) and, for a value that is not a size, a warning. */
export function maxBytes(env: NodeJS.ProcessEnv = process.env): { bytes: number; warning?: string } {
  const text = env.CONTXRAY_CACHE_MAX;
  if (text === undefined || text === '') return { bytes: DEFAULT_MAX_BYTES };
  const bytes = parseSize(text);
  if (bytes === null) return { bytes: DEFAULT_MAX_BYTES, warning: `CONTXRAY_CACHE_MAX=${JSON.stringify(text)} is not a size (e.g. 2G, 500M, 0 for off); using the default` };
  return { bytes };
}

/** Why a directory is not one we may keep secrets in, or null when it is (an existing dir of ours). */
export function untrusted(dir: string): string | null {
  let st;
  try {
    st = lstatSync(dir);
  } catch (err) {
    return `cannot check it (${errorMessage(err)})`;
  }
  if (st.isSymbolicLink()) return 'it is a symlink';
  if (!st.isDirectory()) return 'it is not a directory';
  if (st.uid !== process.geteuid?.()) return `it is owned by uid ${st.uid}, not by you`;
  return null;
}

/**
 * The cache directory, created if missing and made 0700, or an error message saying why there
 * is none (the caller warns once and falls back to a temporary database).
 */
export function ensureCacheDir(dir = cacheDirPath()): { dir: string } | { error: string } {
  try {
    // Missing parents (~/.cache) are created 0700 as the XDG spec asks; existing ones are left alone.
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') return { error: `cannot create the cache directory ${dir} (${errorMessage(err)})` };
  }
  const why = untrusted(dir);
  if (why) return { error: `not using the cache directory ${dir}: ${why}` };
  try {
    chmodSync(dir, PRIVATE_DIR);
    tagCacheDir(dir);
  } catch (err) {
    return { error: `cannot use the cache directory ${dir} (${errorMessage(err)})` };
  }
  return { dir };
}

/** CACHEDIR.TAG (bford.info/cachedir): backup tools skip the directory. Written once. */
function tagCacheDir(dir: string): void {
  try {
    const fd = openSync(join(dir, 'CACHEDIR.TAG'), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, PRIVATE_FILE);
    try {
      writeSync(fd, 'Signature: 8a477f597d28d172789f06886806bc55\n# contxray load cache: loaded capture databases; `contxray cache clear` empties it.\n');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
