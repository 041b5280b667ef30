/**
 * `npm run bench -- NAME [options]`: runs bench/NAME.ts's main(). Benchmarks print ratios measured
 * side by side in one run; their latest figures go in docs/performance.md.
 */
const BENCHES = ['capture', 'capture-sizes', 'overhead', 'overhead-storm', 'seccomp', 'report', 'metrics', 'realworld', 'detect', 'detect-scenarios', 'live-scrape', 'resources', 'interactive'];
const [name, ...rest] = process.argv.slice(2);
if (!name || !BENCHES.includes(name)) {
  console.error(`usage: npm run bench -- ${BENCHES.join('|')} [options]`);
  process.exit(2);
}
const mod = (await import(`./${name}.js`)) as { main(argv: string[]): Promise<void> };
await mod.main(rest);
