/** Runs the `seccomp` command module in-process as the CLI does; returns stderr and the error (if any). */
import yargs from 'yargs';
import { command } from '../../src/cli/commands/seccomp.js';
import { CliError } from '../../src/cli/errors.js';

export async function runSeccomp(args: string[]): Promise<{ stderr: string; error?: unknown }> {
  const chunks: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stderr.write;
  try {
    await yargs(args).command(command).strict().fail((msg, err) => { throw err ?? new CliError(msg); }).parseAsync();
    return { stderr: chunks.join('') };
  } catch (error) {
    return { stderr: chunks.join(''), error };
  } finally {
    process.stderr.write = orig;
  }
}
