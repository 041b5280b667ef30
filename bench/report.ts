/**
 * Report generation at growing capture sizes, side by side in one run: synthetic captures of 10k,
 * 1M and 10M events (test/support/synthetic.ts, 8 containers), each loaded into DuckDB and turned
 * into a static and an interactive report. Prints load time, report time (the first report on a
 * fresh database, then a second static and an interactive one), report size, and the
 * time Chromium takes until every chart is drawn. The report should grow with containers and
 * distinct values, not with events: the size ratio 10M/10k is the number to watch.
 *
 *   node dist/bench/report.js [--sizes 10000,1000000,10000000] [--containers 8] [--json]
 *
 * With --by-containers, the other axis: captures of 100, 10k and 100k containers (10 events per
 * container), each measured in a child process of its own so its peak RSS is its own. Prints
 * load time, report wall and CPU time (the machine may be shared: CPU time is the steadier
 * figure), peak RSS and HTML size; the floor beside it is the load of the same capture.
 *
 *   node dist/bench/report.js --by-containers [--counts 100,10000,100000] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

interface ByContainers {
  containers: number;
  captureKiB: number;
  loadS: number;
  reportS: number;
  reportCpuS: number;
  peakRssMiB: number;
  htmlKiB: number;
  sections: number;
}

/** One container count, in this (child) process: write, load, report; peak RSS is this process's. */
async function oneContainerCount(containers: number, dir: string): Promise<ByContainers> {
  const capture = join(dir, `c-${containers}.arrow`);
  await writeSyntheticCapture(capture, { events: containers * 10, containers, seed: 11 });
  let t = performance.now();
  const analysis = await openAnalysis([capture]);
  const loadS = (performance.now() - t) / 1000;
  try {
    const cpu0 = process.cpuUsage();
    t = performance.now();
    const r = await generateReport(analysis, { captures: [`c-${containers}.arrow`] });
    const reportS = (performance.now() - t) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return {
      containers,
      captureKiB: statSync(capture).size / 1024,
      loadS,
      reportS,
      reportCpuS: (cpu.user + cpu.system) / 1e6,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      htmlKiB: Buffer.byteLength(r.html) / 1024,
      sections: r.containers,
    };
  } finally {
    analysis.close();
  }
}

async function byContainers(argv: string[], arg: (name: string, dflt: string) => string): Promise<void> {
  const counts = arg('--counts', '100,10000,100000').split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'contxray-bench-report-'));
  const rows: ByContainers[] = [];
  try {
    for (const n of counts) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child-containers', String(n), '--dir', dir], {
        encoding: 'utf8',
        maxBuffer: 2 ** 20,
      });
      if (child.status !== 0) throw new Error(`${n} containers: ${child.stderr}`);
      rows.push(JSON.parse(child.stdout) as ByContainers);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
    return;
  }
  process.stdout.write('report generation by container count (synthetic captures, 10 events per container, static)\n');
  process.stdout.write('containers  capture KiB  load s  report s  report CPU s  peak RSS MiB  HTML KiB  sections\n');
  for (const r of rows) {
    process.stdout.write(
      `${String(r.containers).padEnd(11)} ${r.captureKiB.toFixed(0).padStart(11)} ${r.loadS.toFixed(2).padStart(7)} ${r.reportS.toFixed(2).padStart(9)} ${r.reportCpuS.toFixed(2).padStart(13)} ${r.peakRssMiB.toFixed(0).padStart(13)} ${r.htmlKiB.toFixed(0).padStart(9)} ${String(r.sections).padStart(9)}\n`,
    );
  }
  if (rows.length > 1) {
    const a = rows[0]!;
    const b = rows[rows.length - 1]!;
    process.stdout.write(
      `ratio ${b.containers}/${a.containers} containers = ${(b.containers / a.containers).toFixed(0)}x: HTML ${(b.htmlKiB / a.htmlKiB).toFixed(2)}x, report CPU ${(b.reportCpuS / a.reportCpuS).toFixed(1)}x, load ${(b.loadS / a.loadS).toFixed(1)}x; report/load at ${b.containers}: ${(b.reportS / b.loadS).toFixed(1)}x\n`,
    );
  }
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1]! : dflt;
  };
  if (argv.includes('--child-containers')) {
    process.stdout.write(JSON.stringify(await oneContainerCount(Number(arg('--child-containers', '100')), arg('--dir', tmpdir()))));
    return;
  }
  if (argv.includes('--by-containers')) return byContainers(argv, arg);
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
