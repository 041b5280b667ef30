/**
 * Files the report is made from: the handlebars templates and stylesheet in reports/templates/,
 * and, for --interactive, the vega / vega-lite / vega-embed browser bundles from node_modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagePath } from '../util/package-root.js';

export function templateDir(): string {
  return packagePath('reports', 'templates');
}

export function readTemplate(name: string): string {
  return readFileSync(join(templateDir(), name), 'utf8');
}

/** The package folder of an installed dependency (their exports hide package.json and build/). */
function packageDir(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the ${name} package folder`);
    dir = up;
  }
}

const BUNDLES = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
] as const;

let vendor: string[] | undefined;

/**
 * The three UMD bundles, in load order, made safe to sit inside <script>: no source-map comment
 * (it would point at a file that is not there) and no `</script` or `<!--` that would end or
 * confuse the script element (none today; checked, and neutralised if a new version has one).
 */
export function vendorScripts(): string[] {
  vendor ??= BUNDLES.map(([pkg, file]) =>
    readFileSync(join(packageDir(pkg), file), 'utf8')
      .replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '')
      .replace(/<\/script/gi, '<\\/script')
      .replace(/<!--/g, '<\\!--'),
  );
  return vendor;
}
