/**
 * One declaration per event field (src/capture/schema.ts): the Arrow schema, the DuckDB tables and
 * the format documentation follow it. (The native decoder and the C structs are checked against it
 * in native-schema.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { captureSchema } from '../../src/capture/arrow-types.js';
import { COLUMNS, KINDS, columnsOf } from '../../src/capture/schema.js';
import { kindColumns, tableDdl } from '../../src/analyze/load.js';

test('the Arrow schema has every declared column, in order, all nullable', () => {
  const schema = captureSchema(new Map());
  assert.deepEqual(schema.fields.map((f) => f.name), COLUMNS.map((c) => c.name));
  assert.ok(schema.fields.every((f) => f.nullable));
});

test('every kind has a DuckDB table with exactly its declared columns', () => {
  const ddl = tableDdl();
  for (const kind of KINDS) {
    const line = ddl.split('\n').find((l) => l.startsWith(`CREATE TABLE ev_${kind} `))!;
    const names = [...line.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
    assert.deepEqual(names, kindColumns(kind).map((c) => c.name), kind);
    assert.ok(columnsOf(kind).some((c) => c.name === 'ts'), `${kind} has a timestamp`);
  }
});

test('docs/capture-format.md names every column and every kind', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/capture-format.md', import.meta.url)), 'utf8');
  for (const c of COLUMNS) assert.match(doc, new RegExp(`\\b${c.name}\\b`), `column ${c.name} is documented`);
  for (const k of KINDS) assert.match(doc, new RegExp('`' + k + '`'), `kind ${k} is documented`);
});
