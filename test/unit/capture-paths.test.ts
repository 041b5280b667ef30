/**
 * Capture arguments: globs expand like the shell's (`*`, `?`, `[…]`), a file whose name holds glob
 * characters is itself (captures are named by whoever wrote them: `cut-\x1b[31m.arrow` once crashed
 * the expansion with an invalid regular expression), an unterminated `[` is literal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expandCapturePaths } from '../../src/analyze/paths.js';

function dirWith(names: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'contxray-paths-'));
  for (const n of names) writeFileSync(join(dir, n), '');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const names = (paths: string[]) => paths.map((p) => basename(p));

test('globs: *, ? and bracket classes (ranges, negation) as in the shell', () => {
  const t = dirWith(['a1.arrow', 'a2.arrow', 'b1.arrow', 'ab.arrow']);
  try {
    assert.deepEqual(names(expandCapturePaths([join(t.dir, 'a*.arrow')])), ['a1.arrow', 'a2.arrow', 'ab.arrow']);
    assert.deepEqual(names(expandCapturePaths([join(t.dir, '?1.arrow')])), ['a1.arrow', 'b1.arrow']);
    assert.deepEqual(names(expandCapturePaths([join(t.dir, 'a[0-9].arrow')])), ['a1.arrow', 'a2.arrow']);
    assert.deepEqual(names(expandCapturePaths([join(t.dir, 'a[!0-9].arrow')])), ['ab.arrow']);
  } finally {
    t.cleanup();
  }
});

test('a file whose name holds glob characters is taken as itself, also after a glob matched it', () => {
  const hostile = 'cut-\u001b[31m-\u202e-\u200b.arrow';
  const t = dirWith([hostile, 'x[1].arrow', 'x1.arrow']);
  try {
    const viaGlob = expandCapturePaths([join(t.dir, 'cut-*')]);
    assert.deepEqual(names(viaGlob), [hostile]);
    assert.deepEqual(expandCapturePaths(viaGlob), viaGlob, 'expanding the expansion again changes nothing');
    assert.deepEqual(names(expandCapturePaths([join(t.dir, 'x[1].arrow')])), ['x[1].arrow'], 'the file, not x1.arrow');
  } finally {
    t.cleanup();
  }
});

test('an unterminated [ or a reversed range is literal: no match is an error, never a crash', () => {
  const t = dirWith(['a[b.arrow']);
  try {
    assert.deepEqual(names(expandCapturePaths([join(t.dir, 'a[*.arrow')])), ['a[b.arrow']);
    assert.throws(() => expandCapturePaths([join(t.dir, 'q[z-a]*.arrow')]), /no capture matches/);
  } finally {
    t.cleanup();
  }
});
