/**
 * Output and scratch files that a hostile local user cannot redirect or read.
 *
 * Every file contxray writes either is created with O_CREAT|O_EXCL|O_NOFOLLOW (so a planted file
 * or symlink at the name makes the open fail instead of being reused or followed), or is written
 * under a fresh name in the target's directory and then renamed over the target (rename(2)
 * replaces a symlink itself, it never writes through it). Files holding event data are 0600 and
 * directories 0700, whatever the umask. Scratch files live in private mkdtemp dirs (0700) that
 * are removed on exit, SIGINT and SIGTERM.
 */
import {
  closeSync, chmodSync, fchmodSync, fsyncSync, linkSync, lstatSync, mkdtempSync, openSync, readdirSync, readlinkSync,
  renameSync, rmSync, unlinkSync, writeSync, constants as fsc, type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { OutputError, errorMessage } from './errors.js';

export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;
/** Create-only, never through a symlink: EEXIST for anything already at the name, dangling links included. */
export const EXCL_FLAGS = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW;

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new OutputError('create-failed', `cannot check ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/** What is at `path`, in words ("a symlink to /etc/shadow", "a file owned by uid 65534"), or null. */
export function describeExisting(path: string): string | null {
  const st = lstatOrNull(path);
  if (!st) return null;
  if (st.isSymbolicLink()) {
    let to = '?';
    try {
      to = readlinkSync(path);
    } catch {
      /* vanished meanwhile */
    }
    return `a symlink to ${JSON.stringify(to)}`;
  }
  const what = st.isDirectory() ? 'a directory' : st.isFile() ? 'a file' : 'a special file';
  const mine = st.uid === process.geteuid?.();
  return `${what} owned by ${mine ? 'you' : `uid ${st.uid}`} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
}

/** The one-line refusal when `path` exists and --force was not given. */
export function existsError(path: string, what = describeExisting(path) ?? 'something'): OutputError {
  return new OutputError('exists', `${path} exists (${what}); --force replaces it atomically, without following links`);
}

export function refuseExisting(path: string, force: boolean): void {
  if (force) return;
  const what = describeExisting(path);
  if (what) throw existsError(path, what);
}

/** Fails fast (before the work) when writeOutputFile would refuse `target`. */
export function checkOutput(target: string | undefined, force: boolean): void {
  if (target === undefined || force) return;
  const st = lstatOrNull(target);
  if (st && !(st.isCharacterDevice() || st.isFIFO())) throw existsError(target);
}

/** A new private (0600) file next to `target`, for writing and then `placeFile`. */
export function openSiblingTemp(target: string): { fd: number; path: string } {
  for (let attempt = 0; ; attempt++) {
    const path = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const fd = openSync(path, EXCL_FLAGS, PRIVATE_FILE);
      fchmodSync(fd, PRIVATE_FILE); // the umask can only have removed bits; make it exactly 0600
      return { fd, path };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 5) continue;
      throw new OutputError('create-failed', `cannot create a file in ${dirname(target)}: ${errorMessage(err)}`, { cause: err });
    }
  }
}

/**
 * Moves a finished temp file to `target`. Without force, link(2) fails on anything already there
 * (no window where a check and the move disagree); with force, rename(2) replaces it, symlinks
 * included, without following them.
 */
