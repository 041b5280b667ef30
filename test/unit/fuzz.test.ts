import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, writeScenario } from '../helpers/captures.js';

const WORKER = fileURLToPath(new URL('../helpers/fuzz-worker.js', import.meta.url));
const CASES = Number(process.env.CONTXRAY_FUZZ_CASES ?? 300);

test(`fuzz: ${CASES} random mutations of a valid capture each end in a clean error or a clean read`, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const valid = join(dir, 'valid.arrow');
    await writeScenario(valid);
    const seed = Number(process.env.CONTXRAY_FUZZ_SEED ?? Date.now() % 1e9);
    // Generous budget: "within seconds" per case, on a shared, noisy machine.
    const r = spawnSync(process.execPath, [WORKER, valid, join(dir, 'mutant.arrow'), String(CASES), String(seed)], { encoding: 'utf8', timeout: CASES * 2000 });
    assert.equal(r.signal, null, `worker hung or crashed (seed ${seed}); last output: ${r.stdout.split('\n').slice(-3).join(' | ')} ${r.stderr}`);
    assert.equal(r.status, 0, `worker failed (seed ${seed}): ${r.stderr}`);
    const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { i: number; how: string; outcome: string; message: string });
    assert.equal(results.length, CASES, 'every case reported');
    const crashes = results.filter((x) => x.outcome === 'crash');
    assert.deepEqual(crashes, [], `seed ${seed}`);
    const counts = results.reduce<Record<string, number>>((m, x) => ((m[x.outcome] = (m[x.outcome] ?? 0) + 1), m), {});
    assert.ok((counts.error ?? 0) > 0 && (counts.recovered ?? 0) > 0, `mutations exercise both paths: ${JSON.stringify(counts)}`);
  } finally {
    cleanup();
  }
});
