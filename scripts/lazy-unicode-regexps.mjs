/**
 * An esbuild plugin for scripts/bundle-cli.mjs: Unicode property escapes (`\p{…}`) in the regular
 * expression literals of string-width become `new RegExp(…)` built where the literal stood.
 *
 * Why: V8 validates every regular expression literal of a script when it parses it, even one in a
 * function that never runs, and validating `\p{RGI_Emoji}` in /v mode makes ICU build the set of
 * every emoji sequence: ~180 M instructions, a third of `node -e 0`, paid by every command that
 * loads the bundle (callgrind; docs/performance.md, "Small captures"). In the bundle string-width
 * only initialises when a help cell is not plain text (its ASCII fast path is in bundle-cli.mjs),
 * and `new RegExp` is parsed when it runs: then, never otherwise. Same pattern, same flags.
 */
import { readFile } from 'node:fs/promises';

/** `= /…\p{…}…/flags` (string-width's module-level regexps): the body has no unescaped `/` or newline. */
const PROPERTY_LITERAL = /= \/((?:\\.|[^/\n\\])*\\p\{(?:\\.|[^/\n\\])*)\/([dgimsuyv]*)/g;

export function lazyUnicodeRegexps(filter = /[\\/]string-width[\\/]index\.js$/) {
  return {
    name: 'lazy-unicode-regexps',
    setup(b) {
      b.onLoad({ filter }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const rewritten = source.replace(PROPERTY_LITERAL, (_, body, flags) => `= new RegExp(${JSON.stringify(body)}, ${JSON.stringify(flags)})`);
        return { contents: rewritten, loader: 'js' };
      });
    },
  };
}

/** For the test: the rewrite of one source text. */
export function rewriteForTest(source) {
  return source.replace(PROPERTY_LITERAL, (_, body, flags) => `= new RegExp(${JSON.stringify(body)}, ${JSON.stringify(flags)})`);
}
