/**
 * Creating an output file without trusting the directory: never through a symlink, never reusing a
 * file someone planted (O_EXCL), 0600 by default; --force replaces the file atomically (a private
 * temporary file in the same directory, renamed over it), so a reader never sees half a file and a
 * failed run leaves the old one.
 *
 * A local helper until the shared safe-output helper lands; then this file goes.
 */
import { closeSync, constants, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OutputError, errorMessage } from '../util/errors.js';

export interface SafeOutput {
  readonly fd: number;
  write(text: string): void;
  /** Flushes, closes and (with force) renames into place. */
  commit(): void;
  /** Closes and removes what this run created. */
  abort(): void;
}

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export function createOutput(path: string, opts: { force?: boolean; mode?: number } = {}): SafeOutput {
  const mode = opts.mode ?? 0o600;
  const target = opts.force ? join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`) : path;
  let fd: number;
  try {
    fd = openSync(target, FLAGS, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputError('exists', `${path} exists; use --force to replace it`, { cause: err });
    if (code === 'ELOOP') throw new OutputError('exists', `${path} is a symbolic link; refusing to write through it`, { cause: err });
    throw new OutputError(code === 'ENOENT' || code === 'ENOTDIR' ? 'bad-directory' : 'disk', `cannot create ${path}: ${errorMessage(err)}`, { cause: err });
  }
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  return {
    fd,
    write(text: string) {
      const buf = Buffer.from(text, 'utf8');
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
    },
    commit() {
      try {
        fsyncSync(fd);
        close();
        if (target !== path) renameSync(target, path);
      } catch (err) {
        this.abort();
        throw new OutputError('disk', `cannot write ${path}: ${errorMessage(err)}`, { cause: err });
      }
    },
    abort() {
      close();
      try {
        unlinkSync(target);
      } catch {
        /* already gone */
      }
    },
  };
}
