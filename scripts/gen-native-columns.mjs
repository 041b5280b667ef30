#!/usr/bin/env node
// Generates native/columns.gen.h: for every event kind the recorder decodes, the columns of
// src/capture/schema.ts (names, types, order) with the offsetof of the C member that feeds each one
// in bpf/contxray.h. The native decoder (native/decode.cc) walks these tables: the column table in
// schema.ts stays the one declaration of a field, the C struct the one declaration of its layout.
//
// A column is fed by the member of the kind's struct with the same name, looked up in the struct
// itself and then one level down (the `h` header, the `k`/`v` of a syscall row):
//   fixed-width column  <- a member of the matching C type (u32 <- __u32, bool <- __u8, addr <- __u8[16],
//                          timestamp <- __u64 boot-time ns, …); checked here and by static_assert
//   dict/utf8           <- a char array: NUL-terminated within it, or exactly NAME_len bytes when a
//                          NAME_len member exists (bounded by the record's size)
//   dict/utf8/utf8_list <- no member NAME but a NAME_len one: a segment of the struct's last member
//                          (a char array, e.g. cx_exec.data), segments in the order of their _len
//                          members; utf8_list = NUL-separated strings
// Anything else is an error naming the column and the struct.
//
// Needs the compiled schema: run `npm run build` first.
// Usage: node scripts/gen-native-columns.mjs [--check]
//   --check: regenerate in memory and fail if native/columns.gen.h differs (run by
//   test/unit/native-schema.test.ts, so CI verifies it).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, 'native', 'columns.gen.h');
const HEADER = join(root, 'bpf', 'contxray.h');
const SCHEMA = join(root, 'dist', 'src', 'capture', 'schema.js');

/** The C struct of each kind's ring-buffer record (syscall: the row user space builds). */
const KIND_STRUCT = {
  syscall: 'cx_sc_row',
  exec: 'cx_exec',
  fork: 'cx_fork',
  exit: 'cx_exit',
  open: 'cx_open',
  connect: 'cx_sock',
  accept: 'cx_sock',
  close: 'cx_sock',
};

/** Column type -> [decoder type, C member types it may be read from]. */
const FIXED = {
  u8: ['CXT_U8', ['__u8']],
  u16: ['CXT_U16', ['__u16']],
  u32: ['CXT_U32', ['__u32']],
  i32: ['CXT_I32', ['__s32']],
  u64: ['CXT_U64', ['__u64']],
  i64: ['CXT_I64', ['__s64']],
  bool: ['CXT_BOOL', ['__u8']],
  timestamp: ['CXT_TS', ['__u64']],
};
/** Built by user space, never by BPF: not in the object's BTF, left out of the ABI table. */
const HOST_ONLY = new Set(['cx_sc_row']);
const STRINGS = { dict: 'CXT_DICT', utf8: 'CXT_UTF8', utf8_list: 'CXT_UTF8_LIST' };

function fail(msg) {
  console.error(`gen-native-columns: ${msg}`);
  process.exit(1);
}

/** struct name -> [{type, name, array}] in declaration order, from the header's text. */
function parseStructs(text) {
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const structs = new Map();
  for (const m of noComments.matchAll(/struct\s+(\w+)\s*\{([^{}]*)\}\s*;/g)) {
    const members = [];
    for (const decl of m[2].split(';').map((d) => d.trim()).filter(Boolean)) {
      const d = decl.match(/^((?:struct\s+)?\w+)\s+(.+)$/);
      if (!d) fail(`cannot read member "${decl}" of struct ${m[1]}`);
      for (const part of d[2].split(',').map((x) => x.trim())) {
        const a = part.match(/^(\w+)(?:\[(\w+(?:\s*\+\s*\w+)*)\])?$/);
        if (!a) fail(`cannot read member "${part}" of struct ${m[1]}`);
        members.push({ type: d[1], name: a[1], array: a[2] ?? null });
      }
    }
    structs.set(m[1], members);
  }
  return structs;
}

