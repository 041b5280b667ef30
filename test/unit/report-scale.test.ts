/**
 * The report of a capture with many containers stays small: a bounded number of container
 * sections (findings first, then the busiest), the others as rows of a capped table with a count.
 * Size and section counts are asserted, never time (bench/report.ts measures that).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAnalysis, type Analysis } from '../../src/analyze/db.js';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { DEFAULT_MAX_CONTAINERS, generateReport } from '../../src/report/index.js';
import { writeMultiContainerCapture } from '../support/samples.js';

const FIXED = { now: new Date('2026-11-29T12:00:00Z') };
const MANY = 3000;

function sections(html: string): string[] {
  return [...html.matchAll(/<section class="container" id="c-\d+">\s*<h2><span class="kind">container<\/span> ([^<]*)<\/h2>/g)].map((m) => m[1]!);
}

describe('unit: report size with many containers', () => {
  let dir: string;
  let many: Analysis;
  let multi: Analysis;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'contxray-report-scale-'));
    await writeSyntheticCapture(join(dir, 'many.arrow'), { events: 30_000, containers: MANY, seed: 5 });
    await writeMultiContainerCapture(join(dir, 'multi.arrow'));
    many = await openAnalysis([join(dir, 'many.arrow')]);
    multi = await openAnalysis([join(dir, 'multi.arrow')]);
  });
  after(() => {
    many?.close();
    multi?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${MANY} containers: ≤ 1 MB, ${DEFAULT_MAX_CONTAINERS} sections, the rest counted`, async () => {
    const r = await generateReport(many, { captures: ['many.arrow'], ...FIXED });
    const bytes = Buffer.byteLength(r.html);
    assert.ok(bytes < 1_000_000, `report of ${MANY} containers is ${bytes} bytes`);
    assert.equal(sections(r.html).length, DEFAULT_MAX_CONTAINERS);
    assert.equal(r.containers, DEFAULT_MAX_CONTAINERS);
    assert.equal(r.inScope, MANY);
    // the overview table: the first --max-rows containers, then a count of the rest
    assert.match(r.html, new RegExp(`… and ${MANY - 50} more`));
    assert.match(r.html, /3,000 containers; 20 shown in detail/);
  });

  test('--max-containers bounds the sections; with --container, the matched ones only', async () => {
    const r = await generateReport(many, { captures: ['many.arrow'], maxContainers: 3, ...FIXED });
    assert.equal(sections(r.html).length, 3);
    const one = await generateReport(many, { captures: ['many.arrow'], containers: ['svc-7', 'svc-2999'], ...FIXED });
    assert.deepEqual(sections(one.html).sort(), ['svc-2999', 'svc-7']);
    assert.equal(one.inScope, 2);
  });

  test('the unknown-container error lists a bounded number of names', async () => {
    await assert.rejects(generateReport(many, { captures: ['many.arrow'], containers: ['nosuch'], ...FIXED }), (err: Error) => {
      assert.match(err.message, /no container 'nosuch'/); // one selector, one message (was: no container matches "nosuch")
      assert.match(err.message, /and \d+ more|\(\d+ more\)/);
      assert.ok(err.message.length < 2000, `${err.message.length} characters`);
      return true;
    });
  });

  test('containers with findings come first, even when quieter than the others', async () => {
    // batch-job has the escape-syscall (high) finding and the fewest syscalls of the four
    const r = await generateReport(multi, { captures: ['multi.arrow'], maxContainers: 1, ...FIXED });
    assert.deepEqual(sections(r.html), ['batch-job']);
    const two = await generateReport(multi, { captures: ['multi.arrow'], maxContainers: 2, ...FIXED });
    assert.equal(sections(two.html).length, 2);
    assert.equal(sections(two.html)[0], 'batch-job');
  });
});
