import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCgroupPath, type CgroupContainer } from '../../src/containers/cgroup-path.js';

// Compiled to dist/test/unit/, so the repository root is three levels up.
const SAMPLES = fileURLToPath(new URL('../../../fixtures/cgroup-paths/samples.tsv', import.meta.url));

interface Sample {
  line: number;
  path: string;
  expected: CgroupContainer | null;
}

function loadSamples(): Sample[] {
  const samples: Sample[] = [];
  readFileSync(SAMPLES, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (text.trim() === '' || text.startsWith('#')) return;
      const [path, expectation] = text.split('\t');
      assert.ok(path !== undefined && expectation !== undefined, `samples.tsv:${index + 1} needs a TAB`);
      let expected: CgroupContainer | null = null;
      if (expectation !== 'null') {
        const [runtime, id, podUid] = expectation.split(' ');
        expected = { runtime: runtime as CgroupContainer['runtime'], id: id! };
        if (podUid) expected.podUid = podUid;
      }
      samples.push({ line: index + 1, path, expected });
    });
  return samples;
}

test('every sample in fixtures/cgroup-paths parses as expected', () => {
  const samples = loadSamples();
  assert.ok(samples.length >= 40, 'the sample file should not shrink unnoticed');
  assert.ok(samples.some((s) => s.expected === null), 'negatives present');
  for (const { line, path, expected } of samples) {
    assert.deepEqual(parseCgroupPath(path), expected, `samples.tsv:${line} ${path}`);
  }
});

test('every runtime and both pod uid spellings are covered by the samples', () => {
  const samples = loadSamples();
  const runtimes = new Set(samples.map((s) => s.expected?.runtime).filter(Boolean));
  for (const r of ['docker', 'containerd', 'cri-o', 'podman', 'kubernetes', 'unknown']) {
    assert.ok(runtimes.has(r as CgroupContainer['runtime']), `a sample for ${r}`);
  }
  assert.ok(samples.some((s) => s.expected?.podUid && s.path.includes('_')), 'systemd pod uid (underscores)');
  assert.ok(samples.some((s) => s.expected?.podUid && s.path.includes('/pod' + s.expected.podUid)), 'cgroupfs pod uid');
});

test('paths with or without a leading or trailing slash give the same answer', () => {
  const id = 'ab'.repeat(32);
  const expected = { runtime: 'docker', id };
  assert.deepEqual(parseCgroupPath(`/docker/${id}`), expected);
  assert.deepEqual(parseCgroupPath(`docker/${id}`), expected);
  assert.deepEqual(parseCgroupPath(`/docker/${id}/`), expected);
  assert.equal(parseCgroupPath(''), null);
});
