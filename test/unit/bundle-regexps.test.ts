/**
 * V8 validates every regular expression literal of a module when it parses it, and a Unicode
 * property escape makes ICU build that property's set: `\p{RGI_Emoji}` in /v mode alone cost
 * ~180 M instructions (a third of `node -e 0`) in every command, from string-width inside the CLI
 * bundle, though its code never ran (scripts/lazy-unicode-regexps.mjs). The bundles every command
 * loads must hold no such literal; the rewritten ones must be the same expressions.
 * (That the bundled help, whose German text measures non-ASCII cells with the real string-width,
 * still comes out as the unbundled one's is test/unit/cli-bundle.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const DIST = new URL('../../', import.meta.url);
const ROOT = new URL('../', DIST);
const BUNDLES = ['src/cli/main.bundle.js', 'src/analyze/load.bundle.js'];

/** `\p{` or `\P{` written with one backslash: inside a regular expression literal (in a string literal it is `\\p{`). */
const PROPERTY_IN_LITERAL = /(?<!\\)\\[pP]\{[^}]*\}/g;

for (const bundle of BUNDLES) {
  test(`${bundle} has no Unicode property escape in a regular expression literal`, () => {
    const text = readFileSync(new URL(bundle, DIST), 'utf8');
    assert.deepEqual(text.match(PROPERTY_IN_LITERAL) ?? [], []);
  });
}

test('the rewrite keeps each expression: same pattern, same flags, same matches', async () => {
  const { rewriteForTest } = (await import(new URL('scripts/lazy-unicode-regexps.mjs', ROOT).href)) as { rewriteForTest: (s: string) => string };
  const require = createRequire(fileURLToPath(new URL('node_modules/yargs/package.json', ROOT)));
  const source = readFileSync(require.resolve('string-width'), 'utf8');
  const literals = [...source.matchAll(/= (\/(?:\\.|[^/\n\\])*\\p\{(?:\\.|[^/\n\\])*\/[dgimsuyv]*);/g)].map((m) => m[1]!);
  assert.ok(literals.length >= 3, `string-width's property regexps found: ${literals.join(' ')}`);
  const rewritten = rewriteForTest(source);
  assert.doesNotMatch(rewritten, /= \/[^\n]*(?<!\\)\\p\{/, 'no property literal left (its comments may name one)');
  for (const literal of literals) {
    const want = (0, eval)(literal) as RegExp;
    const built = rewritten.match(new RegExp(`new RegExp\\(${escape(JSON.stringify(want.source))}, ${escape(JSON.stringify(want.flags))}\\)`));
    assert.ok(built, `${literal} is built as new RegExp(source, flags)`);
    const got = (0, eval)(built[0]) as RegExp;
    assert.equal(got.source, want.source);
    assert.equal(got.flags, want.flags);
    for (const s of ['a', '😀', '\u0301', '\u200b', '1\u20e3', '界']) assert.equal(new RegExp(got).test(s), new RegExp(want).test(s), `${literal} on ${JSON.stringify(s)}`);
  }
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
