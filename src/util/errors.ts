/**
 * Domain errors thrown by library code. Each carries a stable string `code` (what went wrong, for
 * programs and tests) and an optional `cause` (the underlying error). They say nothing about exit
 * codes: only the command line (src/cli/main.ts) maps a class and code to an exit status.
 *
 * Messages are one line meant for a person; they may quote file names and captured values, so a
 * printer must escape them (src/util/visible.ts).
 */
export abstract class ContxrayError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A capture (or a database loaded from captures) is missing, unreadable, corrupt, incompatible or lacks what was asked of it. */
export class CaptureError extends ContxrayError {}

/** The recorder cannot run here: not root, addon not built, BPF refused, tracefs missing. */
export class RecorderError extends ContxrayError {}

/** A named query is unknown or a query cannot run as asked. */
export class QueryError extends ContxrayError {}

/** A container selector matches nothing ('unknown-container'), several ('ambiguous-container') or is empty. */
export class SelectionError extends ContxrayError {}

/** An option or argument given to a library function is out of range or malformed. */
export class UsageError extends ContxrayError {}

/** An output file cannot be created or written ('exists' when it is there and --force was not given). */
export class OutputError extends ContxrayError {}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]!;
  return String(err).split('\n')[0]!;
}

