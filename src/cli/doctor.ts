/**
 * `contxray doctor`: checks what `record` needs on this host and says, one line each, what is there
 * and what to do. Exit 0 when recording will work (warnings allowed), 4 when a check fails.
 * The checks are imported when the command runs: `contxray --help` loads none of them.
 */
import type { Argv, CommandModule } from 'yargs';
import { CliError, EXIT } from './errors.js';
import { useColor } from '../util/tty.js';
import type { Check } from '../doctor/checks.js';

interface Args {
  format: 'table' | 'json';
  load: boolean;
}

/** The exit status for a set of checks: any failure is the environment's. */
export function doctorExit(checks: Check[]): number {
  return checks.some((c) => c.status === 'fail') ? EXIT.environment : EXIT.ok;
}

export const command: CommandModule<object, Args> = {
  command: 'doctor',
  describe: 'Check that this host can record: root, capabilities, kernel, BTF, tracefs, tracepoints, cgroup v2, runtimes, the addon',
  builder: (y: Argv) =>
    y
      .option('format', { alias: 'f', choices: ['table', 'json'] as const, default: 'table' as const, describe: 'table: one line per check; json: { ready, checks: [{ id, status, found, fix }] }' })
      .option('load', { type: 'boolean', default: true, describe: 'as root, load and attach the BPF programs for a moment, as record does (--no-load: read files only)' })
      .example('sudo $0 doctor', 'will `record` work here, and if not, what to do')
      .example('$0 doctor --format json --no-load', 'the checks for a program, without touching the kernel') as unknown as Argv<Args>,
  handler: async (args) => {
    const { diagnose } = await import('../doctor/run.js');
    const { doctorJson, doctorTable, verdict } = await import('../doctor/report.js');
    const checks = await diagnose({ load: args.load });
    const code = doctorExit(checks);
    if (args.format === 'json') process.stdout.write(`${JSON.stringify(doctorJson(checks), null, 2)}\n`);
    else process.stdout.write(`${doctorTable(checks, useColor)}${code === EXIT.ok ? `${verdict(checks)}\n` : ''}`);
    if (code !== EXIT.ok) throw new CliError(`${verdict(checks)} (see the checks above)`, code);
  },
};
