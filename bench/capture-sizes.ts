/**
 * Bytes on disk per event, for each kind, in a capture: each record batch's message (metadata +
 * compressed body) is attributed to its kind; dictionary batches, the schema (which carries the
 * syscall table) and the footer are shown apart. Block sizes come from the file's footer.
 *
 *   npm run bench -- capture-sizes FILE...
 */
import { readFileSync, statSync } from 'node:fs';
import { RecordBatchFileReader } from 'apache-arrow';
import { CaptureReader } from '../src/capture/reader.js';

interface Block {
  metaDataLength: number;
  bodyLength: number;
}

/** apache-arrow keeps the parsed footer on its reader implementation; it has no public accessor. */
function footerBlocks(path: string): { batches: Block[]; dictionaries: Block[] } {
  const r = RecordBatchFileReader.from(readFileSync(path));
  r.open();
  const footer = (r as unknown as { _impl: { _footer: { recordBatches(): Iterable<Block>; dictionaryBatches(): Iterable<Block> } } })._impl._footer;
  return { batches: [...footer.recordBatches()], dictionaries: [...footer.dictionaryBatches()] };
}

export async function sizesOf(path: string): Promise<string> {
  const reader = await CaptureReader.open(path); // registers the ZSTD codec too
  const { batches, dictionaries } = footerBlocks(path);
  const perKind = new Map<string, { rows: number; bytes: number; batches: number }>();
  let i = 0;
  for (const { kind, batch } of reader.batches()) {
    const b = batches[i++]!;
    const k = perKind.get(kind) ?? { rows: 0, bytes: 0, batches: 0 };
    k.rows += batch.numRows;
    k.bytes += b.metaDataLength + Number(b.bodyLength);
    k.batches++;
    perKind.set(kind, k);
  }
  const dictBytes = dictionaries.reduce((n, b) => n + b.metaDataLength + Number(b.bodyLength), 0);
  const total = statSync(path).size;
  const counted = [...perKind.values()].reduce((n, k) => n + k.bytes, 0) + dictBytes;
  const lines = [`${path}: ${total} bytes`, '| kind | events | batches | bytes | bytes/event |', '|---|--:|--:|--:|--:|'];
  for (const [kind, k] of perKind) lines.push(`| ${kind} | ${k.rows} | ${k.batches} | ${k.bytes} | ${(k.bytes / k.rows).toFixed(1)} |`);
  lines.push(`| dictionaries (${dictionaries.length} batches) | | | ${dictBytes} | |`);
  lines.push(`| schema, syscall table, footer | | | ${total - counted} | |`);
  return lines.join('\n');
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  for (const path of argv) console.log(`${await sizesOf(path)}\n`);
}
