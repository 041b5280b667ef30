/**
 * The npm package as users get it: the prebuild for this machine (scripts/prebuild.sh, built when
 * missing), `npm pack`'s file list, and a real tarball. Packing never runs the package's own
 * prepack (`rm -rf dist` would delete the tests being run): the JS is compiled with the same
 * tsconfig.build.json into dist/ first (declarations included, nothing deleted).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

// dist/test/helpers/ → repository root
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ARCH = process.arch === 'x64' ? 'x64' : process.arch;
/** The prebuild npm pack must contain for this machine. */
export const PREBUILD = `native/prebuilds/linux-${ARCH}/contxray.glibc.node`;

async function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { cwd: REPO_ROOT, maxBuffer: 64 << 20, timeout: timeoutMs });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim().split('\n').slice(-15).join('\n') || e.message}`);
  }
}

/** Builds the prebuild when it is missing (minutes the first time: PIC libelf/libbpf/zlib). */
export async function ensurePrebuild(): Promise<string> {
  if (!existsSync(join(REPO_ROOT, PREBUILD))) await run('bash', ['scripts/prebuild.sh'], 30 * 60_000);
  return join(REPO_ROOT, PREBUILD);
}

/** Compiles src/ the way `npm run build:package` does (into dist/src, with declarations). */
export async function buildPackageJs(): Promise<void> {
  await run(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], 10 * 60_000);
  await run(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle-duckdb.mjs')], 10 * 60_000);
  await run(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle-cli.mjs')], 10 * 60_000); // as build:package does
}

export interface PackEntry {
  path: string;
  size: number;
}
export interface PackListing {
  filename: string;
  size: number;
  unpackedSize: number;
  files: PackEntry[];
}

/** `npm pack --dry-run --json`: what the tarball would hold. */
export async function packListing(): Promise<PackListing> {
  const out = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], 5 * 60_000);
  const [listing] = JSON.parse(out) as PackListing[];
  if (!listing) throw new Error('npm pack --dry-run --json printed no package');
  return listing;
}

/** Writes the real tarball into `dir`; returns its path. */
export async function packTarball(dir: string): Promise<string> {
  const out = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], 5 * 60_000);
  const [listing] = JSON.parse(out) as PackListing[];
  return join(dir, listing!.filename);
}
