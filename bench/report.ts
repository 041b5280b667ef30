/**
 * Report generation at growing capture sizes, side by side in one run: synthetic captures of 10k,
 * 1M and 10M events (src/capture/synthetic.ts, 8 containers), each loaded into DuckDB and turned
 * into a static and an interactive report. Prints load time, report time (the first report on a
 * fresh database, then a second static and an interactive one), report size, and the
 * time Chromium takes until every chart is drawn. The report should grow with containers and
 * distinct values, not with events: the size ratio 10M/10k is the number to watch.
 *
 *   node dist/bench/report.js [--sizes 10000,1000000,10000000] [--containers 8] [--json]
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openAnalysis } from '../src/analyze/db.js';
import { writeSyntheticCapture } from '../test/support/synthetic.js';
import { generateReport } from '../src/report/index.js';

interface Row {
  events: number;
  captureMiB: number;
  loadS: number;
  firstS: number; // first report on a freshly loaded database (DuckDB's first touch of the data)
  staticS: number;
  staticKiB: number;
  interactiveS: number;
  interactiveKiB: number;
  firstRenderStaticMs: number | null;
  firstRenderInteractiveMs: number | null;
}

async function firstRender(file: string): Promise<number | null> {
  const chromium = process.env.CONTXRAY_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) return null;
  // the test helper opens the page and waits until every chart body holds a drawn SVG
  const { openReport } = await import('../test/helpers/browser.js');
  const page = await openReport(file, 120_000);
  try {
    return page.renderMs;
  } finally {
    await page.close();
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1]! : dflt;
  };
  const sizes = arg('--sizes', '10000,1000000,10000000').split(',').map(Number);
  const containers = Number(arg('--containers', '8'));
  const dir = mkdtempSync(join(tmpdir(), 'contxray-bench-report-'));
  const rows: Row[] = [];
  try {
    // warm-up: compile vega's and the report's code paths once, so the first size is not charged for it
    const warm = join(dir, 'warm.arrow');
    await writeSyntheticCapture(warm, { events: 5000, containers, seed: 1 });
    const w = await openAnalysis([warm]);
    await generateReport(w, { captures: ['warm.arrow'] });
    w.close();
    for (const events of sizes) {
      const capture = join(dir, `synthetic-${events}.arrow`);
      await writeSyntheticCapture(capture, { events, containers, seed: 7 });
      let t = performance.now();
      const analysis = await openAnalysis([capture]);
      const loadS = (performance.now() - t) / 1000;
      try {
        t = performance.now();
        await generateReport(analysis, { captures: [`synthetic-${events}.arrow`] });
        const firstS = (performance.now() - t) / 1000;
        t = performance.now();
        const st = await generateReport(analysis, { captures: [`synthetic-${events}.arrow`] });
        const staticS = (performance.now() - t) / 1000;
        t = performance.now();
        const it = await generateReport(analysis, { captures: [`synthetic-${events}.arrow`], interactive: true });
        const interactiveS = (performance.now() - t) / 1000;
        const sFile = join(dir, `r-${events}.html`);
        const iFile = join(dir, `r-${events}-i.html`);
        writeFileSync(sFile, st.html);
        writeFileSync(iFile, it.html);
        rows.push({
          events,
          captureMiB: statSync(capture).size / 2 ** 20,
          loadS,
          firstS,
          staticS,
          staticKiB: Buffer.byteLength(st.html) / 1024,
          interactiveS,
          interactiveKiB: Buffer.byteLength(it.html) / 1024,
          firstRenderStaticMs: await firstRender(sFile),
          firstRenderInteractiveMs: await firstRender(iFile),
        });
      } finally {
        analysis.close();
      }
      rmSync(capture, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
    return;
  }
  const f = (n: number | null, d = 1) => (n === null ? 'n/a' : n.toFixed(d));
  process.stdout.write(`report generation, ${containers} containers (synthetic captures)\n`);
  process.stdout.write('events      capture MiB  load s  first s  static s  static KiB  inter. s  inter. KiB  render static ms  render inter. ms\n');
  for (const r of rows) {
    process.stdout.write(
      `${String(r.events).padEnd(11)} ${f(r.captureMiB).padStart(11)} ${f(r.loadS, 2).padStart(7)} ${f(r.firstS, 2).padStart(8)} ${f(r.staticS, 2).padStart(9)} ${f(r.staticKiB).padStart(11)} ${f(r.interactiveS, 2).padStart(9)} ${f(r.interactiveKiB).padStart(11)} ${f(r.firstRenderStaticMs, 0).padStart(17)} ${f(r.firstRenderInteractiveMs, 0).padStart(17)}\n`,
    );
  }
  if (rows.length > 1) {
    const a = rows[0]!;
    const b = rows[rows.length - 1]!;
    process.stdout.write(
      `ratio ${b.events}/${a.events} events = ${(b.events / a.events).toFixed(0)}x: static size ${(b.staticKiB / a.staticKiB).toFixed(2)}x, report time ${(b.staticS / a.staticS).toFixed(1)}x\n`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
