/**
 * Errors a user can act on. The CLI prints `contxray: <message>` and exits with `exitCode`,
 * never a stack trace. Anything else reaching the top is a bug and is reported as one.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit codes that mean something (documented in README). */
export const EXIT = {
  ok: 0,
  failure: 1, // the command ran and found a problem (e.g. --check found denied syscalls)
  usage: 2, // bad arguments, unknown query, bad SQL
  input: 3, // unreadable, corrupt, or incompatible capture file
  environment: 4, // not root, no BTF, BPF refused, addon not built, docker missing
  interrupted: 130,
} as const;

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0]!;
  return String(err).split('\n')[0]!;
}
