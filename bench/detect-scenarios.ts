/**
 * `npm run bench -- detect-scenarios [--keep DIR] [--seconds 40] [--at 20] [--window 5s]`: the
 * detector on real Docker recordings (issue 11's Evaluation). bench/detect-scenarios/scenario.sh
 * runs three services (web, client, worker) and an attacker box; every run is recorded for real
 * with `contxray record`. Five normal runs: three are the baseline (the threshold comes from
 * leave-one-recording-out validation inside them), two are held out for false alarms. Eight attack
 * runs inject one attack each into its victim at --at seconds. Per attack: detected, time to detect
 * (end of the first flagged window − attack start), whether the top-3 reasons name the injected
 * behaviour; false-alarm windows on the held-out runs; window-level ROC AUC (positives: the victim's
 * windows overlapping the attack span; negatives: every window of the held-out normal runs; the
 * attacked runs' other windows are neither), ranked by the detector's own decision (decision()).
 * Then
 * scikit-learn's IsolationForest on the same feature matrices as our plain forest, and the ablation.
 *
 * Recording needs root, BPF, Docker and the native addon (`npm run build:native`). Captures are
 * cached: with --keep DIR they are kept in DIR and re-used by the next run (delete DIR to record
 * again); without it they go to a private temp dir removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openAnalysis } from '../src/analyze/db.js';
import { loadFacts } from '../src/detect/facts.js';
import { detect, matchGroup, trainModel } from '../src/detect/detect.js';
import { DEFAULT_OPTIONS, scoreSeries, trainingRows, type DetectOptions, type Series } from '../src/detect/model.js';
import { auc, spearman } from '../src/detect/metrics.js';
import { matrix } from '../src/detect/forest.js';
import { parseDuration } from '../src/util/duration.js';
import { ensureTestImage, TEST_IMAGE, TEST_LABEL } from '../test/helpers/docker.js';
import { opt } from './lib/measure.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'contxray.js');
const SCENARIO = join(ROOT, 'bench', 'detect-scenarios', 'scenario.sh');
const ESCAPE_SRC = join(ROOT, 'bench', 'detect-scenarios', 'escape.c');
const PY = join(ROOT, 'bench', 'detect_sklearn.py');
const VICTIMS = ['cxd-s-web', 'cxd-s-client', 'cxd-s-worker'];

/** Each attack: its victim and what a top-3 reason must say to name the injected behaviour. */
const ATTACKS: Record<string, { victim: string; names: RegExp }> = {
  'reverse-shell': { victim: 'cxd-s-client', names: /\/bin\/nc|nc 10\.231\.78\.66 4444|-e \/bin\/sh|10\.231\.78\.66/ },
  'port-scan': { victim: 'cxd-s-client', names: /\d+ ports|failed connects/ },
  'secret-read': { victim: 'cxd-s-web', names: /\/host\/(shadow|id_rsa)/ },
  dropper: { victim: 'cxd-s-worker', names: /\/tmp\/x|10\.231\.78\.66/ },
  'cpu-burn': { victim: 'cxd-s-worker', names: /CPU/ },
  escape: { victim: 'cxd-s-worker', names: /ptrace|keyctl|unshare|mount|\/tools\/escape/ },
  exfiltration: { victim: 'cxd-s-worker', names: /10\.231\.78\.66|sent/ },
  'fork-bomb': { victim: 'cxd-s-worker', names: /fork|process/ },
};
const NORMAL = ['normal-1', 'normal-2', 'normal-3', 'normal-4', 'normal-5'];
const BASELINE = NORMAL.slice(0, 3);
const HELD_OUT = NORMAL.slice(3);

interface Run {
  name: string;
  attack: string | null;
  series: Series[];
  /** The victim's attack span (epoch ns), from the marks the scenario prints. */
  span: [bigint, bigint] | null;
}

