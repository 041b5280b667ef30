/**
 * contxray as a library (src/index.ts, package.json `exports`): a program imports the package by
 * name, opens a fixture capture, queries it, streams it and makes a seccomp profile; errors are the
 * exported classes with codes. Two ways: the repository's own build through package self-reference
 * (fast), and the package build (tsconfig.build.json, with .d.ts) installed as node_modules/contxray
 * in a separate project, type-checked by tsc and run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';
import { syscallNumber } from '../../src/syscalls/index.js';
import { packageRoot } from '../../src/util/package-root.js';

const ROOT = packageRoot();
const dir = mkdtempSync(join(tmpdir(), 'contxray-lib-'));
const T0 = 1_764_000_000_000_000_000n;
const ID = 'ab12'.repeat(16);
const CG = 4242;
let capture = '';

function sc(name: string, over: Record<string, unknown> = {}): Row {
  const nr = syscallNumber('x86_64', name);
  assert.ok(nr !== undefined, name);
  return { kind: 'syscall', ts: T0 + 10n, cgroup_id: CG, pid: 100, tid: 100, comm: 'httpd', syscall_nr: nr, compat: false, filtered: true, count: 3n, errors: 0n, denied: 0n, denied_errno: 0, ...over };
}

before(async () => {
  capture = join(dir, 'web.arrow');
  const init = { comm: 'runc:[2:INIT]', pid: 99, tid: 99 };
  await writeCaptureFromRows(capture, {
    startedAtNs: T0,
    rows: [
      { kind: 'container', ts: T0 + 1n, cgroup_id: CG, container_id: ID, container_name: 'web', image: 'i', runtime: 'docker', cgroup_path: `/docker/${ID}`, started_at: T0 + 1n, first_seen: T0 + 1n, last_seen: T0 + 2n },
      sc('execve', { ...init, count: 1n }),
      { kind: 'exec', ts: T0 + 5n, cgroup_id: CG, pid: 99, tid: 99, ppid: 1, uid: 0, comm: 'httpd', filename: '/bin/httpd', argv: ['httpd'], truncated: false },
      sc('accept4'),
      sc('read'),
    ],
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** What a user's program does with the library; prints one JSON line. */
const PROGRAM = `
import { openCaptures, readCapture, generateSeccompProfile, profileJson, CaptureError, SelectionError } from 'contxray';
const [capture] = JSON.parse(process.env.CX_ARGS);
const analysis = await openCaptures([capture]);
const out = {};
try {
  out.containers = (await analysis.all('SELECT name FROM containers WHERE container_id = $id', { id: process.env.CX_ID })).map((r) => r.name);
  out.top = (await analysis.named('top-syscalls', { container: 'web' })).map((r) => r.syscall).sort();
  const g = await generateSeccompProfile(analysis, 'web');
  out.allowed = JSON.parse(profileJson(g.profile)).syscalls[0].names;
  try { await generateSeccompProfile(analysis, 'nginx'); } catch (e) { out.selection = [e instanceof SelectionError, e.code]; }
} finally {
  analysis.close();
}
const reader = await readCapture(capture);
out.host = reader.meta.host.hostname !== undefined;
out.kinds = [...new Set([...reader.batches()].map((b) => b.kind))].sort();
try { await readCapture(capture + '.missing'); } catch (e) { out.missing = [e instanceof CaptureError, e.code, e.name]; }
console.log(JSON.stringify(out));
`;

function checkOutput(stdout: string): void {
  const out = JSON.parse(stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.containers, ['web']);
  assert.deepEqual(out.top, ['accept4', 'execve', 'read']);
  assert.ok(out.allowed.includes('accept4') && out.allowed.includes('read'), String(out.allowed));
  assert.deepEqual(out.selection, [true, 'unknown-container']);
  assert.equal(out.host, true);
  assert.ok(out.kinds.includes('syscall') && out.kinds.includes('container'), String(out.kinds));
  assert.deepEqual(out.missing, [true, 'not-found', 'CaptureError']);
}

test("import('contxray') by package self-reference: open captures, query, named query, seccomp profile, readCapture, typed errors", () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROGRAM], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CX_ARGS: JSON.stringify([capture]), CX_ID: ID } });
  assert.equal(r.status, 0, r.stderr);
  checkOutput(r.stdout);
});

test('the package build ships declarations: a TypeScript project with node_modules/contxray type-checks and runs against it', () => {
  const pkg = join(dir, 'pkg');
  const app = join(dir, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  mkdirSync(pkg);
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // What `npm run build:package` makes, written elsewhere so the running test build stays put.
  let r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  for (const d of ['queries', 'reports', 'data', 'native', 'node_modules']) symlinkSync(join(ROOT, d), join(pkg, d));
  symlinkSync(pkg, join(app, 'node_modules', 'contxray'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module' }));
  writeFileSync(
    join(app, 'use.ts'),
    `import { openCaptures, generateSeccompProfile, CaptureError, type Analysis, type GeneratedProfile } from 'contxray';\n` +
      `export async function allowed(capture: string): Promise<string[]> {\n` +
      `  const a: Analysis = await openCaptures([capture]);\n` +
      `  try { const g: GeneratedProfile = await generateSeccompProfile(a, 'web', { exact: true }); return g.names; } finally { a.close(); }\n` +
      `}\n` +
      `export const isCapture = (e: unknown): boolean => e instanceof CaptureError && e.code === 'not-found';\n` +
      // a wrong call must not type-check: proves the types are real, not any
      `// @ts-expect-error openCaptures takes a list of paths\nvoid openCaptures('one.arrow');\n`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: [] }, files: ['use.ts'] }),
  );
  r = spawnSync(process.execPath, [tsc, '-p', join(app, 'tsconfig.json')], { cwd: app, encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc on the consumer: ${r.stdout}${r.stderr}`);
  writeFileSync(join(app, 'main.mjs'), PROGRAM);
  r = spawnSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8', env: { ...process.env, CX_ARGS: JSON.stringify([capture]), CX_ID: ID } });
  assert.equal(r.status, 0, r.stderr);
  checkOutput(r.stdout);
});
