/**
 * `sudo contxray record`: watch every container on this host through eBPF and write one capture.
 * Stops at --duration, at SIGINT/SIGTERM (finishing the file properly, exit 0), or when the
 * command after `--` exits (then exits with its status, like strace and time).
 * When the capture cannot be written (disk full, EIO) it stops by itself: BPF detached, the file
 * left as a cut capture readable up to the last whole batch, the command after `--` sent SIGTERM
 * (a recording that cannot be written must not leave an unwatched workload running), exit 4.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Recorder, type RecordFailure, type RecordSummary } from '../record/recorder.js';
import { hostInfo } from '../record/host.js';
import { parseDuration } from '../util/duration.js';
import { errorMessage } from '../util/errors.js';
import { CliError, EXIT } from './errors.js';
import { StatusLine, humanBytes, humanCount } from '../util/tty.js';
import type { Args } from './commands/record.js';

export async function run(args: Args): Promise<void> {
    const durationMs = args.duration !== undefined ? parseDuration(args.duration, '--duration') : undefined;
    const intervalMs = parseDuration(args.interval, '--interval');
    if (intervalMs < 100 || intervalMs > 60_000) throw new CliError('--interval must be between 100ms and 60s', EXIT.usage);
    const commandLine = (args['--'] ?? []).map(String);
    const maxContainers = args['metrics-max-containers'];
    if (!Number.isInteger(maxContainers) || maxContainers < 1) throw new CliError('--metrics-max-containers must be a positive integer', EXIT.usage);
    // The endpoint listens before anything is recorded: a busy port or a bad address stops here.
    // (prom-client is loaded only then: it must not delay the signal handlers of every recording)
    const exporter = args.metrics !== undefined ? await import('../metrics/live.js') : null;
    const listen = exporter ? exporter.parseListen(args.metrics!) : null;
    const live = exporter && listen ? new exporter.LiveMetrics({ host: hostInfo().hostname, arch: hostInfo().arch, maxContainers }) : null;
    const server = exporter && live && listen ? await exporter.serveMetrics(live, listen) : null;
    // A Ctrl-C while BPF loads (seconds on a busy host) must still end in a finished file and exit 0,
    // not in Node's default signal death: remember it and stop as soon as the recorder is running.
    let earlySignal: NodeJS.Signals | null = null;
    const onEarlySignal = (sig: NodeJS.Signals) => (earlySignal ??= sig);
    process.on('SIGINT', onEarlySignal);
    process.on('SIGTERM', onEarlySignal);
    const recorder = await Recorder.start({
      out: args.out,
      force: Boolean(args.force),
      containers: args.container ?? [],
      opens: args.opens,
      includeHost: Boolean(args.host),
      intervalMs,
      maxArgvBytes: args['max-argv'],
      resources: args.resources,
    }).catch((err: unknown) => {
      server?.close();
      process.off('SIGINT', onEarlySignal);
      process.off('SIGTERM', onEarlySignal);
      throw err;
    });
    if (live) recorder.onFlush = (report) => live.update(report);
    const status = new StatusLine();
    const show = setInterval(() => status.update(statusText(recorder)), 500);
    let child: ChildProcess | null = null;
    let childStatus: number | null = null;
    const stopReason = await new Promise<string>((resolve) => {
      const onSignal = (sig: NodeJS.Signals) => {
        if (child && child.exitCode === null) child.kill(sig);
        resolve(sig);
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      process.off('SIGINT', onEarlySignal);
      process.off('SIGTERM', onEarlySignal);
      if (earlySignal) return resolve(earlySignal);
      recorder.onFailure = () => {
        if (child && child.exitCode === null) child.kill('SIGTERM');
        resolve('write failed');
      };
      if (durationMs !== undefined) setTimeout(() => resolve('duration'), durationMs).unref();
      if (commandLine.length > 0) {
        child = spawn(commandLine[0]!, commandLine.slice(1), { stdio: 'inherit' });
        child.on('error', (err) => {
          status.clear();
          process.stderr.write(`contxray: cannot run ${commandLine[0]}: ${err.message}\n`);
          childStatus = 127;
          resolve('command failed');
        });
        child.on('exit', (code, signal) => {
          childStatus = code ?? (signal ? 128 + 15 : 1);
          // Let the last events of the command's exit reach the ring buffer and the aggregates.
          setTimeout(() => resolve('command exited'), 300);
        });
      }
    });
    clearInterval(show);
    status.clear();
    const summary = recorder.stop();
    server?.close();
    if (recorder.failure) throw new CliError(failureText(recorder.failure, args.out, commandLine.length > 0), EXIT.environment);
    process.stderr.write(summaryText(summary, stopReason));
    if (childStatus !== null && childStatus !== 0) process.exitCode = childStatus;
}

function statusText(r: Recorder): string {
  const p = r.progress();
  const order = ['syscall', 'exec', 'open', 'connect', 'accept', 'close', 'fork', 'exit'];
  const rates = Object.entries(p.rates)
    .filter(([, v]) => v !== undefined && v > 0)
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([k, v]) => `${k} ${humanCount(Math.round(v!))}/s`)
    .join(', ');
  return `recording ${(p.elapsedMs / 1000).toFixed(0)}s · ${p.containers} containers · ${rates || 'no events yet'} · drops ${p.drops} · ${humanBytes(p.bytes)}`;
}

function failureText(f: RecordFailure, out: string, hadCommand: boolean): string {
  const code = f.error.code ? ` (${f.error.code})` : '';
  return (
    `cannot write ${out}: ${errorMessage(f.error).replace(/^[A-Z]+: /, '').replace(/, write$/, '')}${code}; recording stopped, BPF detached` +
    (hadCommand ? ', the command sent SIGTERM' : '') +
    `. The capture holds ${f.rowsOnDisk} events written until ${f.onDiskAt.toISOString()} (readable; no footer).`
  );
}

function summaryText(s: RecordSummary, reason: string): string {
  const drops = Object.entries(s.counters).filter(([k, v]) => k.startsWith('drops.') && v > 0n);
  const trunc = Object.entries(s.counters).filter(([k, v]) => k.startsWith('truncated.') && v > 0n);
  const kinds = (['exec', 'fork', 'exit', 'open', 'connect', 'accept', 'close'] as const)
    .map((k) => `${s.rows[k] ?? 0} ${k}`)
    .join(', ');
  const names = s.containers.map((c) => c.name || c.id.slice(0, 12)).join(', ') || 'none';
  return (
    `contxray: recorded ${(s.elapsedMs / 1000).toFixed(1)}s (${reason}) into ${s.out} (${humanBytes(s.bytes)}): ` +
    `${s.containers.length} containers (${names}); ${s.syscalls} syscalls in ${s.rows.syscall ?? 0} aggregates; ${kinds}. ` +
    (drops.length ? `DROPPED: ${drops.map(([k, v]) => `${k}=${v}`).join(', ')}. ` : 'Nothing dropped. ') +
    (trunc.length ? `Truncated: ${trunc.map(([k, v]) => `${k}=${v}`).join(', ')}. ` : '') +
    `Next: contxray analyze ${s.out}\n` +
    (s.unmatched.length ? `contxray: warning: no container matched ${s.unmatched.map((x) => `--container ${x}`).join(', ')}\n` : '')
  );
}
