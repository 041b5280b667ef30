/**
 * `record --force` as root over files planted by another user (`nobody`) in a sticky shared dir:
 * the real CLI with real BPF. The planted symlink's target must stay untouched and the capture
 * must end a 0600 regular file owned by root.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analysis } from '../../src/analyze/db.js';
import { addonBuilt } from '../../src/record/native.js';
import { IS_ROOT, requireOrSkip } from '../helpers/env.js';
import { BIN, tempDir } from '../helpers/captures.js';

const work = tempDir('contxray-recforce-');
after(() => work.cleanup());

test('record --force replaces a planted symlink without following it; the capture is 0600 and readable', async (t) => {
  if (!requireOrSkip(t, IS_ROOT && addonBuilt(), IS_ROOT ? 'native addon not built (npm run build:native)' : 'needs root (eBPF, runuser)')) return;
  chmodSync(work.dir, 0o755);
  const shared = join(work.dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const victim = join(work.dir, 'victim');
  writeFileSync(victim, 'keep\n', { mode: 0o644 });
  const out = join(shared, 'trace.arrow');
  assert.equal(spawnSync('runuser', ['-u', 'nobody', '--', 'ln', '-s', victim, out]).status, 0);

  const run = (...extra: string[]) => spawnSync(process.execPath, [BIN, 'record', '-o', out, '--duration', '1s', ...extra], { encoding: 'utf8' });
  const refused = run();
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /^contxray: .*trace\.arrow exists \(a symlink to ".*victim"\); --force replaces it atomically, without following links\n$/);

  const forced = run('--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(readFileSync(victim, 'utf8'), 'keep\n', 'the link target was not written');
  const st = lstatSync(out);
  assert.ok(st.isFile());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.uid, 0);
  const warnings: string[] = [];
  const a = await Analysis.open([out], { onWarning: (w) => warnings.push(w) });
  a.close();
  assert.deepEqual(warnings, [], 'a complete capture');
});
