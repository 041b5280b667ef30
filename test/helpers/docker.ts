/**
 * Real Docker for system tests: start dockerd if needed, build the busybox test image locally (no
 * registry is reachable), run labelled containers and remove them afterwards. Everything goes
 * through execFile with argument arrays, never a shell string.
 */
import { execFile, spawn } from 'node:child_process';
import { openSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Every container and network the tests create carries this label; cleanup removes by it. */
export const TEST_LABEL = 'contxray.test=1';
export const TEST_IMAGE = 'contxray/busybox:test';
export const IPV6_NETWORK = 'contxray-v6';
export const IPV6_SUBNET = 'fd00:c0:ffee::/64';
export const DOCKERD_LOG = '/var/log/contxray-dockerd.log';

// dist/test/helpers/ → repository root
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Run the docker CLI; resolves to trimmed stdout, rejects with docker's stderr in the message. */
export async function docker(...args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('docker', args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

export async function dockerAvailable(): Promise<boolean> {
  try {
    await execFileAsync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Start dockerd in the background (no systemd here) unless one answers; wait up to ~30 s. */
export async function ensureDockerd(): Promise<void> {
  if (await dockerAvailable()) return;
  mkdirSync(dirname(DOCKERD_LOG), { recursive: true });
  const log = openSync(DOCKERD_LOG, 'a');
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] });
  child.on('error', () => undefined); // reported below as "did not become ready"
  child.unref();
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 500));
    if (await dockerAvailable()) return;
  }
  throw new Error(`dockerd did not become ready within 30 s (see ${DOCKERD_LOG})`);
}

/** Build the busybox image once (scripts/demo-image.sh does nothing if the tag exists). */
export async function ensureTestImage(tag = TEST_IMAGE): Promise<string> {
  await execFileAsync('bash', [join(REPO_ROOT, 'scripts', 'demo-image.sh'), tag]);
  return tag;
}

export interface RunOptions {
  image?: string;
  name?: string;
  args?: string[];
  network?: string;
  /** "host:container[:ro]" bind mounts. */
  volumes?: string[];
  securityOpt?: string[];
  labels?: Record<string, string>;
  /** Default true; false waits for the container to exit (and leaves it for inspection). */
  detach?: boolean;
  /** Extra `docker run` options, e.g. ['--ip6', '…']. */
  extra?: string[];
}

/** `docker run` a test container (always labelled contxray.test=1); returns the full id. */
export async function runContainer(opts: RunOptions = {}): Promise<{ id: string; stdout: string }> {
  const args = ['run', '--label', TEST_LABEL];
  for (const [key, value] of Object.entries(opts.labels ?? {})) args.push('--label', `${key}=${value}`);
  if (opts.name) args.push('--name', opts.name);
  if (opts.network) args.push('--network', opts.network);
  for (const volume of opts.volumes ?? []) args.push('--volume', volume);
  for (const option of opts.securityOpt ?? []) args.push('--security-opt', option);
  if (opts.detach ?? true) args.push('--detach');
  args.push(...(opts.extra ?? []), opts.image ?? TEST_IMAGE, ...(opts.args ?? []));
  if (opts.detach ?? true) {
    const id = await docker(...args);
    return { id, stdout: '' };
  }
  // Attached: docker prints the workload's output, not the id; create first to learn the id.
  const created = await docker('create', ...args.slice(1));
  const stdout = await docker('start', '--attach', created);
  return { id: created, stdout };
}

/**
 * A user network with IPv6. On this Docker (20.10) `--ipv6 --subnet` on the network is all that
 * containers on the same network need to talk over IPv6: the traffic stays on the bridge, so no
 * daemon flag (--ipv6, --ip6tables, --experimental) is required. Idempotent.
 */
export async function ensureIpv6Network(name = IPV6_NETWORK, subnet = IPV6_SUBNET): Promise<string> {
  return createNetworkOnce(name, ['--ipv6', '--subnet', subnet]);
}

/** A plain (IPv4) user network, labelled for cleanup. Idempotent. */
export async function ensureNetwork(name: string): Promise<string> {
  return createNetworkOnce(name, []);
}

/** Tests of several engineers may share a network: losing a creation race to one of them is fine. */
async function createNetworkOnce(name: string, options: string[]): Promise<string> {
  const existing = await docker('network', 'ls', '--quiet', '--filter', `name=^${name}$`);
  if (existing !== '') return name;
  try {
    await docker('network', 'create', '--label', TEST_LABEL, ...options, name);
  } catch (err) {
    if (!/already exists/.test((err as Error).message)) throw err;
  }
  return name;
}

/** Remove these containers (by id or name) if they exist; for a test's own cleanup. */
export async function removeContainers(...namesOrIds: string[]): Promise<void> {
  if (namesOrIds.length === 0) return;
  try {
    await docker('rm', '--force', '--volumes', ...namesOrIds);
  } catch {
    // "No such container" for some of them: they are gone, which is what we want
  }
}

/**
 * Remove every container, then every network, labelled contxray.test=1: for CI teardown. A test
 * should remove only what it made (removeContainers), since others' tests may be running too.
 */
export async function cleanupTestContainers(): Promise<void> {
  const containers = (await docker('ps', '--all', '--quiet', '--filter', `label=${TEST_LABEL}`)).split('\n').filter(Boolean);
  if (containers.length > 0) await docker('rm', '--force', '--volumes', ...containers);
  const networks = (await docker('network', 'ls', '--quiet', '--filter', `label=${TEST_LABEL}`)).split('\n').filter(Boolean);
  if (networks.length > 0) await docker('network', 'rm', ...networks);
}

/** Full id of a container by name or id. */
export async function containerId(nameOrId: string): Promise<string> {
  return docker('inspect', '--format', '{{.Id}}', nameOrId);
}
