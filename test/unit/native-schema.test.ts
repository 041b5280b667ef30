/**
 * The native addon's columns follow src/capture/schema.ts, and the event structs in
 * bpf/contxray.h have the layout the decoder was compiled with. No root needed; skips when the
 * addon is not built (fails under CI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { columnsOf, type Kind } from '../../src/capture/schema.js';
import { addonBuilt, NativeRecorder } from '../../src/record/native.js';
import { requireOrSkip } from '../helpers/env.js';

const NATIVE_KINDS: Kind[] = ['syscall', 'exec', 'fork', 'exit', 'open', 'connect', 'accept', 'close'];

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (dir !== '/' && !existsSync(path.join(dir, 'bpf', 'contxray.h'))) dir = path.dirname(dir);
  return dir;
}

test('addon columns equal columnsOf(kind) minus kind, in order, for every recorded kind', (t) => {
  if (!requireOrSkip(t, addonBuilt(), 'native addon not built (npm run build:native)')) return;
  const cols = NativeRecorder.describeColumns();
  assert.deepEqual(Object.keys(cols).sort(), [...NATIVE_KINDS].sort());
  for (const kind of NATIVE_KINDS) {
    const want = columnsOf(kind)
      .filter((c) => c.name !== 'kind')
      .map((c) => [c.name, c.type]);
    assert.deepEqual(cols[kind], want, `columns of ${kind}`);
  }
});

test('bpf/contxray.h layout as gcc sees it equals the decoder (and clang -target bpf asserts the same sizes)', (t) => {
  if (!requireOrSkip(t, addonBuilt(), 'native addon not built (npm run build:native)')) return;
  const layout = NativeRecorder.layout();
  const root = repoRoot();
  const work = mkdtempSync(path.join(os.tmpdir(), 'contxray-layout-'));
  try {
    const lines = Object.keys(layout).map((k) => {
      const [s, f] = k.split('.');
      return f
        ? `  printf("\\"%s\\": %zu,\\n", "${k}", offsetof(struct ${s}, ${f}));`
        : `  printf("\\"%s\\": %zu,\\n", "${k}", sizeof(struct ${s}));`;
    });
    const src = [
      '#include <stddef.h>',
      '#include <stdio.h>',
      '#include <linux/types.h>',
      '#include "contxray.h"',
      'int main(void) {',
      '  printf("{\\n");',
      ...lines,
      '  printf("\\"end\\": 0}\\n");',
      '  return 0;',
      '}',
    ].join('\n');
    writeFileSync(path.join(work, 'layout.c'), src);
    execFileSync('gcc', ['-std=c11', '-I', path.join(root, 'bpf'), '-o', path.join(work, 'layout'), path.join(work, 'layout.c')]);
    const got = JSON.parse(execFileSync(path.join(work, 'layout')).toString()) as Record<string, number>;
    delete got.end;
    assert.deepEqual(got, layout);
    // the BPF side: the header's _Static_asserts must hold for clang -target bpf too
    const clang = (() => {
      try {
        execFileSync('clang', ['--version']);
        return true;
      } catch {
        return false;
      }
    })();
    if (clang) {
      const types = 'typedef unsigned char __u8; typedef unsigned short __u16; typedef unsigned int __u32;\n' +
        'typedef int __s32; typedef unsigned long long __u64; typedef long long __s64;\n';
      writeFileSync(path.join(work, 'bpf.c'), types + '#include "contxray.h"\n');
      execFileSync('clang', ['-target', 'bpf', '-fsyntax-only', '-I', path.join(root, 'bpf'), path.join(work, 'bpf.c')]);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
