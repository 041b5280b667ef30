/**
 * The report in a real headless Chromium (Debian's /usr/bin/chromium via playwright-core): hostile
 * and multi-container fixtures in both modes, plus the recorder's real scenario capture when the
 * recorder test has left one at artifacts/scenario.arrow. Checks that nothing runs, nothing is
 * fetched, the console stays clean, every chart draws, and the planted finding is listed.
 * Screenshots go to artifacts/ (gitignored).
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openAnalysis } from '../../src/analyze/db.js';
import { generateReport } from '../../src/report/index.js';
import { writeHostileCapture, writeInvalidUtf8Capture, writeMultiContainerCapture } from '../support/samples.js';
import { HAVE_CHROMIUM, CHROMIUM, openReport } from '../helpers/browser.js';
import { requireOrSkip } from '../helpers/env.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'artifacts');
const SCENARIO = join(ARTIFACTS, 'scenario.arrow');

interface Seen {
  pwned: unknown;
  title: string;
  charts: number;
  drawn: number;
  findings: string[];
  findingText: string;
  alert: string;
}

/**
 * `withoutCsp` removes the page's Content-Security-Policy first: escaping alone must keep the
 * payloads inert (with the CSP, a slip would only show up as a blocked-script console error).
 */
async function check(t: TestContext, capture: string | string[], name: string, interactive: boolean, planted: string | null, withoutCsp = false): Promise<void> {
  const files = Array.isArray(capture) ? capture : [capture];
  const analysis = await openAnalysis(files);
  let html: string;
  try {
    html = (await generateReport(analysis, { captures: files.map((f) => basename(f)), interactive })).html;
  } finally {
    analysis.close();
  }
  if (withoutCsp) {
    const before = html.length;
    html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
    assert.ok(html.length < before, 'CSP removed');
    name = `${name}-no-csp`;
  }
  const file = join(dir, `${name}${interactive ? '-interactive' : ''}.html`);
  writeFileSync(file, html);
  const page = await openReport(file);
  try {
    if (interactive && name.startsWith('hostile')) {
      // tooltips put datum values into the page: hover every mark with hostile labels
      const tips = await page.hoverMarks();
      assert.ok(tips.length > 0, 'tooltips appeared');
      assert.ok(tips.some((x) => x.includes('<')), 'hostile text shown literally in a tooltip');
    }
    const seen = await page.evaluate(
      (): Seen => ({
        pwned: (window as unknown as { __pwned?: unknown }).__pwned,
        title: document.title,
        charts: document.querySelectorAll('.chart-body').length,
        // a chart counts as drawn when its SVG has size and marks
        drawn: [...document.querySelectorAll('.chart-body')].filter((b) => {
          const svg = b.querySelector('svg');
          return !!svg && svg.getBoundingClientRect().width > 10 && svg.querySelectorAll('path, rect, line, circle, text').length > 3;
        }).length,
        findings: [...document.querySelectorAll('li.finding')].map((li) => li.getAttribute('data-finding') ?? ''),
        findingText: [...document.querySelectorAll('li.finding')].map((li) => (li as HTMLElement).innerText).join('\n'),
        alert: (document.querySelector('#data-warnings') as HTMLElement | null)?.innerText ?? '',
      }),
    );
    const shot = join(ARTIFACTS, `report-${name.replace(/\W+/g, '_')}${interactive ? '-interactive' : ''}.png`);
    await page.screenshot(shot);
    t.diagnostic(`${name} ${interactive ? 'interactive' : 'static'}: ${seen.charts} charts drawn in ${page.renderMs} ms; screenshot ${shot}`);
    assert.equal(seen.pwned, undefined, 'no payload ran');
    assert.ok(!/pwned/.test(seen.title), `title untouched: ${seen.title}`);
    assert.deepEqual(page.dialogs, [], 'no dialogs');
    assert.deepEqual(page.pageErrors, [], 'no uncaught errors');
    assert.deepEqual(page.consoleErrors, [], 'no console errors (CSP violations are console errors)');
    assert.deepEqual(page.requests, [], 'nothing fetched');
    assert.ok(seen.charts > 0, 'charts present');
    assert.equal(seen.drawn, seen.charts, 'every chart drawn');
    if (name === 'multi' && !interactive) {
      const pdf = join(ARTIFACTS, 'report-multi-print.pdf');
      await page.pdf(pdf);
      assert.ok(statSync(pdf).size > 10_000, 'printed');
    }
    if (planted) {
      assert.ok(seen.findings.includes(planted), `planted finding ${planted} listed (got ${seen.findings.join(', ')})`);
    }
  } finally {
    await page.close();
  }
}

let dir: string;

describe('system: report in headless Chromium', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'contxray-report-browser-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    await writeHostileCapture(join(dir, 'hostile.arrow'));
    await writeInvalidUtf8Capture(join(dir, 'hostile-bytes.arrow'));
    await writeMultiContainerCapture(join(dir, 'multi.arrow'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const interactive of [false, true]) {
    const mode = interactive ? 'interactive' : 'static';
    test(`hostile capture, ${mode}: nothing executes, everything draws`, async (t) => {
      if (!requireOrSkip(t, HAVE_CHROMIUM, `no Chromium at ${CHROMIUM} (apt-get install chromium)`)) return;
      await check(t, [join(dir, 'hostile.arrow'), join(dir, 'hostile-bytes.arrow')], 'hostile', interactive, 'finding-shells');
    });
    test(`hostile capture, ${mode}, CSP removed: escaping alone keeps it inert`, async (t) => {
      if (!requireOrSkip(t, HAVE_CHROMIUM, `no Chromium at ${CHROMIUM} (apt-get install chromium)`)) return;
      await check(t, [join(dir, 'hostile.arrow'), join(dir, 'hostile-bytes.arrow')], 'hostile', interactive, 'finding-shells', true);
    });
    test(`multi-container capture, ${mode}`, async (t) => {
      if (!requireOrSkip(t, HAVE_CHROMIUM, `no Chromium at ${CHROMIUM} (apt-get install chromium)`)) return;
      await check(t, join(dir, 'multi.arrow'), 'multi', interactive, 'finding-sensitive-paths');
    });
  }

  test('the recorder scenario capture (artifacts/scenario.arrow)', async (t) => {
    if (!requireOrSkip(t, HAVE_CHROMIUM, `no Chromium at ${CHROMIUM}`)) return;
    if (!requireOrSkip(t, existsSync(SCENARIO), `no recorder capture at ${SCENARIO} (the recorder's system test writes it)`)) return;
    // which findings a real scenario plants is the recorder test's business; here: it renders cleanly
    await check(t, SCENARIO, 'scenario', false, null);
    await check(t, SCENARIO, 'scenario', true, null);
  });
});
