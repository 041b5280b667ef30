/**
 * Templates escape by default. Triple-stash ({{{x}}}) and {{& x}} insert raw HTML, so they are only
 * allowed for values our own code produces and checks; anything else fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { templateDir } from '../../src/report/assets.js';

/** template → the raw expressions it may use, and why each is safe. */
const ALLOWED: Record<string, string[]> = {
  'layout.hbs': [
    'css', // reports/templates/report.css, hashed into the CSP
    'specs', // chart specs through safeJson(): no <, >, & left
    'this', // inside {{#each scripts}}: vendor bundles (</script neutralised) + interactive.js, each hashed into the CSP
  ],
  'chart.hbs': ['svg'], // vega's SVG, passed through assertSafeSvg (drawing elements only, no handlers/links/styles)
};

test('no template inserts captured data unescaped', () => {
  const dir = templateDir();
  const files = readdirSync(dir).filter((f) => f.endsWith('.hbs'));
  assert.ok(files.length >= 5, 'templates found');
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const raw = [...text.matchAll(/\{\{\{~?\s*([^}\s~]+)[^}]*\}\}\}|\{\{~?&\s*([^}\s~]+)[^}]*\}\}/g)].map((m) => m[1] ?? m[2]!);
    for (const expr of raw) {
      assert.ok((ALLOWED[f] ?? []).includes(expr), `${f}: unescaped {{{${expr}}}} is not on the allow-list`);
    }
  }
});

test('the allow-list itself is used (stale entries would hide a change)', () => {
  for (const [f, exprs] of Object.entries(ALLOWED)) {
    const text = readFileSync(join(templateDir(), f), 'utf8');
    for (const e of exprs) assert.ok(text.includes(`{{{${e}}}}`), `${f} no longer uses {{{${e}}}}`);
  }
});

test('no helper or model code hands handlebars a SafeString', () => {
  const src = join(templateDir(), '..', '..', 'src', 'report');
  for (const f of readdirSync(src).filter((x) => x.endsWith('.ts'))) {
    const text = readFileSync(join(src, f), 'utf8');
    assert.ok(!/SafeString|registerHelper/.test(text), `${f} must not bypass escaping`);
  }
});

test('templates hold no inline event handlers, inline styles or external URLs', () => {
  for (const f of readdirSync(templateDir()).filter((x) => x.endsWith('.hbs'))) {
    const text = readFileSync(join(templateDir(), f), 'utf8');
    assert.ok(!/\son[a-z]+\s*=/i.test(text), `${f}: event handler attribute`);
    assert.ok(!/\sstyle\s*=/i.test(text), `${f}: style attribute (blocked by the CSP)`);
    assert.ok(!/(src|href)\s*=\s*"(https?:|\/\/)/i.test(text), `${f}: external resource`);
  }
});
