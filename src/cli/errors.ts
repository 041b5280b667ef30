/**
 * Exit codes belong to the command line only. Library code throws the domain errors of
 * src/util/errors.ts (a class and a string code); `exitCodeOf` maps them here, in one table.
 * `CliError` is for the command modules' own argument checks, which already know their exit code.
 */
import { CaptureError, ContxrayError, OutputError, QueryError, RecorderError, SelectionError, UsageError } from '../util/errors.js';

/** Exit codes that mean something (documented in README). */
export const EXIT = {
  ok: 0,
  failure: 1, // the command ran and found a problem (e.g. --check found denied syscalls)
  usage: 2, // bad arguments, unknown query, bad SQL
  input: 3, // unreadable, corrupt, or incompatible capture file
  environment: 4, // not root, no BTF, BPF refused, addon not built, docker missing
  interrupted: 130,
} as const;

/** An error of the command line itself (bad combination of options, findings), with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit code per domain error class … */
const BY_CLASS: [new (...args: never[]) => ContxrayError, number][] = [
  [CaptureError, EXIT.input],
  [RecorderError, EXIT.environment],
  [QueryError, EXIT.usage],
  [SelectionError, EXIT.usage],
  [UsageError, EXIT.usage],
  [OutputError, EXIT.input],
];

/** … and the codes whose exit status differs from their class's. */
const BY_CODE: Record<string, number> = {
  'OutputError:exists': EXIT.usage, // a planted or earlier file: the user chooses --force
  'OutputError:disk': EXIT.environment, // writing an opened output failed (disk full, I/O error)
  'RecorderError:closed': EXIT.failure, // a bug in the caller, not the environment
};

/** The exit status for an error a user can act on, or undefined for anything else (an internal error). */
export function exitCodeOf(err: unknown): number | undefined {
  if (err instanceof CliError) return err.exitCode;
  if (!(err instanceof ContxrayError)) return undefined;
  const byCode = BY_CODE[`${err.name}:${err.code}`];
  if (byCode !== undefined) return byCode;
  return BY_CLASS.find(([kind]) => err instanceof kind)?.[1];
}

/** `record`'s failures that come from the host (what `contxray doctor` checks): their message points to it. */
const DOCTOR_CODES = new Set(['not-root', 'no-btf', 'no-tracefs', 'not-built', 'load-failed', 'bpf'].map((code) => `RecorderError:${code}`));

/** The line printed for an error a user can act on: its message, plus where to look for an environment failure. */
export function userMessage(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return DOCTOR_CODES.has(`${err.name}:${String(code)}`) ? `${err.message} (run \`contxray doctor\` to check this host)` : err.message;
}

/** True for an error a user can act on (printed as one line), false for anything else. */
export function isUserError(err: unknown): boolean {
  return exitCodeOf(err) !== undefined;
}
