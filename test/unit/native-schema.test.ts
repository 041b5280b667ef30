/**
 * The native addon's columns follow src/capture/schema.ts (through the generated
 * native/columns.gen.h, checked to be current), and the BPF object lays out every record member
 * the decoder reads where the decoder's compiler does (BTF of bpf/.output/contxray.bpf.o against
 * the addon's offsetof). No root needed; skips when the addon is not built (fails under CI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { columnsOf, type Kind } from '../../src/capture/schema.js';
import { addonBuilt, addonErrorMessage, addonOptions, NativeRecorder } from '../../src/record/native.js';
import { UsageError } from '../../src/util/errors.js';
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

test('native/columns.gen.h is what scripts/gen-native-columns.mjs makes of the schema and bpf/contxray.h', () => {
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'scripts', 'gen-native-columns.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number }[];
}

/** Byte size of a BTF type (through typedefs, qualifiers and arrays). */
function btfSize(types: Map<number, BtfType>, id: number): number {
  const t = types.get(id);
  if (!t) throw new Error(`BTF type ${id} missing`);
  if (t.kind === 'ARRAY') return t.nr_elems! * btfSize(types, t.type_id!);
  if (t.kind === 'PTR') return 8;
  if (t.size !== undefined) return t.size;
  return btfSize(types, t.type_id!);
}

test("every member the decoder reads sits at the same offset, with the same size, in the BPF object's BTF", (t) => {
  if (!requireOrSkip(t, addonBuilt(), 'native addon not built (npm run build:native)')) return;
  const obj = path.join(repoRoot(), 'bpf', '.output', 'contxray.bpf.o');
  if (!requireOrSkip(t, existsSync(obj), 'BPF object not built (npm run build:native)')) return;
  const dump = spawnSync('bpftool', ['-j', 'btf', 'dump', 'file', obj], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (!requireOrSkip(t, dump.status === 0, `bpftool btf dump failed: ${dump.error?.message ?? dump.stderr}`)) return;
  const types = new Map<number, BtfType>();
  const structs = new Map<string, BtfType>();
  for (const ty of (JSON.parse(dump.stdout) as { types: BtfType[] }).types) {
    types.set(ty.id, ty);
    if (ty.kind === 'STRUCT') structs.set(ty.name, ty);
  }
  const host = NativeRecorder.layout();
  assert.ok(host.length > 40, 'the decoder reports its members');
  const wrong: string[] = [];
  for (const m of host) {
    const s = structs.get(m.struct);
    if (!s) {
      wrong.push(`struct ${m.struct}: not in the BPF object's BTF`);
      continue;
    }
    if (m.member === '') {
      if (s.size !== m.size) wrong.push(`sizeof(struct ${m.struct}): BPF ${s.size}, decoder ${m.size}`);
      continue;
    }
    const b = s.members?.find((x) => x.name === m.member);
    if (!b) wrong.push(`${m.struct}.${m.member}: not in the BPF struct`);
    else if (b.bits_offset !== 8 * m.offset || btfSize(types, b.type_id) !== m.size)
      wrong.push(`${m.struct}.${m.member}: BPF offset ${b.bits_offset / 8} size ${btfSize(types, b.type_id)}, decoder offset ${m.offset} size ${m.size}`);
  }
  assert.deepEqual(wrong, [], 'the BPF programs and the decoder lay the records out alike');
});

test('addon failures become one line; options are validated and defaulted in TypeScript', () => {
  assert.equal(
    addonErrorMessage({ code: 'load', program: 'sys_enter', detail: 'Permission denied', log: "R1 invalid mem access 'scalar'" }),
    "loading the BPF programs was refused: Permission denied (prog 'sys_enter': R1 invalid mem access 'scalar')",
  );
  assert.equal(
    addonErrorMessage({ code: 'load', program: '', detail: 'Operation not permitted', log: 'Error in probe\nmore' }),
    'loading the BPF programs was refused: Operation not permitted (Error in probe)',
  );
  assert.equal(addonErrorMessage({ code: 'tracepoint', program: 'tp_btf/sys_enter', detail: 'No such file or directory' }), 'tracepoint tp_btf/sys_enter is missing on this kernel');
  assert.deepEqual(addonOptions({ opens: 'host' }), {
    opensMode: 1,
    ringBufferBytes: 16 << 20,
    maxPendingBytes: 512 << 20,
    maxArgvBytes: 16384,
    floorOnly: false,
  });
  assert.equal(addonOptions({ opens: 'all', ringBufferBytes: 5000 }).ringBufferBytes, 8192);
  assert.throws(() => addonOptions({ opens: 'host', maxArgvBytes: 0 }), (e: unknown) => e instanceof UsageError && e.code === 'bad-option');
  assert.throws(() => addonOptions({ opens: 'bogus' as 'host' }), (e: unknown) => e instanceof UsageError && e.code === 'bad-option');
});
