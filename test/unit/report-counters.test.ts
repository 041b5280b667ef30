/**
 * The report is honest about the recorder counters it does not have: a capture cut before its
 * first stats record gets a visible "counters unknown" warning (an empty counters table would read
 * as "nothing lost"), and strings the loader cut to their column's cap are counted beside the
 * recorder's counters. Real captures, real DuckDB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openAnalysis } from '../../src/analyze/db.js';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';
import { generateReport } from '../../src/report/index.js';
import { T0, scenarioRows, tempDir } from '../helpers/captures.js';

const FIXED = { now: new Date('2026-11-29T12:00:00Z') };

/** The text of the page's data-warnings list (entities decoded), one entry per item. */
function warningItems(html: string): string[] {
  const section = /<section class="alert" id="data-warnings"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  return [...section.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!.replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'));
}

/** The overview's recorder counters table, as text rows. */
function counterRows(html: string): string[] {
  const overview = /<section id="overview">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  const table = /<h3>Recorder counters<\/h3>[\s\S]*?<\/table>/.exec(overview)?.[0] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/\s+/g, ' ').trim());
}

async function reportOf(files: string[], names: string[]): Promise<string> {
  const a = await openAnalysis(files);
  try {
    return (await generateReport(a, { captures: names, ...FIXED })).html;
  } finally {
    a.close();
  }
}

test('a capture with no stats record gets a "counters unknown" warning; one with a stats record does not', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const cut = join(dir, 'cut-early.arrow');
    const full = join(dir, 'full.arrow');
    await writeCaptureFromRows(cut, { host: { hostname: 'testhost' }, rows: scenarioRows().filter((r) => r.kind !== 'stats') });
    await writeCaptureFromRows(full, { host: { hostname: 'otherhost' }, rows: scenarioRows() });
    const alone = warningItems(await reportOf([cut], ['cut-early.arrow']));
    assert.ok(
      alone.includes("counters unknown for cut-early.arrow (no stats record: drops and truncations can't be ruled out)"),
      `warnings: ${JSON.stringify(alone)}`,
    );
    const both = warningItems(await reportOf([cut, full], ['cut-early.arrow', 'full.arrow']));
    assert.equal(both.filter((w) => w.startsWith('counters unknown for')).length, 1, JSON.stringify(both));
    assert.ok(both.some((w) => w.startsWith('counters unknown for cut-early.arrow')));
    const fullOnly = warningItems(await reportOf([full], ['full.arrow']));
    assert.ok(!fullOnly.some((w) => w.includes('counters unknown')), JSON.stringify(fullOnly));
  } finally {
    cleanup();
  }
});

test('strings cut at load (capture_files.truncated_strings) show in the counters table and the warnings when non-zero', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const long = join(dir, 'long.arrow');
    const plain = join(dir, 'plain.arrow');
    // comm is capped at 48 bytes at load, path at 12 KiB: two strings cut
    const rows: Row[] = [
      ...scenarioRows(),
      { kind: 'open', ts: T0 + 20n, cgroup_id: 7002n, pid: 300, tid: 300, comm: 'c'.repeat(200), uid: 0, syscall_nr: 257, path: `/${'p'.repeat(20_000)}`, open_flags: 0, fs_type: 'ext4', fs_magic: 0xef53n, ret: 3n, truncated: false },
    ];
    await writeCaptureFromRows(long, { host: { hostname: 'testhost' }, rows });
    await writeCaptureFromRows(plain, { host: { hostname: 'testhost' }, rows: scenarioRows() });
    const html = await reportOf([long], ['long.arrow']);
    const label = "truncated strings (cut at load to their column's cap)";
    // '!' marks a loss counter
    assert.ok(counterRows(html).includes(`${label} ! 2`), JSON.stringify(counterRows(html)));
    assert.ok(warningItems(html).includes(`${label} = 2 (capture long.arrow, host testhost)`), JSON.stringify(warningItems(html)));
    const clean = await reportOf([plain], ['plain.arrow']);
    assert.ok(!clean.includes('cut at load'), 'no row or warning when nothing was cut');
    assert.ok(counterRows(clean).length > 0, 'the counters table is found');
  } finally {
    cleanup();
  }
});