function record(dir: string, name: string, attack: string, seconds: number, at: number, escapeBin: string): void {
  const work = join(dir, name);
  const out = join(dir, `${name}.arrow`);
  if (existsSync(out) && existsSync(join(work, 'marks.txt'))) return;
  rmSync(out, { force: true });
  mkdirSync(work, { recursive: true, mode: 0o700 });
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'record', '-o', out, ...VICTIMS.flatMap((c) => ['-c', c]), '--', 'bash', SCENARIO, work, String(seconds), attack, String(at)], {
    encoding: 'utf8',
    timeout: (seconds + 240) * 1000,
    env: { ...process.env, CONTXRAY_IMAGE: TEST_IMAGE, CONTXRAY_LABEL: TEST_LABEL, ESCAPE_BIN: escapeBin },
  });
  if (r.status !== 0) throw new Error(`record ${name} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  console.log(`recorded ${name} in ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

function marks(dir: string, name: string, victim: string): [bigint, bigint] | null {
  const lines = readFileSync(join(dir, name, 'marks.txt'), 'utf8').split('\n');
  const at = (what: string) => {
    const l = lines.find((x) => x.startsWith(`${victim} ${what} `));
    return l ? BigInt(Date.parse(l.split(' ')[2]!)) * 1_000_000n : null;
  };
  const s = at('start');
  const e = at('end');
  return s !== null && e !== null ? [s, e] : null;
}

async function loadSeries(path: string, windowMs: number): Promise<Series[]> {
  const a = await openAnalysis([path]);
  try {
    return [...(await loadFacts(a, windowMs)).values()];
  } finally {
    a.close();
  }
}

const overlaps = (startNs: bigint, endNs: bigint, span: [bigint, bigint]) => startNs <= span[1] && endNs > span[0];

/**
 * The detector's decision as a number, for the AUC: a window is anomalous when a rule fired or its
 * score exceeds its own threshold (groups, and lifecycle windows, have different thresholds, so raw
 * scores of different containers are not comparable). Rule-flagged windows rank above all others.
 */
const decision = (r: { rules: string[]; score: number; threshold: number }) => (r.rules.length > 0 ? 2 : 0) + r.score - r.threshold;

interface Outcome {
  detected: Record<string, { ttd: number | null; named: boolean; score: number; threshold: number; reasons: string[] }>;
  falseAlarms: number;
  normalWindows: number;
  auc: number;
  falseTexts: string[];
}

function evaluate(baseline: Series[], runs: Run[], windowMs: number, options: DetectOptions): Outcome {
  const model = trainModel(baseline, windowMs, 'name', options);
  const out: Outcome = { detected: {}, falseAlarms: 0, normalWindows: 0, auc: NaN, falseTexts: [] };
  const scores: number[] = [];
  const labels: boolean[] = [];
  for (const run of runs) {
    const rows = detect(model, run.series, { windowMs, options }).rows;
    const rank = decision;
    if (run.attack === null) {
      for (const r of rows) {
        scores.push(rank(r));
        labels.push(false);
        out.normalWindows++;
        if (r.anomalous) {
          out.falseAlarms++;
          out.falseTexts.push(`${run.name} ${r.container} ${r.window_start.slice(11, 19)}${r.lifecycle ? ' (start/exit)' : ''} ${r.score.toFixed(3)}/${r.threshold.toFixed(3)} ${r.reasons.slice(0, 2).map((x) => x.text).join(' | ')}`);
        }
      }
      continue;
    }
    const { victim, names } = ATTACKS[run.attack]!;
    const span = run.span!;
    const hit = rows.filter((r) => r.container === victim && overlaps(BigInt(Date.parse(r.window_start)) * 1_000_000n, BigInt(Date.parse(r.window_end)) * 1_000_000n, span));
    for (const r of hit) {
      scores.push(rank(r));
      labels.push(true);
    }
    const first = hit.find((r) => r.anomalous);
    const best = [...hit].sort((a, b) => rank(b) - rank(a))[0];
    out.detected[run.attack] = {
      ttd: first ? Math.max(0, (Date.parse(first.window_end) - Number(span[0] / 1_000_000n)) / 1000) : null,
      named: first ? first.reasons.slice(0, 3).some((x) => names.test(x.text)) : false,
      score: best?.score ?? NaN,
      threshold: best?.threshold ?? NaN,
      reasons: (first ?? best)?.reasons.slice(0, 3).map((x) => x.text) ?? [],
    };
  }
  out.auc = auc(scores, labels);
  return out;
}

/** scikit-learn vs our plain forest on the same matrices: per group, baseline rows → scored rows. */
function sklearnSideBySide(dir: string, baseline: Series[], runs: Run[], windowMs: number): void {
  const options: DetectOptions = { ...DEFAULT_OPTIONS, extension: 'none', weighting: false, groupShares: false, smoothing: 1, riskyRule: false, burstRule: false, driftRule: false, surgeRule: false };
  const model = trainModel(baseline, windowMs, 'name', options);
  const ours: number[] = [];
  const theirs: number[] = [];
  const labels: boolean[] = [];
  for (const g of model.groups) {
    const train = trainingRows(g, baseline.filter((s) => matchGroup(model, s.ref) === g), windowMs, options);
    const test: number[][] = [];
    for (const run of runs) {
      for (const s of run.series) {
        if (matchGroup(model, s.ref) !== g) continue;
        for (const x of scoreSeries(g, s, windowMs, options)) {
          const label = run.attack !== null && ATTACKS[run.attack]!.victim === s.ref.name && overlaps(x.facts.startNs, x.facts.endNs, run.span!);
          if (run.attack !== null && !label) continue;
          test.push(x.row);
          ours.push(x.score);
          labels.push(label);
        }
      }
    }
    if (test.length === 0) continue;
    const csv = (rows: number[][]) => `${rows.map((r) => r.join(',')).join('\n')}\n`;
    writeFileSync(join(dir, 'train.csv'), csv(train));
    writeFileSync(join(dir, 'test.csv'), csv(test));
    const r = spawnSync('python3', [PY, join(dir, 'train.csv'), join(dir, 'test.csv'), '1'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`scikit-learn failed: ${r.stderr}`);
    theirs.push(...r.stdout.trim().split('\n').map(Number));
    void matrix;
  }
  console.log(`plain forest vs scikit-learn IsolationForest on the same matrices (${labels.length} windows): window AUC ours ${auc(ours, labels).toFixed(4)}, sklearn ${auc(theirs, labels).toFixed(4)}; Spearman of the scores ${spearman(ours, theirs).toFixed(3)}`);
}

export async function main(argv: string[]): Promise<void> {
  const seconds = Number(opt(argv, 'seconds', '40'));
  const at = Number(opt(argv, 'at', '20'));
  const windowMs = parseDuration(opt(argv, 'window', '5s'), '--window');
  const keep = opt(argv, 'keep', '');
  const dir = keep || mkdtempSync(join(tmpdir(), 'contxray-bench-scenarios-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    const plan: Array<[string, string]> = [...NORMAL.map((n) => [n, 'none'] as [string, string]), ...Object.keys(ATTACKS).map((a) => [a, a] as [string, string])];
    if (!plan.every(([n]) => existsSync(join(dir, `${n}.arrow`)))) {
      await ensureTestImage();
      const escapeBin = join(dir, 'escape-bin');
      if (!existsSync(escapeBin)) spawnSync('gcc', ['-O2', '-static', '-o', escapeBin, ESCAPE_SRC], { stdio: 'inherit' });
      for (const [name, attack] of plan) record(dir, name, attack, seconds, at, escapeBin);
    }
    const runs: Run[] = [];
    for (const [name, attack] of plan) {
      const series = await loadSeries(join(dir, `${name}.arrow`), windowMs);
      runs.push({ name, attack: attack === 'none' ? null : attack, series, span: attack === 'none' ? null : marks(dir, name, ATTACKS[attack]!.victim) });
    }
    for (const r of runs) if (r.attack !== null && r.span === null) throw new Error(`${r.name}: no attack marks for ${ATTACKS[r.attack]!.victim}`);
    const baseline = runs.filter((r) => BASELINE.includes(r.name)).flatMap((r) => r.series);
    const scored = runs.filter((r) => !BASELINE.includes(r.name));
    console.log(`# detect on real Docker scenarios: ${seconds} s runs, ${windowMs / 1000} s windows; baseline ${BASELINE.join(', ')}; held out ${HELD_OUT.join(', ')}; captures in ${dir}`);

    const res = evaluate(baseline, scored, windowMs, DEFAULT_OPTIONS);
    console.log('\nattack          victim         detected  time to detect  top-3 names it  best score/threshold  top-3 reasons');
    for (const [a, { victim }] of Object.entries(ATTACKS)) {
      const d = res.detected[a]!;
      console.log(`${a.padEnd(15)} ${victim.padEnd(14)} ${(d.ttd !== null ? 'yes' : 'NO').padEnd(8)}  ${(d.ttd !== null ? `${d.ttd.toFixed(1)} s` : '-').padStart(14)}  ${(d.named ? 'yes' : 'no').padStart(14)}  ${`${d.score.toFixed(3)}/${d.threshold.toFixed(3)}`.padStart(20)}  ${d.reasons.join(' | ').slice(0, 300)}`);
    }
    const n = Object.keys(ATTACKS).length;
    const det = Object.values(res.detected).filter((d) => d.ttd !== null);
    console.log(`\ndetected ${det.length}/${n}; top-3 names the behaviour ${det.filter((d) => d.named).length}/${det.length}; false alarms ${res.falseAlarms}/${res.normalWindows} held-out normal windows; window AUC ${res.auc.toFixed(4)}`);
    for (const t of res.falseTexts) console.log(`  false alarm: ${t}`);

    console.log('');
    sklearnSideBySide(dir, baseline, scored, windowMs);

    console.log('\n# ablation (same runs)');
    const off = { riskyRule: false, burstRule: false, driftRule: false, surgeRule: false };
    const one = { lifecycle: false };
    const configs: Array<[string, Partial<DetectOptions>]> = [
      ['plain isolation forest', { ...off, ...one, extension: 'none', weighting: false, groupShares: false, resources: false }],
      ['+ range extension', { ...off, ...one, weighting: false, groupShares: false, resources: false }],
      ['+ entropy weighting', { ...off, ...one, groupShares: false, resources: false }],
      ['+ group shares', { ...off, ...one, resources: false }],
      ['+ resource features', { ...off, ...one }],
      ['+ lifecycle thresholds (forest)', { ...off }],
      ['forest + smoothing (EWMA 0.5)', { ...off, smoothing: 0.5 }],
      ['forest + risky-syscall rule', { ...off, riskyRule: true }],
      ['forest + all rules (default)', {}],
      ['default, one threshold', { ...one }],
      ['default, time-block folds', { validation: 'time' }],
    ];
    console.log('configuration                    detected  top-3 names it  false-alarm windows  window AUC');
    for (const [label, over] of configs) {
      const r = evaluate(baseline, scored, windowMs, { ...DEFAULT_OPTIONS, ...over });
      const d = Object.values(r.detected).filter((x) => x.ttd !== null);
      console.log(`${label.padEnd(31)} ${`${d.length}/${n}`.padStart(9)}  ${`${d.filter((x) => x.named).length}/${d.length}`.padStart(14)}  ${`${r.falseAlarms}/${r.normalWindows}`.padStart(19)}  ${r.auc.toFixed(4)}`);
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
