/**
 * The three workloads the seccomp system test and bench run for real: a web server serving
 * requests, a shell script doing file work, and a long-running process handling signals. Each is
 * run by `docker run` (attached), optionally under `contxray record -- docker run …` (recorded from
 * its creation) or under a seccomp profile. Shared by test/system/seccomp.test.ts and bench/seccomp.ts.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { docker, removeContainers, TEST_IMAGE, TEST_LABEL } from '../test/helpers/docker.js';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)); // from dist/bench/
export const CONTXRAY = `${REPO_ROOT}bin/contxray.js`;

export interface Workload {
  id: string;
  describe: string;
  args: string[];
  /** What the test does to the running container; returns what it observed (compared across runs). */
  drive?: (name: string, patienceMs: number) => Promise<string>;
}

export interface RunResult {
  exitCode: number;
  /** The container's own stdout and stderr (docker logs). */
  stdout: string;
  containerStderr: string;
  stderr: string;
  observed: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const running = (name: string, ms: number) =>
  waitFor(`${name} to run`, async () => ((await docker('inspect', '--format', '{{.State.Running}}', name)) === 'true' ? true : undefined), ms);

const logsContain = (name: string, text: string, ms: number) =>
  waitFor(`'${text}' in ${name}'s output`, async () => ((await docker('logs', name)).includes(text) ? true : undefined), ms);

export const WORKLOADS: Workload[] = [
  {
    id: 'web',
    describe: 'busybox httpd serving requests until docker stop',
    args: ['httpd', '-f', '-p', '8080', '-h', '/www'],
    drive: async (name, ms) => {
      await running(name, ms);
      const ip = await docker('inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
      const url = `http://${ip}:8080`;
      const first = await waitFor(`${url} to answer`, async () => {
        const r = await fetch(`${url}/index.html`, { signal: AbortSignal.timeout(2000) });
        return `${r.status} ${await r.text()}`;
      }, ms);
      const seen = [first];
      for (let i = 0; i < 4; i++) {
        const r = await fetch(`${url}/index.html`, { signal: AbortSignal.timeout(5000) });
        seen.push(`${r.status} ${await r.text()}`);
      }
      const missing = await fetch(`${url}/nope.html`, { signal: AbortSignal.timeout(5000) });
      seen.push(`${missing.status}`);
      await docker('stop', '--time', '1', name);
      return seen.join('\n');
    },
  },
  {
    id: 'files',
    describe: 'a shell script doing file work, exit status 3',
    args: [
      'sh',
      '-c',
      [
        'set -e',
        'echo "alpha beta" > /tmp/a',
        'cp /tmp/a /tmp/b',
        'sed -i s/beta/gamma/ /tmp/b',
        'cat /tmp/b',
        'wc -c < /tmp/a',
        'ln -s /tmp/b /tmp/link',
        'ls /tmp | sort',
        'mv /tmp/b /tmp/c',
        'rm /tmp/a /tmp/link',
        'ls /tmp',
        'exit 3',
      ].join('\n'),
    ],
  },
  {
    id: 'signals',
    describe: 'a long-running shell handling USR1 and TERM (exit 7 on TERM)',
    args: [
      'sh',
      '-c',
      'trap "echo got USR1" USR1; trap "echo got TERM; exit 7" TERM; echo ready; while true; do sleep 0.1; done',
    ],
    drive: async (name, ms) => {
      await running(name, ms);
      await logsContain(name, 'ready', ms);
      await docker('kill', '--signal', 'USR1', name);
      await logsContain(name, 'got USR1', ms);
      await docker('stop', '--time', '10', name);
      return 'signalled';
    },
  },
];

export function uniqueName(prefix: string): string {
  return `cx-sc-${prefix}-${randomBytes(3).toString('hex')}`;
}

export interface RunOptions {
  name: string;
  seccomp?: string;
  /** Record with `contxray record -o FILE -- docker run …`. */
  recordTo?: string;
  extraRunArgs?: string[];
  /** How long to wait for each sign of life, and (×4) for the whole run, before killing it. */
  patienceMs?: number;
}

/** Runs a workload to completion; returns its exit status, output and what `drive` observed. */
export async function runWorkload(w: Workload, opts: RunOptions): Promise<RunResult> {
  const runArgs = ['run', '--name', opts.name, '--label', TEST_LABEL];
  if (opts.seccomp) runArgs.push('--security-opt', `seccomp=${opts.seccomp}`);
  runArgs.push(...(opts.extraRunArgs ?? []), TEST_IMAGE, ...w.args);
  const [cmd, args] = opts.recordTo
    ? [process.execPath, [CONTXRAY, 'record', '-o', opts.recordTo, '--', 'docker', ...runArgs]]
    : ['docker', runArgs];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  const patience = opts.patienceMs ?? 30_000;
  const deadline = setTimeout(() => void docker('kill', opts.name).catch(() => undefined), patience * 4);
  try {
    // drive's own waits time out if the container dies early; its error is the observation then.
    // A broken container (e.g. under a too-small profile) may never get to exit: kill it then.
    const observed = w.drive
      ? await w.drive(opts.name, patience).catch(async (err: Error) => {
          await docker('kill', opts.name).catch(() => undefined);
          return `drive failed: ${err.message}`;
        })
      : '';
    const code = await exited;
    let exitCode = code;
    let logs = { out: stdout, err: '' };
    try {
      exitCode = Number(await docker('inspect', '--format', '{{.State.ExitCode}}', opts.name));
      // The container's own output: when recording, the client's stdout also carries the recorder's.
      logs = await containerLogs(opts.name);
    } catch {
      // never created (the profile refused it at start): keep the client's status (125 from docker)
    }
    return { exitCode, stdout: logs.out, containerStderr: logs.err, stderr, observed };
  } finally {
    clearTimeout(deadline);
    child.kill('SIGTERM');
    await removeContainers(opts.name);
  }
}

async function containerLogs(name: string): Promise<{ out: string; err: string }> {
  const { stdout, stderr } = await execFileAsync('docker', ['logs', name], { maxBuffer: 16 * 1024 * 1024 });
  return { out: stdout, err: stderr };
}

/** Same exit status, same output on both streams, same behaviour seen from outside. */
export function sameBehaviour(a: RunResult, b: RunResult): boolean {
  return a.exitCode === b.exitCode && a.stdout === b.stdout && a.containerStderr === b.containerStderr && a.observed === b.observed;
}

/** `docker run --rm` a one-off command under a profile: for the "never made" probe (mkdir). */
export async function probe(seccomp: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['run', '--rm', '--label', TEST_LABEL, '--security-opt', `seccomp=${seccomp}`, TEST_IMAGE, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

/** `contxray seccomp …` through the real CLI; rejects with its stderr. */
export async function contxray(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONTXRAY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
