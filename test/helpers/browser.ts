/**
 * Real headless Chromium (Debian's /usr/bin/chromium) through playwright-core, for report tests.
 * Never downloads a browser. Each page gets a fresh profile; network requests are refused and
 * recorded so a test can assert the page fetched nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env.CONTXRAY_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic',
];

export interface PageReport {
  consoleErrors: string[];
  consoleWarnings: string[];
  pageErrors: string[];
  requests: string[]; // anything but the report file itself
  dialogs: string[];
  /** Evaluate in the page. */
  evaluate<T>(fn: () => T): Promise<T>;
  screenshot(path: string): Promise<void>;
  /** Moves the mouse over up to `max` drawn marks (interactive charts show their tooltips); returns tooltip texts. */
  hoverMarks(max?: number): Promise<string[]>;
  /** Prints with the page's print stylesheet (headless Chromium only). */
  pdf(path: string): Promise<void>;
  /** ms from navigation start until every chart body holds a drawn, non-empty SVG. */
  renderMs: number;
  close(): Promise<void>;
}

/** Opens a report file and waits until every `.chart-body` has a non-empty SVG (or the timeout). */
export async function openReport(file: string, timeoutMs = 30_000): Promise<PageReport> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'contxray-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1366, height: 900 }, // a laptop screen
  });
  const consoleErrors: string[] = [];
  const consoleWarnings: string[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  const url = pathToFileURL(file).href;
  const page = context.pages()[0] ?? (await context.newPage());
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    requests.push(u);
    return route.abort();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
    if (m.type() === 'warning') consoleWarnings.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const start = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  await page
    .waitForFunction(
      () => {
        const bodies = [...document.querySelectorAll('.chart-body')];
        return bodies.every((b) => {
          const svg = b.querySelector('svg');
          return svg !== null && svg.getBoundingClientRect().width > 0 && svg.querySelectorAll('path, rect, line, text, circle').length > 0;
        });
      },
      undefined,
      { timeout: timeoutMs, polling: 50 },
    )
    .catch(() => undefined); // the test's own assertions say which chart is missing
  const renderMs = Date.now() - start;
  return {
    consoleErrors,
    consoleWarnings,
    pageErrors,
    requests,
    dialogs,
    renderMs,
    evaluate: (fn) => page.evaluate(fn),
    screenshot: async (path) => {
      await page.screenshot({ path, fullPage: true });
    },
    hoverMarks: async (max = 200) => {
      const points = await page.evaluate((limit) => {
        const out: { x: number; y: number }[] = [];
        for (const el of document.querySelectorAll('.chart-body .role-mark path, .chart-body .role-mark rect, .chart-body .role-mark circle')) {
          const r = el.getBoundingClientRect();
          if (r.width > 0 && r.height > 0) out.push({ x: r.left + r.width / 2 + window.scrollX, y: r.top + r.height / 2 + window.scrollY });
          if (out.length >= limit) break;
        }
        return out;
      }, max);
      const seen: string[] = [];
      for (const p of points) {
        await page.evaluate(([x, y]) => window.scrollTo(0, Math.max(0, y! - 300)), [p.x, p.y]);
        const scrollY = await page.evaluate(() => window.scrollY);
        await page.mouse.move(p.x, p.y - scrollY);
        const tip = await page.evaluate(() => {
          const el = document.getElementById('vg-tooltip-element');
          return el && el.classList.contains('visible') ? el.innerText : '';
        });
        if (tip) seen.push(tip);
      }
      return seen;
    },
    pdf: async (path) => {
      await page.emulateMedia({ media: 'print' });
      await page.pdf({ path, format: 'A4', printBackground: false });
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
