/**
 * Shared measuring for benches: options, medians, interleaved rounds of whole commands and a ratio
 * table. Two shared cores make single runs swing 2–3×, so every variant runs once per round, rounds
 * interleave the variants, and only medians are compared.
 */
import { spawnSync } from 'node:child_process';

/** `--name VALUE` from argv, or the default. */
export function opt(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface CommandRun {
  seconds: number;
  /** Peak resident memory of the command (GNU time's %M), MiB. */
  maxRssMb: number;
  stdout: string;
}

/** Runs a command to completion under /usr/bin/time; throws with its stderr when it fails. */
export function timeCommand(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CommandRun {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '@@maxrss %M', cmd, ...args], {
    encoding: 'utf8',
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = (performance.now() - t) / 1000;
  const m = /@@maxrss (\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').replace(/@@maxrss \d+\n?/, '').trim().slice(0, 2000)}`);
  return { seconds, maxRssMb: m ? Number(m[1]) / 1024 : NaN, stdout: r.stdout };
}

export interface Variant<T> {
  name: string;
  run(): T | Promise<T>;
}

/** Runs every variant once per round, rounds interleaved; returns each variant's results in order. */
export async function interleave<T>(rounds: number, variants: Variant<T>[], log?: (round: number, name: string, result: T) => void): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const res = await v.run();
      out.get(v.name)!.push(res);
      log?.(r, v.name, res);
    }
  }
  return out;
}

/** Prints `name  median  ratio-to-floor` rows; the floor is the row named `floor`. */
export function printRatios(title: string, medians: Record<string, number>, floor: string, unit = 's'): void {
  const base = medians[floor]!;
  console.log(`\n${title}`);
  const width = Math.max(...Object.keys(medians).map((k) => k.length));
  for (const [name, value] of Object.entries(medians)) {
    const ratio = name === floor ? '(floor)' : `${(value / base).toFixed(2)}×`;
    console.log(`  ${name.padEnd(width)}  ${value.toFixed(3)} ${unit}  ${ratio}`);
  }
}