/** The member feeding `name` in struct `s`: its C path (`h.ts`) and declaration, or null. */
function findMember(structs, s, name) {
  const members = structs.get(s);
  const direct = members.find((m) => m.name === name);
  if (direct) return { path: name, m: direct, owner: s };
  for (const outer of members) {
    const inner = outer.type.match(/^struct\s+(\w+)$/);
    if (!inner || outer.array) continue;
    const found = (structs.get(inner[1]) ?? []).find((m) => m.name === name);
    if (found) return { path: `${outer.name}.${name}`, m: found, owner: inner[1], prefix: `${outer.name}.` };
  }
  return null;
}

/** Every (struct, member) the decoder reads, for the ABI check against the BPF object's BTF. */
const abi = new Map();
/** Read by hand in native/ (the kind byte, new-cgroup records, the syscall key's epoch). */
const READ_BY_HAND = [['cx_hdr', 'kind'], ['cx_new_cgroup', 'kind'], ['cx_new_cgroup', 'cgroup_id'], ['cx_sc_key', 'epoch']];
function useMember(owner, member) {
  if (HOST_ONLY.has(owner)) return;
  abi.set(`${owner}.${member}`, [owner, member]);
  abi.set(owner, [owner, '']);
}

function columnEntries(structs, kind, columns) {
  const s = KIND_STRUCT[kind];
  if (!structs.has(s)) fail(`struct ${s} (kind ${kind}) not found in bpf/contxray.h`);
  const members = structs.get(s);
  const last = members[members.length - 1];
  const tailLens = members.filter((m) => m.name.endsWith('_len') && !members.some((x) => x.name === m.name.slice(0, -4)));
  const entries = [];
  const asserts = [];
  let firstVar = null;
  const sz = (path) => `sizeof(((struct ${s} *)0)->${path})`;
  for (const c of columns) {
    if (c.name === 'kind') continue;
    const where = `column ${c.name} (${c.type}) of kind ${kind}`;
    const found = findMember(structs, s, c.name);
    if (found) {
      useMember(found.owner, c.name);
      if (found.prefix) useMember(s, found.prefix.slice(0, -1));
    }
    if (FIXED[c.type]) {
      const [t, ctypes] = FIXED[c.type];
      if (!found) fail(`${where}: struct ${s} has no member ${c.name}`);
      if (found.m.array || !ctypes.includes(found.m.type))
        fail(`${where}: member ${found.path} is ${found.m.type}${found.m.array ? `[${found.m.array}]` : ''}, want ${ctypes.join(' or ')}`);
      entries.push(`{"${c.name}", ${t}, offsetof(struct ${s}, ${found.path}), 0, 0, 0, 0}`);
      asserts.push(`static_assert(${sz(found.path)} == ${c.type === 'u8' || c.type === 'bool' ? 1 : c.type === 'u16' ? 2 : /32/.test(c.type) ? 4 : 8}, "${kind}.${c.name}");`);
    } else if (c.type === 'addr') {
      if (!found || found.m.type !== '__u8' || found.m.array !== '16') fail(`${where}: want a member __u8 ${c.name}[16] in struct ${s}`);
      entries.push(`{"${c.name}", CXT_ADDR, offsetof(struct ${s}, ${found.path}), 0, 0, 0, 0}`);
      asserts.push(`static_assert(${sz(found.path)} == 16, "${kind}.${c.name}");`);
    } else if (STRINGS[c.type]) {
      const t = STRINGS[c.type];
      if (found) {
        if (found.m.type !== 'char' || !found.m.array) fail(`${where}: member ${found.path} is not a char array`);
        const len = findMember(structs, found.owner, `${c.name}_len`);
        if (len) {
          const lenPath = `${found.prefix ?? ''}${c.name}_len`;
          useMember(found.owner, `${c.name}_len`);
          entries.push(`{"${c.name}", ${t}, offsetof(struct ${s}, ${found.path}), ${sz(found.path)}, offsetof(struct ${s}, ${lenPath}), ${sz(lenPath)}, 0}`);
          firstVar ??= found.path;
        } else {
          if (c.type === 'utf8_list') fail(`${where}: a list needs a ${c.name}_len member`);
          entries.push(`{"${c.name}", ${t}, offsetof(struct ${s}, ${found.path}), ${sz(found.path)}, 0, 0, 0}`);
        }
      } else {
        const len = tailLens.find((m) => m.name === `${c.name}_len`);
        if (!len) fail(`${where}: struct ${s} has neither a member ${c.name} nor ${c.name}_len`);
        if (last.type !== 'char' || !last.array) fail(`${where}: the last member of struct ${s} must be the char array holding the strings`);
        const seg = tailLens.indexOf(len) + 1;
        useMember(s, len.name);
        useMember(s, last.name);
        entries.push(`{"${c.name}", ${t}, offsetof(struct ${s}, ${last.name}), ${sz(last.name)}, offsetof(struct ${s}, ${len.name}), ${sz(len.name)}, ${seg}}`);
        firstVar ??= last.name;
      }
    } else {
      fail(`${where}: unknown column type`);
    }
  }
  for (const len of tailLens)
    if (!columns.some((c) => `${c.name}_len` === len.name)) fail(`kind ${kind}: string area ${len.name} of struct ${s} has no column`);
  const minSize = firstVar ? `offsetof(struct ${s}, ${firstVar})` : `sizeof(struct ${s})`;
  return { s, entries, asserts, minSize, segments: tailLens.length };
}

