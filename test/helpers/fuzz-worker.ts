/**
 * Child process for the fuzz test: applies N random mutations to a valid capture and loads each one
 * fully (reader, validation, DuckDB load, a query over every view). Prints one JSON line per case.
 * Run as a child so a crash or a hang is caught by the parent instead of killing the test runner.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Analysis } from '../../src/analyze/db.js';
import { ContxrayError } from '../../src/util/errors.js';

const [source, out, countText, seedText] = process.argv.slice(2);
const original = readFileSync(source!);
let s = Number(seedText) >>> 0 || 1;
const rand = (n: number) => {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return (s >>> 0) % n;
};

function mutate(): { how: string; bytes: Buffer } {
  const b = Buffer.from(original);
  switch (rand(4)) {
    case 0: {
      const flips = 1 + rand(8);
      for (let i = 0; i < flips; i++) b[rand(b.length)]! ^= 1 << rand(8);
      return { how: `flip ${flips} bits`, bytes: b };
    }
    case 1: {
      const at = rand(b.length);
      return { how: `truncate at ${at}`, bytes: b.subarray(0, at) };
    }
    case 2: {
      const from = rand(b.length);
      const to = rand(b.length);
      const len = 1 + rand(64);
      original.copy(b, to, from, Math.min(b.length, from + len));
      return { how: `splice ${len} bytes ${from}->${to}`, bytes: b };
    }
    default: {
      const at = rand(b.length);
      const junk = Buffer.alloc(1 + rand(32), rand(256));
      return { how: `insert ${junk.length} bytes at ${at}`, bytes: Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]) };
    }
  }
}

for (let i = 0; i < Number(countText); i++) {
  const { how, bytes } = mutate();
  writeFileSync(out!, bytes);
  const warnings: string[] = [];
  try {
    const a = await Analysis.open([out!], { onWarning: (w) => warnings.push(w) });
    try {
      for (const v of ['captures', 'containers', 'syscalls', 'execs', 'processes', 'opens', 'connections', 'stats']) await a.all(`SELECT * FROM ${v}`);
    } finally {
      a.close();
    }
    console.log(JSON.stringify({ i, how, outcome: warnings.length ? 'recovered' : 'read', message: warnings[0] ?? '' }));
  } catch (err) {
    const clean = err instanceof ContxrayError && !err.message.includes('\n');
    console.log(JSON.stringify({ i, how, outcome: clean ? 'error' : 'crash', message: String(err instanceof Error ? err.stack : err) }));
  }
}
