/**
 * The report from real captures (written by the capture writer, loaded by the real DuckDB
 * analysis): content, findings, filtering, caps, CSP, and hostile strings staying inert text.
 * The browser-level proof is test/system/report-browser.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { openAnalysis, type Analysis } from '../../src/analyze/db.js';
import { generateReport } from '../../src/report/index.js';
import { hostileStrings, writeHostileCapture, writeInvalidUtf8Capture, writeMultiContainerCapture } from '../support/samples.js';
import { assertSafeSvg, toSvg } from '../../src/report/svg.js';
import { safeJson } from '../../src/report/render.js';
import { argvText, clean } from '../../src/report/values.js';
import { niceBucket } from '../../src/report/gather.js';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { command } from '../../src/cli/commands/report.js';
import { SelectionError } from '../../src/util/errors.js';

const FIXED = { now: new Date('2026-11-29T12:00:00Z') };

/** Every tag of the page, with its attribute names. */
function tags(html: string): { tag: string; attrs: string[] }[] {
  // strip the contents of <script>/<style>: they are code, not markup
  const markup = html.replace(/(<(script|style)\b[^>]*>)[\s\S]*?(<\/\2>)/gi, '$1$3');
  return [...markup.matchAll(/<([a-zA-Z][\w:-]*)([^>]*)>/g)].map((m) => ({
    tag: m[1]!.toLowerCase(),
    attrs: [...m[2]!.matchAll(/\s([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?/g)].map((a) => a[1]!.toLowerCase()),
  }));
}

function cspOf(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(m, 'CSP meta tag present');
  // handlebars escapes ' and = in the attribute; the browser decodes them back
  return m[1]!.replace(/&#x27;/g, "'").replace(/&#x3D;/g, '=');
}

function sha(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

describe('unit: value cleaning', () => {
  test('control, bidi and invisible characters are shown as escapes', () => {
    assert.equal(clean('a\u0000b\u001b[31m\n\t\u007f\u0085'), 'a\\x00b\\x1b[31m\\n\\t\\x7f\\x85');
    assert.equal(clean('x\u202ey\u2066z\u200b'), 'x\\u202ey\\u2066z\\u200b');
  });
  test('lone surrogates (what invalid UTF-8 can turn into) are shown as escapes; pairs survive', () => {
    assert.equal(clean('a\ud800b\udfffc'), 'a\\ud800b\\udfffc');
    assert.equal(clean('😀'), '😀');
  });
  test('long values are cut with a count, never inside a surrogate pair', () => {
    assert.equal(clean('x'.repeat(300), 10), `${'x'.repeat(10)}…(290 more bytes)`);
    const s = clean(`${'a'.repeat(9)}😀tail`, 10);
    assert.ok(!/[\ud800-\udbff]…/.test(s), s);
  });
  test('argv keeps element boundaries visible', () => {
    assert.equal(argvText(['sh', '-c', 'echo hi', '']), 'sh -c "echo hi" ""');
  });
  test('bucket size keeps time charts near 100 points', () => {
    assert.equal(niceBucket(60_000), 1000);
    assert.equal(niceBucket(3600_000), 60_000);
    assert.ok(3600e3 * 48 / niceBucket(3600e3 * 48) <= 100);
  });
});

describe('unit: inert embedding', () => {
  test('safeJson leaves no character that could end a script or open a comment', () => {
    const v = { a: '</script><script>x</script>', b: '<!--', c: '\u2028\u2029&', n: 1n };
    const s = safeJson(v);
    assert.ok(!/[<>&\u2028\u2029]/.test(s), s);
    assert.deepEqual(JSON.parse(s), { ...v, n: 1 });
  });
  test('assertSafeSvg refuses scripts, handlers, links, styles and foreign content', () => {
    const ok = '<svg xmlns="http://www.w3.org/2000/svg"><g><text>&lt;script&gt; onload=x</text></g></svg>';
    assert.equal(assertSafeSvg(ok), ok);
    for (const bad of [
      '<svg><script>x</script></svg>',
      '<svg onload="x"></svg>',
      '<svg><g><a href="javascript:x"><text>t</text></a></g></svg>',
      '<svg><foreignObject><div></div></foreignObject></svg>',
      '<svg><text style="x">t</text></svg>',
      '<svg><use xlink:href="#a"/></svg>',
      '<svg><!-- x --></svg>',
    ]) assert.throws(() => assertSafeSvg(bad), /unexpected/, bad);
  });
  test('vega output for hostile labels is escaped and passes the check', async () => {
    const h = hostileStrings();
    const svg = await toSvg({ data: { values: Object.values(h).map((s, i) => ({ s, n: i + 1 })) }, mark: 'bar', encoding: { y: { field: 's', type: 'nominal' }, x: { field: 'n', type: 'quantitative' } } }, 't');
    assert.ok(!svg.includes('<script'), 'no script tag');
    assert.ok(!/<img|<meta|<base|<style/i.test(svg));
  });
});

describe('unit: report of real captures', () => {
  let dir: string;
  let multi: Analysis;
  let hostile: Analysis;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'contxray-report-'));
    await writeMultiContainerCapture(join(dir, 'multi.arrow'));
    await writeHostileCapture(join(dir, 'hostile.arrow'));
    await writeInvalidUtf8Capture(join(dir, 'hostile-bytes.arrow'));
    multi = await openAnalysis([join(dir, 'multi.arrow')]);
    // two captures from two "hosts": also the multi-capture path
    hostile = await openAnalysis([join(dir, 'hostile.arrow'), join(dir, 'hostile-bytes.arrow')]);
  });
  after(() => {
    multi?.close();
    hostile?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('overview, findings and every container section are there', async () => {
    const r = await generateReport(multi, { captures: ['multi.arrow'], ...FIXED });
    const html = r.html;
    assert.equal(r.containers, 4);
    assert.equal(r.findings, 5, 'every planted finding found');
    for (const q of ['finding-escape-syscalls', 'finding-sensitive-paths', 'finding-scan', 'finding-shells', 'finding-listening-ports']) {
      assert.ok(html.includes(`data-finding="${q}"`), q);
    }
    // ranked: high before medium before low
    assert.ok(html.indexOf('data-finding="finding-escape-syscalls"') < html.indexOf('data-finding="finding-shells"'));
    assert.ok(html.indexOf('data-finding="finding-shells"') < html.indexOf('data-finding="finding-listening-ports"'));
    assert.match(html, /id="data-warnings"[\s\S]*drops\.ringbuf &#x3D; 17/, 'drop warning visible');
    for (const name of ['web', 'db', 'cache', 'batch-job']) assert.ok(html.includes(`</span> ${name}</h2>`), name);
    assert.match(html, /\/var\/run\/docker\.sock/);
    assert.match(html, /apt-get install -y nmap/, 'argv in the process tree');
    assert.match(html, /Blocked by Docker’s default profile[\s\S]*?<code>mount<\/code>/, 'seccomp summary vs Docker default');
    assert.match(html, /contxray seccomp multi\.arrow --container [0-9a-f]{12} -o batch-job\.json/);
    assert.match(html, /Connections leaving the host[\s\S]*?1\.1\.1\.1/);
    // 4 per container + the overview, + a resources chart for web and db (the two with samples)
    assert.equal(r.charts, 19);
    assert.equal((html.match(/<svg/g) ?? []).length, 19, 'static mode: every chart is inline SVG');
    assert.match(html, /<h3>Resources<\/h3>\s*<figure[\s\S]*?CPU \(cores\)/, 'the resources chart of a container with samples');
    assert.ok(!html.includes('<script'), 'static mode has no script at all');
  });

  test('strict CSP: nothing from the network, every inline block hashed', async () => {
    for (const interactive of [false, true]) {
      const { html } = await generateReport(multi, { captures: ['multi.arrow'], interactive, ...FIXED });
      const csp = cspOf(html);
      assert.match(csp, /default-src 'none'/);
      assert.ok(!/unsafe-|https?:|\*/.test(csp), csp);
      const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
      assert.equal(styles.length, 1);
      assert.ok(csp.includes(sha(styles[0]!)), 'style hash');
      const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
      assert.equal(scripts.length, interactive ? 4 : 0, 'vega, vega-lite, vega-embed, bootstrap');
      for (const s of scripts) assert.ok(csp.includes(sha(s)), 'script hash');
      if (!interactive) assert.match(csp, /script-src 'none'/);
    }
  });

  test('--container limits the sections; unknown names are a usage error', async () => {
    const r = await generateReport(multi, { captures: ['multi.arrow'], containers: ['web', 'db'], ...FIXED });
    assert.equal(r.containers, 2);
    assert.ok(!r.html.includes('</span> batch-job</h2>'));
    assert.ok(!r.html.includes('data-finding="finding-shells"'), 'findings of other containers left out');
    const byPrefix = await generateReport(multi, { captures: ['multi.arrow'], containers: ['aab12cd3'], ...FIXED });
    assert.equal(byPrefix.containers, 1);
    await assert.rejects(generateReport(multi, { captures: ['multi.arrow'], containers: ['nope'] }), (e: unknown) => e instanceof SelectionError && e.code === 'unknown-container');
  });

  test('--max-rows caps long tables with "N more"', async () => {
    const { html } = await generateReport(multi, { captures: ['multi.arrow'], maxRows: 3, ...FIXED });
    assert.match(html, /… and \d+ more/);
  });

  for (const interactive of [false, true]) {
    test(`hostile strings stay text (${interactive ? 'interactive' : 'static'})`, async () => {
      const { html, containers } = await generateReport(hostile, { captures: ['hostile.arrow', 'hostile-bytes.arrow'], interactive, ...FIXED });
      assert.equal(containers, 3);
      assert.ok(html.includes('bytes-\ufffd'), 'invalid UTF-8 bytes shown as U+FFFD');
      const h = hostileStrings();
      // the markup has only the tags and attributes the templates and vega write
      const allowedTags = new Set(['html', 'head', 'meta', 'title', 'style', 'script', 'body', 'header', 'h1', 'h2', 'h3', 'h4', 'p', 'nav', 'ol', 'ul', 'li', 'a', 'main', 'section', 'span', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'strong', 'dl', 'dt', 'dd', 'figure', 'figcaption', 'footer', 'svg', 'g', 'path', 'rect', 'line', 'text', 'circle', 'defs', 'lineargradient', 'stop', 'tspan', 'clippath']);
      for (const { tag, attrs } of tags(html)) {
        assert.ok(allowedTags.has(tag), `unexpected <${tag}>`);
        for (const a of attrs) assert.ok(!a.startsWith('on') && a !== 'style' && a !== 'src', `<${tag} ${a}>`);
      }
      const scriptTags = (html.match(/<script\b/gi) ?? []).length;
      assert.equal(scriptTags, interactive ? 5 : 0, 'only our own script elements');
      for (const m of html.matchAll(/<a href="([^"]*)"/g)) assert.match(m[1]!, /^#(overview|findings|c-\d+)$/, 'links are in-page only');
      // the chart specs (interactive) are JSON in a non-executed script element: no '<' may survive there
      const specs = /<script type="application\/json" id="contxray-specs">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
      assert.equal(Boolean(specs), interactive);
      assert.ok(!/[<>]/.test(specs), 'specs JSON is inert');
      const page = html.replace(specs, '');
      for (const raw of ['<script>window', '<img src=x', '<svg onload', '<meta http-equiv="refresh"', '<base href', '<style>body', '<!--<script>']) {
        assert.ok(!page.includes(raw), `raw payload in the markup: ${raw}`);
      }
      assert.ok(page.includes('&lt;/script&gt;&lt;script&gt;window.__pwned&#x3D;1;document.title&#x3D;&#x27;pwned&#x27;'), 'the payload is shown as text');
      assert.ok(html.includes('\\x1b[31mred'), 'control characters shown escaped');
      assert.ok(html.includes('evil\\u202egnp.exe'), 'bidi override shown escaped');
      assert.ok(!html.includes(h.bidi!), 'no raw bidi override');
      assert.ok(html.includes('data-finding="finding-shells"'), 'planted finding listed');
      assert.ok(Buffer.byteLength(html) < (interactive ? 1_400_000 : 400_000), `size ${Buffer.byteLength(html)}`);
    });
  }

  test('size follows containers and distinct values, not events', async () => {
    const sizes: number[] = [];
    for (const events of [5_000, 300_000]) {
      const file = join(dir, `syn-${events}.arrow`);
      await writeSyntheticCapture(file, { events, containers: 6, seed: 3 });
      const a = await openAnalysis([file]);
      try {
        sizes.push(Buffer.byteLength((await generateReport(a, { captures: ['s.arrow'], ...FIXED })).html));
      } finally {
        a.close();
      }
    }
    assert.ok(sizes[1]! < 1_000_000, `static report of 300k events: ${sizes[1]} bytes`);
    assert.ok(sizes[1]! < sizes[0]! * 3, `60x the events, ${(sizes[1]! / sizes[0]!).toFixed(2)}x the size`);
  });

  test('the CLI command (yargs) writes the file', async () => {
    const out = join(dir, 'cli.html');
    await yargs()
      .command(command)
      .strict()
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync(['report', join(dir, 'multi.arrow'), '-o', out, '--container', 'web', '--container', 'db', '--title', 'T<1>', '--max-rows', '5']);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /<title>T&lt;1&gt;<\/title>/);
    assert.equal((html.match(/class="container"/g) ?? []).length, 2);
  });
});
