/**
 * Do generated profiles hold for real servers? For each workload (bench/realworld-workloads.ts:
 * nginx, redis, postgres, python http.server, node http) and each mode (confined: Docker's default
 * profile while recording; unconfined: --security-opt seccomp=unconfined), it:
 *   1. records the container from its creation under traffic and lifecycle (contxray record -- docker run …),
 *   2. generates the profile (contxray seccomp),
 *   3. reruns the workload under that profile with the same traffic,
 * and prints one line per workload × mode: starts? same behaviour as recorded? allowed count vs
 * Docker's default. Slow (minutes; not in `npm test`). Needs root, BPF, Docker, the native addon and
 * the images, which scripts/realworld-images.sh builds from Debian packages once (cached by tag).
 *
 *   npm run bench -- realworld [--only nginx,redis] [--modes confined,unconfined] [--json] [--keep DIR]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { docker, ensureDockerd, removeContainers } from '../test/helpers/docker.js';
import { CONTXRAY, REPO_ROOT, contxray } from './seccomp-workloads.js';
import { REAL_WORKLOADS, waitFor, type RealWorkload } from './realworld-workloads.js';

type Mode = 'confined' | 'unconfined';

interface Run {
  exitCode: number | null;
  observed: string;
  logs: string;
}

interface Line {
  workload: string;
  mode: Mode;
  recorded: string;
  generated: boolean;
  allowed: number | null;
  dockerDefault: number | null;
  starts: boolean;
  same: boolean;
  familyAdded: string;
  note: string;
}

const arg = (argv: string[], name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

/** Runs the workload (recorded or under a profile), drives it, and collects what was seen. */
async function runOnce(w: RealWorkload, name: string, net: string, opts: { recordTo?: string; seccomp: string | null }): Promise<Run> {
  const runArgs = ['run', '--name', name, '--label', 'contxray.test=1', '--network', net, ...w.runArgs];
  if (opts.seccomp) runArgs.push('--security-opt', `seccomp=${opts.seccomp}`);
  runArgs.push(w.image, ...w.args);
  const [cmd, args] = opts.recordTo ? [process.execPath, [CONTXRAY, 'record', '-o', opts.recordTo, '--', 'docker', ...runArgs]] : ['docker', runArgs];
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => resolve(code ?? -1));
  });
  const killer = setTimeout(() => void docker('kill', name).catch(() => undefined), 180_000);
  try {
    // The recorder attaches its probes before it starts `docker run`: wait for the container first.
    const up = waitFor(`${name} to run`, async () => ((await docker('inspect', '--format', '{{.State.Running}}', name)) === 'true' ? true : undefined), 60_000);
    const observed = await up.then(() => w.drive(name, net)).catch(async (err: Error) => {
      await docker('kill', name).catch(() => undefined);
      return `drive failed: ${err.message.split('\n')[0]}`;
    });
    await exited;
    let exitCode: number | null = null;
    let logs = stderr;
    try {
      exitCode = Number(await docker('inspect', '--format', '{{.State.ExitCode}}', name));
      logs = execFileSync('docker', ['logs', '--tail', '5', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      /* never created */
    }
    return { exitCode, observed, logs };
  } finally {
    clearTimeout(killer);
    await removeContainers(name);
  }
}

async function one(w: RealWorkload, mode: Mode, dir: string, net: string): Promise<Line> {
  const tag = randomBytes(3).toString('hex');
  const recName = `cxrw-${w.id}-${mode}-rec-${tag}`;
  const capture = join(dir, `${w.id}-${mode}.arrow`);
  const profile = join(dir, `${w.id}-${mode}.json`);
  const line: Line = { workload: w.id, mode, recorded: '', generated: false, allowed: null, dockerDefault: null, starts: false, same: false, familyAdded: '', note: '' };
  const rec = await runOnce(w, recName, net, { recordTo: capture, seccomp: mode === 'unconfined' ? 'unconfined' : null });
  line.recorded = rec.observed;
  const gen = await contxray(['seccomp', capture, '-c', recName, '-o', profile]);
  if (gen.code !== 0) {
    line.note = `seccomp exit ${gen.code}: ${gen.stderr.trim().split('\n').pop()}`;
    return line;
  }
  line.generated = true;
  const m = /allowed: (\d+) syscalls; Docker's default allows (\d+)/.exec(gen.stderr);
  if (m) [line.allowed, line.dockerDefault] = [Number(m[1]), Number(m[2])];
  line.familyAdded = /interchangeable calls added[^:]*: (.*)/.exec(gen.stderr)?.[1] ?? '';
  const again = await runOnce(w, `cxrw-${w.id}-${mode}-run-${tag}`, net, { seccomp: profile });
  // Starts: it answered its first request (a profile that kills it at start never does).
  line.starts = !/^drive failed: timed out waiting for [^\n]* to answer/.test(again.observed);
  line.same = again.observed === rec.observed && again.exitCode === rec.exitCode;
  if (!line.same) line.note = `recorded:\n${indent(rec.observed)}\nunder profile (exit ${again.exitCode}):\n${indent(again.observed)}\n${indent(again.logs.trim())}`;
  return line;
}

const indent = (s: string) => s.split('\n').map((l) => `    ${l}`).join('\n');

export async function main(argv: string[]): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('realworld: needs root (contxray record)');
    process.exit(4);
  }
  await ensureDockerd();
  const only = arg(argv, '--only')?.split(',');
  const modes = (arg(argv, '--modes')?.split(',') ?? ['confined', 'unconfined']) as Mode[];
  const workloads = REAL_WORKLOADS.filter((w) => !only || only.includes(w.id));
  // Build (or find cached) images; a workload whose image cannot be built is reported, not fatal.
  const ready: RealWorkload[] = [];
  for (const w of workloads) {
    try {
      execFileSync('bash', [join(REPO_ROOT, 'scripts', 'realworld-images.sh'), w.id], { stdio: ['ignore', 'ignore', 'inherit'] });
      ready.push(w);
    } catch {
      console.log(`${w.id.padEnd(9)} skipped: image contxray-rw/${w.id}:bookworm could not be built`);
    }
  }
  const keep = arg(argv, '--keep');
  const dir = keep ? (mkdirSync(keep, { recursive: true, mode: 0o700 }), keep) : mkdtempSync(join(tmpdir(), 'contxray-realworld-'));
  const net = `cxrw-net-${randomBytes(3).toString('hex')}`;
  await docker('network', 'create', '--label', 'contxray.test=1', net);
  const lines: Line[] = [];
  try {
    for (const w of ready) {
      for (const mode of modes) {
        const l = await one(w, mode, dir, net);
        lines.push(l);
        const allowed = l.allowed === null ? '?' : `${l.allowed} allowed (Docker's default ${l.dockerDefault})`;
        console.log(`${w.id.padEnd(9)} ${mode.padEnd(10)} starts: ${l.starts ? 'yes' : 'NO '}  same: ${l.same ? 'yes' : 'NO '}  ${allowed}${l.generated ? '' : '  (no profile)'}`);
        if (l.note) console.log(l.note);
      }
    }
  } finally {
    await docker('network', 'rm', net).catch(() => undefined);
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
  if (argv.includes('--json')) console.log(JSON.stringify(lines, null, 2));
  const ok = lines.filter((l) => l.starts && l.same).length;
  console.log(`${ok}/${lines.length} ran identically under their generated profile`);
  if (ok !== lines.length) process.exitCode = 1;
}
