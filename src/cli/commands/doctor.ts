/**
 * `contxray doctor`: its options. What it does is in ../doctor.ts, imported when it runs (commands.ts).
 */
import type { Argv, CommandModule } from 'yargs';

export interface Args {
  format: 'table' | 'json';
  load: boolean;
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
  handler: async (args) => (await import('../doctor.js')).run(args),
};
