/**
 * The recorder when its disk fills up: real BPF, a real (tiny) tmpfs. It must stop with one line
 * saying what the capture holds, exit 4, stop the command it ran, and leave a readable capture.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analysis } from '../../src/analyze/db.js';
import { addonBuilt } from '../../src/record/native.js';
import { IS_ROOT, requireOrSkip } from '../helpers/env.js';
import { BIN, tempDir } from '../helpers/captures.js';

const work = tempDir('contxray-diskfull-');
const mnt = join(work.dir, 'small');
let why = '';
let mounted = false;

before(() => {
  if (!IS_ROOT) why = 'needs root (mounts a tmpfs, records with eBPF)';
  else if (!addonBuilt()) why = 'native addon not built (npm run build:native)';
  else {
    mkdirSync(mnt);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=192k,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
    if (r.status !== 0) why = `cannot mount a tmpfs: ${r.stderr.trim()}`;
    else mounted = true;
  }
});
after(() => {
  if (mounted) spawnSync('umount', [mnt]);
  work.cleanup();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('disk full: one line, exit 4, the command stopped, the capture readable', async (t) => {
  if (!requireOrSkip(t, why === '', why)) return;
  const file = join(mnt, 'full.arrow');
  const pidFile = join(work.dir, 'child.pid');
  // A busy command: thousands of execs (and their opens) a second fill 192 KiB in a few seconds.
  const busy = `echo $$ > ${pidFile}; while :; do /bin/true; done`;
  const rec = spawn(process.execPath, [BIN, 'record', '-o', file, '--host', '--opens', 'all', '--interval', '200ms', '--duration', '60s', '--', 'sh', '-c', busy], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  rec.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => rec.once('exit', r));
  assert.equal(code, 4, stderr);
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  const m = /^contxray: cannot write .*full\.arrow: no space left on device \(ENOSPC\); recording stopped, BPF detached, the command sent SIGTERM\. The capture holds (\d+) events written until \S+Z/.exec(lines[0]!);
  assert.ok(m, lines[0]);
  const reported = Number(m[1]);
  assert.ok(reported > 0, 'some events made it');
  t.diagnostic(lines[0]!);

  const childPid = Number(readFileSync(pidFile, 'utf8').trim());
  for (let i = 0; i < 50 && alive(childPid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(childPid), false, 'the recorded command was stopped');

  const warnings: string[] = [];
  const a = await Analysis.open([file], { onWarning: (w) => warnings.push(w) });
  try {
    assert.ok(warnings.some((w) => /no footer|cut short|damaged|recovered/.test(w)), `a warning says the file was cut: ${warnings}`);
    const [row] = await a.all('SELECT count(*) AS n FROM execs');
    assert.ok((row!.n as bigint) > 0n, 'the execs written before the disk filled are readable');
  } finally {
    a.close();
  }
});