export function placeFile(tmp: string, target: string, force: boolean): void {
  try {
    if (force) {
      renameSync(tmp, target);
      return;
    }
    try {
      linkSync(tmp, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw existsError(target);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
      // A filesystem without hard links: check, then rename (a narrow race, on such filesystems only).
      refuseExisting(target, false);
      renameSync(tmp, target);
      return;
    }
    unlinkSync(tmp);
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof OutputError) throw err;
    throw new OutputError('write-failed', `cannot write ${target}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Writes a whole output file safely: refuse (or atomically replace with force), 0600, no symlink following. */
export function writeOutputFile(target: string, data: string | Uint8Array, opts: { force?: boolean } = {}): void {
  if (writeToDevice(target, data)) return;
  refuseExisting(target, Boolean(opts.force));
  const tmp = openSiblingTemp(target);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.byteLength; ) off += writeSync(tmp.fd, buf, off);
    fsyncSync(tmp.fd);
  } catch (err) {
    closeSync(tmp.fd);
    rmSync(tmp.path, { force: true });
    throw new OutputError('write-failed', `cannot write ${target}: ${errorMessage(err)}`, { cause: err });
  }
  closeSync(tmp.fd);
  placeFile(tmp.path, target, Boolean(opts.force));
}

/** An output written piece by piece (see createOutput). */
export interface OutputStream {
  write(data: string | Uint8Array): void;
  /** Flushes and puts the file in place (refusing, without force, anything that appeared meanwhile). */
  commit(): void;
  /** Removes what this run wrote; the target is untouched. Idempotent, and a no-op after commit. */
  abort(): void;
}

/**
 * writeOutputFile for outputs produced in pieces: refused up front if the target exists (without
 * force), written into a private sibling temp file, moved into place by placeFile at commit, so a
 * reader never sees half a file and a failed run leaves the old one. `mode` (default 0600) is set
 * at commit, for files that are not event data and must be readable by others.
 */
export function createOutput(target: string, opts: { force?: boolean; mode?: number } = {}): OutputStream {
  const force = Boolean(opts.force);
  refuseExisting(target, force);
  const tmp = openSiblingTemp(target);
  let open = true;
  let finished = false;
  const abort = () => {
    if (finished) return;
    finished = true;
    if (open) closeSync(tmp.fd);
    open = false;
    rmSync(tmp.path, { force: true });
  };
  const failed = (err: unknown): OutputError => {
    abort();
    return new OutputError('write-failed', `cannot write ${target}: ${errorMessage(err)}`, { cause: err });
  };
  return {
    write(data) {
      if (finished) throw new OutputError('closed', `${target}: written after commit or abort`);
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      try {
        for (let off = 0; off < buf.byteLength; ) off += writeSync(tmp.fd, buf, off);
      } catch (err) {
        throw failed(err);
      }
    },
    commit() {
      if (finished) throw new OutputError('closed', `${target}: committed after commit or abort`);
      try {
        if (opts.mode !== undefined) fchmodSync(tmp.fd, opts.mode);
        fsyncSync(tmp.fd);
        closeSync(tmp.fd);
        open = false;
      } catch (err) {
        throw failed(err);
      }
      finished = true;
      placeFile(tmp.path, target, force);
    },
    abort,
  };
}

/**
 * `-o /dev/null` or a named pipe: written into, as the user means (never renamed over, even
 * with --force). Only a device or FIFO that is itself at the name: a symlink to one is refused.
 */
function writeToDevice(target: string, data: string | Uint8Array): boolean {
  const st = lstatOrNull(target);
  if (!st || !(st.isCharacterDevice() || st.isFIFO())) return false;
  let fd: number;
  try {
    fd = openSync(target, fsc.O_WRONLY | fsc.O_NOFOLLOW);
  } catch (err) {
    throw new OutputError('write-failed', `cannot write ${target}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.byteLength; ) off += writeSync(fd, buf, off);
  } catch (err) {
    throw new OutputError('write-failed', `cannot write ${target}: ${errorMessage(err)}`, { cause: err });
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Sets 0600 on files and 0700 on directories under (and including) `dir`; never follows symlinks. */
export function makeTreePrivate(dir: string): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return;
  chmodSync(dir, st.isDirectory() ? PRIVATE_DIR : PRIVATE_FILE);
  if (st.isDirectory()) for (const name of readdirSync(dir)) makeTreePrivate(join(dir, name));
}

/**
 * Moves a finished temp directory to `target`: anything already there (an empty dir, or with
 * force anything) is first renamed aside and removed only once the new directory is in place.
 */
export function placeDir(tmp: string, target: string, force: boolean): void {
  const st = lstatOrNull(target);
  if (st && !force && !(st.isDirectory() && readdirSync(target).length === 0)) throw existsError(target);
  let aside: string | null = null;
  try {
    if (st) {
      aside = mkdtempSync(join(dirname(target), `.${basename(target)}.old-`));
      renameSync(target, join(aside, 'old'));
    }
    renameSync(tmp, target);
  } catch (err) {
    if (aside) {
      try {
        renameSync(join(aside, 'old'), target);
      } catch {
        /* the new name is taken; the old content stays in `aside`, named in the message */
      }
    }
    throw new OutputError('write-failed', `cannot move the output into ${target}: ${errorMessage(err)}${aside ? ` (previous content in ${aside} if not restored)` : ''}`, { cause: err });
  }
  if (aside) rmSync(aside, { recursive: true, force: true });
}

const scratchDirs = new Set<string>();
let handlersInstalled = false;

function removeScratch(): void {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
  scratchDirs.clear();
}

/** On SIGINT/SIGTERM: remove scratch dirs, then die of the same signal (the default behaviour). */
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', removeScratch);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      removeScratch();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/**
 * A private (0700) directory from mkdtemp, removed on exit, SIGINT and SIGTERM unless released.
 * `parent` defaults to $CONTXRAY_TMPDIR or the system temp dir.
 */
export function privateTempDir(prefix: string, parent = process.env.CONTXRAY_TMPDIR ?? tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  chmodSync(dir, PRIVATE_DIR);
  scratchDirs.add(dir);
  installHandlers();
  return dir;
}

/** Removes a scratch dir now. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  scratchDirs.delete(dir);
}

/** Keeps a scratch dir past exit (its content was moved out; nothing to remove). */
export function releaseTempDir(dir: string): void {
  scratchDirs.delete(dir);
}
