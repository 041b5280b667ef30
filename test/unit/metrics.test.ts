/**
 * Metric families, label bounding/escaping, the OpenMetrics file `contxray metrics` writes, the
 * safe output file and the command's errors. The Prometheus round trip is in
 * test/system/metrics-prometheus.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from '../../src/analyze/duckdb.js';
import { Registry, type OpenMetricsContentType } from 'prom-client';
import { FAMILIES, familyName, promClientMetric } from '../../src/metrics/families.js';
import { MAX_LABEL_CHARS, boundLabel, escapeLabel } from '../../src/metrics/labels.js';
import { metricsSql, secondsText } from '../../src/metrics/openmetrics.js';
import { createOutput } from '../../src/util/outfile.js';
import { OutputError } from '../../src/util/errors.js';
import { cli, tempDir } from '../helpers/captures.js';
import { HOSTILE_NAME, writeMetricsScenario } from '../helpers/metrics-scenario.js';

// the copy of DuckDB's JavaScript contxray runs (src/analyze/duckdb.ts), not a second one
const { DuckDBInstance } = api;

const FORBIDDEN = /argv|path|pid|tid|addr|port|comm|filename|cookie/;
const HOSTILE = [HOSTILE_NAME, 'a\u0000b\u001bc\u007fd', '\ud800lone', `${'😀'.repeat(200)}`, 'plain', '', 'x'.repeat(MAX_LABEL_CHARS), 'x'.repeat(MAX_LABEL_CHARS + 1)];

describe('metric families', () => {
  test('names are final-form and unique; counters end in _total; no argv/path/pid/address/port label', () => {
    assert.equal(new Set(FAMILIES.map((f) => f.name)).size, FAMILIES.length);
    for (const f of FAMILIES) {
      assert.match(f.name, /^contxray_[a-z_]+$/);
      assert.equal(f.name.endsWith('_total'), f.type === 'counter', f.name);
      for (const l of f.labels) assert.doesNotMatch(l, FORBIDDEN, `${f.name}{${l}}`);
    }
  });

  test('one declaration serves prom-client too: same family name, type and help, hostile values escaped', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const f of FAMILIES) {
      const m = promClientMetric(f, registry);
      const labels = Object.fromEntries(f.labels.map((l) => [l, boundLabel(HOSTILE_NAME)]));
      if ('inc' in m) m.inc(labels, 1);
    }
    const text = await registry.metrics();
    for (const f of FAMILIES) {
      assert.ok(text.includes(`# TYPE ${familyName(f)} ${f.type}\n`), f.name);
      assert.ok(text.includes(`# HELP ${familyName(f)} ${escapeLabel(f.help)}\n`), f.name);
      // prom-client escapes exactly like our writer does.
      assert.ok(text.includes(`="${escapeLabel(boundLabel(HOSTILE_NAME))}"`), f.name);
    }
  });
});

describe('label values', () => {
  test('bounded to MAX_LABEL_CHARS code points, no control characters, no lone surrogates', () => {
    for (const v of HOSTILE) {
      const b = boundLabel(v);
      assert.ok(Array.from(b).length <= MAX_LABEL_CHARS, v.slice(0, 20));
      assert.doesNotMatch(b, /[\u0000-\u0009\u000b-\u001f\u007f]/);
      assert.equal(Buffer.from(b, 'utf8').toString('utf8'), b, 'valid UTF-16 round trip');
    }
    assert.equal(boundLabel('plain'), 'plain');
    assert.equal(boundLabel('x'.repeat(MAX_LABEL_CHARS)), 'x'.repeat(MAX_LABEL_CHARS));
    assert.equal(boundLabel('x'.repeat(MAX_LABEL_CHARS + 1)), `${'x'.repeat(MAX_LABEL_CHARS - 1)}…`);
  });

  test('escaping: backslash, double quote and newline, nothing else', () => {
    assert.equal(escapeLabel('a\\b"c\nd}e,f=g'), 'a\\\\b\\"c\\nd}e,f=g');
  });

  test('the SQL macro bounds exactly like boundLabel()', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run(metricsSql('labels'));
      for (const v of HOSTILE.filter((x) => !x.includes('\ud800'))) {
        const r = await conn.runAndReadAll('SELECT metrics_label($v) AS b', { v });
        assert.equal(r.getRows()[0]![0], boundLabel(v), JSON.stringify(v.slice(0, 30)));
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});

test('secondsText: float seconds, never milliseconds', () => {
  assert.equal(secondsText(1_764_400_015_000_000_000n), '1764400015');
  assert.equal(secondsText(1_764_400_015_500_000_000n), '1764400015.5');
  assert.equal(secondsText(1_000_000n), '0.001');
});

describe('contxray metrics: the OpenMetrics file', () => {
  const tmp = tempDir('contxray-metrics-unit-');
  let text = '';
  let captures: string[] = [];
  before(async () => {
    captures = await writeMetricsScenario(tmp.dir);
    const r = cli(['metrics', ...captures, '-o', join(tmp.dir, 'out.om'), '--step', '15s']);
    assert.equal(r.status, 0, r.stderr);
    text = readFileSync(join(tmp.dir, 'out.om'), 'utf8');
  });
  after(() => tmp.cleanup());

  test('is 0600, LF only, ends with "# EOF" and exactly one newline, no untyped', () => {
    assert.equal(statSync(join(tmp.dir, 'out.om')).mode & 0o777, 0o600);
    assert.ok(text.endsWith('\n# EOF\n'));
    assert.equal(text.indexOf('# EOF'), text.length - 6);
    assert.doesNotMatch(text, /\r/);
    assert.doesNotMatch(text, /untyped/);
  });

  test('families contiguous and declared once; counter families without _total; series time-ascending, counters never decrease', () => {
    const declared = new Map<string, string>();
    const seenSeries = new Set<string>();
    let family = '';
    let lastSeries = '';
    let lastTs = -Infinity;
    let lastValue = -Infinity;
    for (const line of text.split('\n').slice(0, -2)) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) {
        assert.ok(!declared.has(type[1]!), `family ${type[1]} declared twice`);
        declared.set(type[1]!, type[2]!);
        assert.ok(type[2] === 'counter' || type[2] === 'gauge');
        if (type[2] === 'counter') assert.doesNotMatch(type[1]!, /_total$/);
        family = type[1]!;
        continue;
      }
      if (line.startsWith('#')) continue;
      const m = /^(\w+)(\{.*\})? (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(line);
      assert.ok(m, line);
      const [, name, labels, value, ts] = m;
      assert.equal(name, declared.get(family) === 'counter' ? `${family}_total` : family, line);
      const series = `${name}${labels ?? ''}`;
      if (series !== lastSeries) {
        assert.ok(!seenSeries.has(series), `series ${series.slice(0, 80)} is split`);
        seenSeries.add(series);
        lastSeries = series;
        lastTs = -Infinity;
        lastValue = -Infinity;
      }
      assert.ok(Number(ts) > lastTs, `time not ascending in ${series.slice(0, 80)}`);
      assert.ok(Number(ts) < 1e11, 'seconds, not milliseconds');
      if (declared.get(family) === 'counter') assert.ok(Number(value) >= lastValue, `counter decreased in ${series.slice(0, 80)}`);
      lastTs = Number(ts);
      lastValue = Number(value);
    }
    assert.equal(declared.size, FAMILIES.length, 'the scenario fills every family');
  });

  test('no label carries argv, a path, an address or a port; the hostile name is bounded and escaped', () => {
    for (const banned of ['http://web', '/proc/sys', '/usr/bin/curl', '172.18.0.', '93.184.216.34', '5432']) assert.ok(!text.includes(banned), banned);
    assert.ok(text.includes(`container="${escapeLabel(boundLabel(HOSTILE_NAME))}"`));
    for (const line of text.split('\n')) assert.ok(line.length < 2000);
  });

  test('refuses to overwrite without --force; --force replaces atomically', () => {
    const out = join(tmp.dir, 'out.om');
    writeFileSync(out, 'keep');
    const r = cli(['metrics', captures[0]!, '-o', out]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^contxray: .*exists \(.*\); --force replaces it/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(readFileSync(out, 'utf8'), 'keep');
    assert.equal(cli(['metrics', captures[0]!, '-o', out, '--force']).status, 0);
    assert.ok(readFileSync(out, 'utf8').endsWith('# EOF\n'));
  });

  test('bad --step, missing -o, a capture that is not one: one line, exit 2/3, no file left', () => {
    const out = join(tmp.dir, 'bad.om');
    for (const [args, code] of [
      [['metrics', captures[0]!, '-o', out, '--step', 'soon'], 2],
      [['metrics', captures[0]!, '-o', out, '--step', '0s'], 2],
      [['metrics', captures[0]!], 2],
      [['metrics', join(tmp.dir, 'nothing.arrow'), '-o', out], 3],
    ] as [string[], number][]) {
      writeFileSync(join(tmp.dir, 'nothing.arrow'), 'not a capture');
      const r = cli(args);
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(out), `${args.join(' ')} left ${out}`);
    }
  });
});

describe('safe output file', () => {
  const tmp = tempDir('contxray-out-');
  after(() => tmp.cleanup());

  test('never writes through a symlink, with or without --force', () => {
    const victim = join(tmp.dir, 'victim');
    writeFileSync(victim, 'precious');
    const link = join(tmp.dir, 'link.om');
    symlinkSync(victim, link);
    assert.throws(() => createOutput(link), (e: unknown) => e instanceof OutputError && e.code === 'exists');
    const out = createOutput(link, { force: true });
    out.write('new');
    out.commit();
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.ok(!lstatSync(link).isSymbolicLink(), 'the link itself was replaced');
    assert.equal(readFileSync(link, 'utf8'), 'new');
  });

  test('abort removes what was created; --force keeps the old file until commit', () => {
    const path = join(tmp.dir, 'a.om');
    const a = createOutput(path);
    a.write('x');
    a.abort();
    assert.ok(!existsSync(path));
    writeFileSync(path, 'old');
    const b = createOutput(path, { force: true });
    b.write('partial');
    b.abort();
    assert.equal(readFileSync(path, 'utf8'), 'old');
  });
});
