/**
 * `contxray record`: its options. What it does is in ../record.ts, imported when it runs (commands.ts):
 * the native addon is loaded only then.
 */
import type { Argv, CommandModule } from 'yargs';

export interface Args {
  out: string;
  force?: boolean;
  duration?: string;
  container?: string[];
  opens: 'host' | 'all' | 'none';
  host?: boolean;
  interval: string;
  'max-argv'?: number;
  metrics?: string;
  'metrics-max-containers': number;
  resources: boolean;
  '--'?: (string | number)[];
  _: (string | number)[];
}

export const command: CommandModule<object, Args> = {
  command: 'record',
  describe: 'Record what containers do (needs root): syscalls, execs, host file opens, TCP connections',
  builder: (y: Argv) =>
    y
      .parserConfiguration({ 'populate--': true })
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'capture file to write (mode 0600: argv may hold secrets)' })
      .option('force', { type: 'boolean', describe: 'replace --out if it exists: a new 0600 file renamed over it (never written through a symlink)' })
      .option('duration', { alias: 'd', type: 'string', describe: 'stop after this long (30s, 5m, 1h); default: until Ctrl-C or the command ends' })
      .option('container', { alias: 'c', type: 'string', array: true, describe: 'record only this container (name or id; repeatable)' })
      .option('opens', { choices: ['host', 'all', 'none'] as const, default: 'host' as const, describe: "file opens: 'host' = outside the container's own root fs (bind mounts, volumes, /proc, /sys, /dev)" })
      .option('host', { type: 'boolean', describe: 'also record processes that are not in a container' })
      .option('interval', { type: 'string', default: '1s', describe: 'syscall aggregation window and flush interval' })
      .option('max-argv', { type: 'number', describe: 'bytes of argv kept per exec (1..16384, default 16384; longer is cut and flagged)' })
      .option('metrics', { type: 'string', describe: 'serve live Prometheus metrics on [HOST:]PORT/metrics while recording (HOST default 127.0.0.1; 0.0.0.0:9001 for remote scrapes)' })
      .option('metrics-max-containers', { type: 'number', default: 500, describe: 'containers with series on --metrics at most (the rest are counted in contxray_metrics_containers_overflow_total)' })
      .option('resources', { type: 'boolean', default: true, describe: 'sample cgroup CPU/memory/IO/pids and network counters of each container at every flush (--no-resources: off)' })
      .example('sudo $0 record -o trace.arrow --duration 30s', 'every container for 30 seconds')
      .example('sudo $0 record -o web.arrow -- docker run --rm --name web nginx', 'record a container from its creation (for seccomp profiles)')
      .example('sudo $0 record -o t.arrow -c web -c db --opens all', 'two containers, every file open')
      .epilog(
        'If the capture cannot be written (disk full, I/O error) recording stops: BPF is detached, the file keeps every ' +
          'event written so far (readable, no footer), the command after -- is sent SIGTERM, and the exit status is 4.',
      ) as unknown as Argv<Args>,
  handler: async (args) => (await import('../record.js')).run(args),
};
