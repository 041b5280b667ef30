/**
 * Seccomp profile quality and generation speed, side by side in one run.
 *
 * 1. Generation time: a synthetic capture (test/support/synthetic.ts, default 10M events) is loaded
 *    into DuckDB, then one container's profile is built (queries/seccomp/*.sql + src/seccomp);
 *    load and generation are timed separately.
 * 2. Per real workload (needs root, Docker and `contxray record`): record it from creation,
 *    generate the profile, and print the syscalls allowed by contxray's profile (with and without
 *    the runc base set), by Docker's default, and by a naive list (every syscall seen in the
 *    container's cgroup, ContXRay style); whether the profile works on the first try; and, with
 *    --ablation, minimality: each allowed syscall is removed in turn and the workload rerun — how
 *    many could go without breaking it (recorded names and added names counted apart).
 *
 *   node dist/bench/seccomp.js [--events 10000000] [--no-workloads] [--ablation] [--json]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openAnalysis } from '../src/analyze/db.js';
import { writeSyntheticCapture } from '../test/support/synthetic.js';
import { RUNC_BASE_V1 } from '../src/seccomp/base-sets.js';
import { allowedNames, selectSyscalls } from '../src/seccomp/boundary.js';
import { dockerDefault } from '../src/seccomp/docker-default.js';
import { loadContainerUse } from '../src/seccomp/load.js';
import { buildProfile } from '../src/seccomp/profile.js';
import { ensureDockerd, ensureTestImage } from '../test/helpers/docker.js';
import { WORKLOADS, contxray, runWorkload, sameBehaviour, uniqueName, type Workload } from './seccomp-workloads.js';

interface WorkloadRow {
  workload: string;
  contxray: number;
  withoutBase: number;
  dockerDefault: number;
  naive: number;
  firstTry: boolean;
  removable?: { recorded: string[]; added: string[]; tried: number };
}

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};

async function generationTime(dir: string, events: number) {
  const file = join(dir, 'synthetic.arrow');
  await writeSyntheticCapture(file, { events, containers: 8 });
  let t = performance.now();
  const db = await openAnalysis([file]);
  const loadS = (performance.now() - t) / 1000;
  try {
    t = performance.now();
    const use = await loadContainerUse(db, 'svc-0');
    const sel = selectSyscalls(use.rows, { baseSet: RUNC_BASE_V1 });
    buildProfile(sel, { arch: use.arch });
    return { events, loadS, generateS: (performance.now() - t) / 1000, allowed: allowedNames(sel).length };
  } finally {
    db.close();
  }
}


async function workload(dir: string, w: Workload, ablation: boolean): Promise<WorkloadRow> {
  const name = uniqueName(w.id);
  const capture = join(dir, `${w.id}.arrow`);
  const recorded = await runWorkload(w, { name, recordTo: capture });
  const profileFile = join(dir, `${w.id}.json`);
  const gen = await contxray(['seccomp', capture, '--container', name, '-o', profileFile]);
  if (gen.code !== 0) throw new Error(`seccomp failed: ${gen.stderr}`);
  const profile = JSON.parse(readFileSync(profileFile, 'utf8'));
  const names: string[] = profile.syscalls[0].names;
  const db = await openAnalysis([capture]);
  let naive = 0;
  let withoutBase = 0;
  let recordedNames = new Set<string>();
  try {
    const use = await loadContainerUse(db, name);
    naive = new Set(use.rows.filter((r) => r.name !== null && r.calls > 0n).map((r) => r.name)).size;
    withoutBase = allowedNames(selectSyscalls(use.rows, { baseSet: null })).length;
    recordedNames = new Set([...selectSyscalls(use.rows).allowed.values()].filter((a) => a.sources.has('recorded')).map((a) => a.name));
  } finally {
    db.close();
  }
  const firstTry = sameBehaviour(recorded, await runWorkload(w, { name: uniqueName(`${w.id}-p`), seccomp: profileFile }));
  const row: WorkloadRow = { workload: w.id, contxray: names.length, withoutBase, dockerDefault: dockerDefault('x86_64')!.allowed.length, naive, firstTry };
  if (ablation) {
    const removable = { recorded: [] as string[], added: [] as string[], tried: 0 };
    for (const n of names) {
      const reduced = { ...profile, syscalls: [{ ...profile.syscalls[0], names: names.filter((x) => x !== n) }, ...profile.syscalls.slice(1)] };
      const file = join(dir, `${w.id}-without-${n}.json`);
      writeFileSync(file, JSON.stringify(reduced));
      const r = await runWorkload(w, { name: uniqueName(`${w.id}-a`), seccomp: file, patienceMs: 8000 });
      removable.tried++;
      if (sameBehaviour(recorded, r)) (recordedNames.has(n) ? removable.recorded : removable.added).push(n);
    }
    row.removable = removable;
  }
  return row;
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'contxray-bench-seccomp-'));
  const json = argv.includes('--json');
  try {
    const gen = await generationTime(dir, Number(arg('--events', '10000000')));
    const rows: WorkloadRow[] = [];
    if (!argv.includes('--no-workloads')) {
      await ensureDockerd();
      await ensureTestImage();
      for (const w of WORKLOADS) rows.push(await workload(dir, w, argv.includes('--ablation')));
    }
    if (json) {
      process.stdout.write(`${JSON.stringify({ generation: gen, workloads: rows }, null, 1)}\n`);
      return;
    }
    process.stdout.write(`generation: ${gen.events} events loaded in ${gen.loadS.toFixed(2)} s; profile built in ${gen.generateS.toFixed(3)} s (${gen.allowed} allowed)\n`);
    if (rows.length === 0) return;
    process.stdout.write('workload  contxray  without-base  docker-default  naive(cgroup)  first-try  removable(recorded/added/tried)\n');
    for (const r of rows) {
      const rm = r.removable ? `${r.removable.recorded.length}/${r.removable.added.length}/${r.removable.tried} (${((100 * (r.removable.recorded.length + r.removable.added.length)) / r.removable.tried).toFixed(0)} %)` : 'n/a (--ablation)';
      process.stdout.write(`${r.workload.padEnd(9)} ${String(r.contxray).padStart(8)} ${String(r.withoutBase).padStart(13)} ${String(r.dockerDefault).padStart(15)} ${String(r.naive).padStart(14)} ${String(r.firstTry).padStart(10)}  ${rm}\n`);
      if (r.removable) process.stdout.write(`          removable: recorded [${r.removable.recorded.join(' ')}] added [${r.removable.added.join(' ')}]\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
