/**
 * Renders the page model with the handlebars templates in reports/templates/. Templates escape
 * everything ({{…}}); the only unescaped insertions are our own: the stylesheet, the vendor
 * bundles, the bootstrap script, the chart SVG checked by assertSafeSvg, and JSON made inert by
 * safeJson (test/unit/report-templates.test.ts holds the list). Every inline <style>/<script> is
 * allowed by its SHA-256 in a Content-Security-Policy that otherwise forbids everything.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import Handlebars from 'handlebars';
import { readTemplate, templateDir, vendorScripts } from './assets.js';
import type { PageModel } from './build.js';

let layout: Handlebars.TemplateDelegate | undefined;

function compileAll(): Handlebars.TemplateDelegate {
  if (layout) return layout;
  const hb = Handlebars.create();
  for (const f of readdirSync(templateDir())) {
    if (f.endsWith('.hbs') && f !== 'layout.hbs') hb.registerPartial(f.slice(0, -4), readTemplate(f));
  }
  layout = hb.compile(readTemplate('layout.hbs'), { strict: false, preventIndent: true });
  return layout;
}

export function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * JSON that can sit inside <script type="application/json"> without ending it or opening a
 * comment: <, >, & and the JS line separators become \u escapes (still the same JSON value).
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function renderPage(model: PageModel): string {
  const css = readTemplate('report.css');
  const scripts: string[] = [];
  let specs = '';
  if (model.interactive) {
    scripts.push(...vendorScripts(), readTemplate('interactive.js'));
    const all: Record<string, object> = {};
    for (const c of [model.activity, ...model.sections.flatMap((s) => s.charts), ...(model.anomaly?.containers.map((a) => a.chart) ?? [])]) if (c?.spec) all[c.id] = c.spec;
    specs = safeJson(all);
  }
  const csp = [
    "default-src 'none'",
    scripts.length ? `script-src ${scripts.map(sha256).join(' ')}` : "script-src 'none'",
    `style-src ${sha256(css)}`,
    'img-src data:', // vega-embed may draw into data: images; nothing is fetched
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return compileAll()({ ...model, css, csp, scripts, specs });
}
