/**
 * `contxray doctor`: checks what `record` needs on this host and says, one line each, what is there
 * and what to do. Exit 0 when recording will work (warnings allowed), 4 when a check fails.
 */
import { CliError, EXIT } from './errors.js';
import { useColor } from '../util/tty.js';
import type { Check } from '../doctor/checks.js';
import { diagnose } from '../doctor/run.js';
import { doctorJson, doctorTable, verdict } from '../doctor/report.js';
import type { Args } from './commands/doctor.js';

/** The exit status for a set of checks: any failure is the environment's. */
export function doctorExit(checks: Check[]): number {
  return checks.some((c) => c.status === 'fail') ? EXIT.environment : EXIT.ok;
}

export async function run(args: Args): Promise<void> {
  const checks = await diagnose({ load: args.load });
  const code = doctorExit(checks);
  if (args.format === 'json') process.stdout.write(`${JSON.stringify(doctorJson(checks), null, 2)}\n`);
  else process.stdout.write(`${doctorTable(checks, useColor)}${code === EXIT.ok ? `${verdict(checks)}\n` : ''}`);
  if (code !== EXIT.ok) throw new CliError(`${verdict(checks)} (see the checks above)`, code);
}