async function generate() {
  if (!existsSync(SCHEMA)) fail('dist/src/capture/schema.js not found: run `npm run build` first');
  const { columnsOf } = await import(pathToFileURL(SCHEMA).href);
  const structs = parseStructs(readFileSync(HEADER, 'utf8'));
  const out = [
    '// Generated by scripts/gen-native-columns.mjs from src/capture/schema.ts and bpf/contxray.h: do not edit.',
    '// Per kind, the columns in schema order and where each value lives in the C record (see',
    '// native/columns.h for the fields; native/decode.cc walks these tables).',
    '#pragma once',
    '#include <stddef.h>',
    '#include "columns.h"',
    '',
  ];
  const kinds = [];
  for (const kind of Object.keys(KIND_STRUCT)) {
    const k = columnEntries(structs, kind, columnsOf(kind));
    const id = `CX_COLS_${kind.toUpperCase()}`;
    out.push(`static const struct cx_col ${id}[] = {`, ...k.entries.map((e) => `    ${e},`), '};');
    out.push(...k.asserts, '');
    const enumName = kind === 'syscall' ? '0' : `CX_${kind.toUpperCase()}`;
    kinds.push(`    {${enumName}, "${kind}", ${id}, sizeof(${id}) / sizeof(${id}[0]), ${k.minSize}, ${k.segments}},`);
  }
  out.push('// kind 0: the syscall row built by user space (struct cx_sc_row), not a ring-buffer record');
  out.push('static const struct cx_kind_cols CX_KIND_COLS[] = {', ...kinds, '};', '');
  out.push('// every member read above (and each struct\'s size): compared with the BPF object\'s BTF by', '// test/unit/native-schema.test.ts');
  for (const [owner, member] of READ_BY_HAND) useMember(owner, member);
  out.push('static const struct cx_abi_member CX_ABI[] = {');
  for (const [owner, member] of [...abi.values()].sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1])))
    out.push(member
      ? `    {"${owner}", "${member}", offsetof(struct ${owner}, ${member}), sizeof(((struct ${owner} *)0)->${member})},`
      : `    {"${owner}", "", 0, sizeof(struct ${owner})},`);
  out.push('};', '');
  return out.join('\n');
}

const text = await generate();
if (process.argv.includes('--check')) {
  const have = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  if (have !== text) {
    console.error('gen-native-columns: native/columns.gen.h is out of date: run node scripts/gen-native-columns.mjs');
    process.exit(1);
  }
  console.log('gen-native-columns: native/columns.gen.h is up to date');
} else {
  writeFileSync(OUT, text);
  console.log('gen-native-columns: wrote native/columns.gen.h');
}
