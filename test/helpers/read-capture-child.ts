/**
 * Child for the big-file test: reads a capture with CaptureReader (every batch, validated) and
 * prints rows, batches, the warning and the process's peak RSS, so the parent can check that
 * memory does not follow the file's size.
 */
import { readFileSync } from 'node:fs';
import { CaptureReader } from '../../src/capture/reader.js';

const reader = await CaptureReader.open(process.argv[2]!);
let rows = 0;
let batches = 0;
for (const { batch } of reader.batches()) {
  rows += batch.numRows;
  batches++;
}
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
console.log(JSON.stringify({ rows, batches, warning: reader.warning(), peakMb: Number(hwm?.[1] ?? NaN) / 1024 }));
