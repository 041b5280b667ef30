/**
 * The visible-text rule (src/util/visible.ts) and the places that show untrusted text on the
 * terminal: table output, and every CLI error/warning quoting a file name or a captured value,
 * exercised through the real CLI with hostile captures.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';
import { hostileStrings } from '../support/samples.js';
import { formatTable, tableChunks } from '../../src/util/format.js';
import { cutBytes, visible, visibleList } from '../../src/util/visible.js';
import { checkProfile } from '../../src/seccomp/check.js';
import { cli, tempDir, writeScenario } from '../helpers/captures.js';
import { FORMAT_VERSION } from '../../src/capture/schema.js';

// anything a terminal would act on, or that reorders/hides text
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// stderr lines must also carry no raw newline inside a message: checked by the one-line assertions
const RAW_STDERR = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

describe('unit: visible text', () => {
  test('controls, C1, bidi, zero-width and lone surrogates become visible escapes', () => {
    assert.equal(visible('a\u0000b\u001b[31m\n\t\r\u007f\u0085'), 'a\\x00b\\x1b[31m\\n\\t\\r\\x7f\\x85');
    const bidi = '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c';
    assert.equal(visible(bidi), '\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c');
    assert.equal(visible('z\u200bw\u200dj\ufeffb\u2028\u2029'), 'z\\u200bw\\u200dj\\ufeffb\\u2028\\u2029');
    assert.equal(visible('a\ud800b\udfffc'), 'a\\ud800b\\udfffc');
    assert.equal(visible('tag\u{e0041}'), 'tag\\u{e0041}');
    assert.equal(visible('😀 ok é ü 日本'), '😀 ok é ü 日本');
  });
  test('every hostile fixture string comes out without a raw control or bidi character', () => {
    for (const [k, s] of Object.entries(hostileStrings())) assert.doesNotMatch(visible(s, 10_000), RAW, k);
  });
  test('length bound in UTF-8 bytes, on a code-point boundary, with the count left out', () => {
    assert.equal(visible('x'.repeat(300), 10), `${'x'.repeat(10)}…(290 more bytes)`);
    assert.equal(visible('ééé', 4), 'éé…(2 more bytes)');
    const s = visible(`${'a'.repeat(9)}😀tail`, 10);
    assert.equal(s, `${'a'.repeat(9)}…(8 more bytes)`);
    const big = 'y'.repeat(10 * 2 ** 20);
    assert.equal(visible(big, 100), `${'y'.repeat(100)}…(${10 * 2 ** 20 - 100} more bytes)`);
    assert.deepEqual(cutBytes('abc', 3), { kept: 'abc', dropped: 0 });
  });
  test('lists are bounded: first items, then "and N more"', () => {
    const many = Array.from({ length: 1000 }, (_, i) => `c${i}`);
    assert.equal(visibleList(many, 3), 'c0, c1, c2 and 997 more');
  });
});

describe('unit: table output', () => {
  test('bidi overrides and controls in cells and headers are escaped', () => {
    const out = formatTable({ columns: ['n\u202eame'], rows: [['evil\u202egnp.exe\u2066x\u2069'], ['\u001b]0;title\u0007'], ['a\ud800']] }, 'table');
    assert.doesNotMatch(out, RAW);
    assert.match(out, /evil\\u202egnp\.exe\\u2066x\\u2069/);
    assert.match(out, /n\\u202eame/);
  });
  test('200k rows format in every form without overflowing the stack', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [i, `/path/${i}`]);
    const t = { columns: ['n', 'path'], rows };
    const table = formatTable(t, 'table');
    assert.equal(table.split('\n').length, 200_000 + 3);
    assert.match(table, /^ {5}n {2}path\n/);
    assert.equal(JSON.parse(formatTable(t, 'json')).length, 200_000);
    assert.equal(formatTable(t, 'csv').split('\n').length, 200_000 + 2);
    assert.equal(formatTable(t, 'ndjson').split('\n').length, 200_000 + 1);
  });
  test('json form is exactly JSON.stringify(rows, null, 2), produced row by row', () => {
    const t = { columns: ['a', 'b'], rows: [[1, 'x'], [2, ['y', 'z']], [null, { k: 1 }]] };
    const expected = `${JSON.stringify([{ a: 1, b: 'x' }, { a: 2, b: ['y', 'z'] }, { a: null, b: { k: 1 } }], null, 2)}\n`;
    assert.equal(formatTable(t, 'json'), expected);
    assert.equal(formatTable({ columns: ['a'], rows: [] }, 'json'), '[]\n');
    assert.ok([...tableChunks(t, 'json')].length > 2, 'written in pieces');
  });
  test('a --check profile naming 300k syscalls does not overflow the stack (no spread of file-derived lists)', () => {
    const names = Array.from({ length: 300_000 }, (_, i) => (i % 2 ? 'read' : `nosuch${i}`));
    const p = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] };
    const mkdir = { name: 'mkdir', nr: 83, arch: 'x86_64', compat: false, filtered: true, comm: 'sh', calls: 5n, denied: 0n, denied_errno: 0, pids: 1 };
    assert.deepEqual(checkProfile(p, [mkdir], 'x86_64').wouldDeny.map((f) => f.name), ['mkdir']);
  });
  test('a 10 MB cell is cut, not printed whole', () => {
    const out = formatTable({ columns: ['s'], rows: [['\u001b'.repeat(10 * 2 ** 20)]] }, 'table');
    assert.ok(out.length < 1000, `${out.length} characters`);
  });
});

describe('CLI: hostile text on stderr and stdout', () => {
  const work = tempDir('contxray-visible-');
  const good = join(work.dir, 'good.arrow');
  const h = hostileStrings();
  const T0 = 1_764_000_000_000_000_000n;
  const huge = `\u001b]0;pwned\u0007\u202e${'N'.repeat(10 * 2 ** 20)}`;

  function oneCleanLine(stderr: string, pattern: RegExp): string {
    const lines = stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line: ${stderr.slice(0, 2000)}`);
    assert.match(lines[0]!, pattern);
    assert.doesNotMatch(lines[0]!, RAW_STDERR);
    return lines[0]!;
  }

  const ctr = (id: string, name: string, cg: number, startedAt: bigint): Row => ({
    kind: 'container', ts: startedAt, cgroup_id: cg, container_id: id, container_name: name, image: h.control,
    runtime: 'docker', cgroup_path: `/docker/${id}`, started_at: startedAt, first_seen: startedAt, last_seen: startedAt + 1_000_000n,
  });
  const sys = (cg: number): Row => ({
    kind: 'syscall', ts: T0 + 10n, cgroup_id: cg, pid: 100, tid: 100, comm: h.bidi, syscall_nr: 0, compat: false,
    filtered: true, count: 3n, errors: 0n, denied: 0n, denied_errno: 0,
  });
  const hostileCapture = join(work.dir, 'hostile.arrow');

  before(async () => {
    await writeScenario(good);
    // containers named with terminal escapes, bidi overrides and a 10 MB name; the capture starts
    // after the containers did, so seccomp warns about the missed start-up
    await writeCaptureFromRows(hostileCapture, {
      startedAtNs: T0 + 5_000_000_000n,
      rows: [ctr('ab12'.repeat(16), h.control!, 4001, T0), ctr('cd34'.repeat(16), h.bidi!, 4002, T0), ctr('ef56'.repeat(16), huge, 4003, T0), sys(4001), sys(4002), sys(4003)],
    });
  });
  after(() => work.cleanup());

  test('format-version value in the error is escaped (ESC, bidi)', () => {
    const bytes = readFileSync(good).toString('latin1');
    const from = `\x03\x00\x00\x00${FORMAT_VERSION}\x00`;
    assert.ok(bytes.includes(from), `fixture carries format version ${FORMAT_VERSION}`);
    for (const [name, version] of [['esc', '\x1b[m'], ['bidi', Buffer.from('\u202e', 'utf8').toString('latin1')]] as const) {
      const file = join(work.dir, `version-${name}.arrow`);
      writeFileSync(file, Buffer.from(bytes.split(from).join(`\x03\x00\x00\x00${version}\x00`), 'latin1'));
      const r = cli(['analyze', file]);
      assert.equal(r.status, 3, r.stderr);
      const line = oneCleanLine(r.stderr, /unknown capture format version/);
      assert.match(line, name === 'esc' ? /'\\x1b\[m'/ : /'\\u202e'/);
    }
  });

  test('capture names from a glob are escaped in warnings and errors', () => {
    const bytes = readFileSync(good);
    // a capture cut short loads with a warning naming the file
    const name = `cut-\u001b[31m-\u202e-${'\u200b'}.arrow`;
    writeFileSync(join(work.dir, name), bytes.subarray(0, bytes.length - 200));
    const r = cli(['analyze', join(work.dir, 'cut-*.arrow')]);
    assert.equal(r.status, 0, r.stderr);
    const warning = oneCleanLine(r.stderr, /^contxray: warning: /);
    assert.match(warning, /cut-\\x1b\[31m-\\u202e-\\u200b\.arrow/);
    // and in an error: a file that is no capture at all
    writeFileSync(join(work.dir, `bad-\u001b]0;t\u0007.arrow`), 'not arrow');
    const e = cli(['analyze', join(work.dir, 'bad-*.arrow')]);
    assert.equal(e.status, 3, e.stderr);
    assert.match(oneCleanLine(e.stderr, /not an Arrow file/), /bad-\\x1b\]0;t\\x07\.arrow/);
  });

  test("seccomp's no-container error lists the containers escaped and bounded", () => {
    const r = cli(['seccomp', hostileCapture, '--container', 'nosuch', '-o', join(work.dir, 'x.json')]);
    assert.equal(r.status, 2, r.stderr.slice(0, 2000));
    const line = oneCleanLine(r.stderr, /no container 'nosuch'/);
    assert.ok(Buffer.byteLength(r.stderr) < 8192, `stderr is ${Buffer.byteLength(r.stderr)} bytes`);
    assert.match(line, /\\x1b\[31mred/);
    assert.match(line, /evil\\u202egnp/);
    assert.match(line, /more bytes\)/);
  });

  test("seccomp's start warning shows the container name escaped", () => {
    const r = cli(['seccomp', hostileCapture, '--container', 'cd34cd34', '--partial', '-o', join(work.dir, 'y.json')]);
    assert.equal(r.status, 0, r.stderr.slice(0, 2000));
    assert.doesNotMatch(r.stderr, RAW_STDERR, 'the whole summary, not only the warning');
    const warning = r.stderr.split('\n').find((l) => l.includes('start-up calls'));
    assert.ok(warning, r.stderr.slice(0, 2000));
    assert.doesNotMatch(warning, RAW_STDERR);
    assert.match(warning, /'evil\\u202egnp\.exe\\u2066x\\u2069'/);
  });

  test('table output through the CLI: 200k rows, and bidi overrides escaped', () => {
    const out = join(work.dir, 'rows.txt');
    const r = cli(['analyze', good, '--sql', 'SELECT range AS n FROM range(200000)', '-o', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(out, 'utf8').split('\n').length, 200_000 + 3);
    const b = cli(['analyze', good, '--sql', "SELECT 'evil' || chr(8238) || 'gnp.exe' || chr(8294) AS s"]);
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /evil\\u202egnp\.exe\\u2066/);
    assert.doesNotMatch(b.stdout, RAW);
  });
});
