/**
 * ContainerResolver against real Docker containers: cgroup ids are taken the way BPF sees them
 * (the inode of the container's cgroup v2 directory) and must come back as the containers Docker
 * knows. Needs root and Docker; skips outside CI when they are missing, fails under CI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CgroupIndex, ContainerResolver, findCgroupV2Mount } from '../../src/containers/index.js';
import { parseTimestampNs } from '../../src/containers/metadata.js';
import { IS_ROOT, requireOrSkip } from '../helpers/env.js';
import {
  docker,
  ensureDockerd,
  ensureIpv6Network,
  ensureNetwork,
  ensureTestImage,
  removeContainers,
  runContainer,
  TEST_IMAGE,
  type RunOptions,
} from '../helpers/docker.js';

const execFileAsync = promisify(execFile);
// dockerd starts its own containerd unless one runs as a service; ctr works against either.
const containerdSocket = () => ['/run/containerd/containerd.sock', '/run/docker/containerd/containerd.sock'].find((p) => existsSync(p));

/** `docker save IMAGE | ctr images import -`, without a shell. */
function importIntoContainerd(socket: string, image: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const save = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
    const load = spawn('ctr', ['--address', socket, '--namespace', 'default', 'images', 'import', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
    save.stdout.pipe(load.stdin);
    save.on('error', reject);
    load.on('error', reject);
    load.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ctr images import exited with ${code}`))));
  });
}

function hasCommand(...names: string[]): boolean {
  try {
    execFileSync('sh', ['-c', names.map((n) => `command -v ${n}`).join(' && ')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const MOUNT = findCgroupV2Mount();
const READY = IS_ROOT && hasCommand('dockerd', 'docker') && MOUNT !== null;
const WHY = !IS_ROOT ? 'needs root' : MOUNT === null ? 'needs a cgroup v2 mount' : 'needs docker.io (dockerd + docker CLI)';

/** cgroup id of a running container = inode of its cgroup v2 directory (cgroupfs driver: /docker/<id>). */
function cgroupIdOf(id: string): bigint {
  return statSync(join(MOUNT!.mountPoint, 'docker', id), { bigint: true }).ino;
}

describe('containers on real Docker', { concurrency: false }, () => {
  // Only what this file makes is removed: other test files may share dockerd and the v6 network.
  const made: string[] = [];
  const run = async (opts: RunOptions) => {
    const started = await runContainer(opts);
    made.push(started.id);
    return started;
  };
  before(async () => {
    if (!READY) return;
    await ensureDockerd();
    await ensureTestImage();
    await removeContainers('cx-test-web', 'cx-test-gone'); // left by an interrupted earlier run
  });
  after(async () => {
    if (!READY) return;
    await removeContainers(...made);
    await docker('network', 'rm', 'contxray-test-extra').catch(() => undefined);
  });

  test('named, labelled container on an IPv6 user network resolves with Docker metadata', async (t) => {
    if (!requireOrSkip(t, READY, WHY)) return;
    const network = await ensureIpv6Network();
    const startedAfter = BigInt(Date.now() - 2_000) * 1_000_000n;
    const web = await run({
      name: 'cx-test-web',
      network,
      labels: { app: 'web', 'contxray.role': 'server' },
      args: ['httpd', '-f', '-p', '80', '-h', '/www'],
    });
    const other = await run({ args: ['sleep', '300'] });
    const startedBefore = BigInt(Date.now() + 2_000) * 1_000_000n;

    const resolver = new ContainerResolver();
    const webCgroup = cgroupIdOf(web.id);
    const info = resolver.resolve(webCgroup);
    assert.ok(info, 'the web container resolves');
    assert.equal(info.id, web.id);
    assert.equal(info.name, 'cx-test-web');
    assert.equal(info.image, TEST_IMAGE);
    assert.equal(info.runtime, 'docker');
    assert.equal(info.cgroupId, webCgroup);
    assert.equal(info.cgroupPath, `/docker/${web.id}`);
    assert.equal(info.labels['app'], 'web');
    assert.equal(info.labels['contxray.role'], 'server');
    assert.equal(info.labels['contxray.test'], '1');

    const inspected = JSON.parse(await docker('inspect', web.id))[0];
    const net = inspected.NetworkSettings.Networks[network];
    assert.match(net.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(net.GlobalIPv6Address, /^fd00:c0:ffee:/);
    assert.deepEqual([...info.ips].sort(), [net.IPAddress, net.GlobalIPv6Address].sort());
    assert.equal(info.startedAtNs, parseTimestampNs(inspected.State.StartedAt));
    assert.ok(info.startedAtNs! > startedAfter && info.startedAtNs! < startedBefore, 'start time is now');

    // The unnamed one gets Docker's generated name and the default bridge's address.
    const second = resolver.resolve(cgroupIdOf(other.id));
    assert.equal(second?.name, (await docker('inspect', '--format', '{{.Name}}', other.id)).replace(/^\//, ''));
    assert.equal(second?.ips.length, 1);

    assert.ok(resolver.matches(info, 'cx-test-web'));
    assert.ok(resolver.matches(info, web.id));
    assert.ok(resolver.matches(info, web.id.slice(0, 12)));
    assert.ok(!resolver.matches(info, other.id.slice(0, 12)));
    assert.equal(resolver.resolve(webCgroup), info, 'repeated calls come from the cache');
  });

  test('two containers reach each other over IPv6 on the helper network', async (t) => {
    if (!requireOrSkip(t, READY, WHY)) return;
    const network = await ensureIpv6Network();
    const address = await docker('inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").GlobalIPv6Address}}`, 'cx-test-web');
    // busybox 1.35's `wget -T` segfaults; timeout(1) bounds the fetch instead.
    const { stdout } = await run({ network, detach: false, args: ['timeout', '10', 'wget', '-qO-', `http://[${address}]/index.html`] });
    assert.match(stdout, /hello from contxray/);
  });

  test('refresh picks up a network connected after the first look', async (t) => {
    if (!requireOrSkip(t, READY, WHY)) return;
    const web = (await docker('inspect', '--format', '{{.Id}}', 'cx-test-web'));
    const resolver = new ContainerResolver();
    const cgroupId = cgroupIdOf(web);
    const before = resolver.resolve(cgroupId)!;
    await docker('network', 'connect', await ensureNetwork('contxray-test-extra'), web);
    const addedIp = await docker('inspect', '--format', '{{(index .NetworkSettings.Networks "contxray-test-extra").IPAddress}}', web);
    assert.ok(!before.ips.includes(addedIp));
    assert.deepEqual(resolver.resolve(cgroupId)!.ips, before.ips, 'resolve answers from the cache');
    assert.ok(resolver.refresh(cgroupId)!.ips.includes(addedIp), 'refresh re-reads config.v2.json');
  });

  test('the test process itself and the root cgroup are host, not containers', (t) => {
    if (!requireOrSkip(t, READY, WHY)) return;
    const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
    const resolver = new ContainerResolver();
    assert.equal(resolver.resolve(statSync(join(MOUNT!.mountPoint, own), { bigint: true }).ino), null);
    assert.equal(resolver.resolve(statSync(MOUNT!.mountPoint, { bigint: true }).ino), null);
  });

  test('a removed container does not throw; cached answers survive refresh', async (t) => {
    if (!requireOrSkip(t, READY, WHY)) return;
    const gone = await run({ name: 'cx-test-gone', args: ['sleep', '300'] });
    const cgroupId = cgroupIdOf(gone.id);
    const early = new ContainerResolver();
    assert.equal(early.resolve(cgroupId)?.name, 'cx-test-gone');
    await docker('rm', '--force', gone.id);

    assert.equal(early.refresh(cgroupId)?.name, 'cx-test-gone');
    const late = new ContainerResolver();
    assert.equal(late.resolve(cgroupId), null, 'its cgroup is gone, so there is nothing to name');
  });

  test('watch() catches a container that lives and is removed before anyone asks', async (t) => {
    if (!requireOrSkip(t, READY, WHY)) return;
    const resolver = new ContainerResolver();
    resolver.watch();
    t.after(() => resolver.close());
    await removeContainers('cx-test-brief');
    await docker('run', '--rm', '--label', 'contxray.test=1', '--label', 'app=brief', '--name', 'cx-test-brief', TEST_IMAGE, 'true');
    const brief = resolver.known().find((c) => c.name === 'cx-test-brief');
    assert.ok(brief, `seen: ${resolver.known().map((c) => c.name).join(', ')}`);
    assert.equal(brief.runtime, 'docker');
    assert.equal(brief.image, TEST_IMAGE);
    assert.equal(brief.labels['app'], 'brief');
    assert.throws(() => statSync(join(MOUNT!.mountPoint, brief.cgroupPath)), 'its cgroup is gone');
    assert.equal(resolver.resolve(brief.cgroupId), brief);
  });

  test('with watch(), a container named at its cgroup creation gets its IPs and start time by itself', async (t) => {
    if (!requireOrSkip(t, READY, WHY)) return;
    const resolver = new ContainerResolver();
    resolver.watch();
    t.after(() => resolver.close());
    const started = await run({ args: ['sleep', '300'] });
    const early = resolver.known().find((c) => c.id === started.id);
    assert.ok(early, 'seen by the watcher');
    await new Promise((r) => setTimeout(r, 600));
    const later = resolver.resolve(early.cgroupId);
    assert.ok(later?.startedAtNs, 'start time');
    assert.equal(later?.ips.length, 1, 'address on the default bridge');
  });

  test('a containerd container (ctr, namespace "default") resolves by /default/<id> and its bundle', async (t) => {
    const socket = READY ? containerdSocket() : undefined;
    if (!requireOrSkip(t, socket !== undefined && hasCommand('ctr'), READY ? 'needs ctr and a containerd socket' : WHY)) return;
    const ctr = (...args: string[]) => execFileAsync('ctr', ['--address', socket!, '--namespace', 'default', ...args]);
    const image = `docker.io/${TEST_IMAGE}`;
    if (!(await ctr('images', 'ls', '--quiet')).stdout.split('\n').includes(image)) {
      await importIntoContainerd(socket!, TEST_IMAGE);
    }
    const id = randomBytes(32).toString('hex');
    await ctr('run', '--detach', '--label', 'contxray.test=1', '--annotation', 'io.kubernetes.cri.container-name=cx-ctr', image, id, 'sleep', '300');
    t.after(async () => {
      await ctr('task', 'kill', '--signal', 'KILL', id).catch(() => undefined);
      for (let i = 0; i < 20; i++) {
        if (await ctr('task', 'delete', id).then(() => true, () => false)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await ctr('container', 'delete', id).catch(() => undefined);
    });

    const cgroupId = statSync(join(MOUNT!.mountPoint, 'default', id), { bigint: true }).ino;
    const info = new ContainerResolver().resolve(cgroupId);
    assert.deepEqual(
      [info?.runtime, info?.id, info?.cgroupPath, info?.name, info?.labels['containerd.namespace']],
      ['containerd', id, `/default/${id}`, 'cx-ctr', 'default'],
    );
  });

  test('docker inspect stands in when config.v2.json is unreadable', async (t) => {
    if (!requireOrSkip(t, READY, WHY)) return;
    const web = await docker('inspect', '--format', '{{.Id}}', 'cx-test-web');
    const resolver = new ContainerResolver({ dockerRoot: '/nonexistent/docker' });
    const info = resolver.resolve(cgroupIdOf(web));
    assert.equal(info?.name, 'cx-test-web');
    assert.equal(info?.image, TEST_IMAGE);
  });

  test('containers started later are found by rescanning /docker only, not the whole tree', async (t) => {
    if (!requireOrSkip(t, READY, WHY)) return;
    const index = new CgroupIndex(MOUNT!.mountPoint, MOUNT!.root);
    const web = await docker('inspect', '--format', '{{.Id}}', 'cx-test-web');
    assert.equal(index.pathOf(cgroupIdOf(web)), `/docker/${web}`);
    const walks = index.fullWalks;
    const late = await run({ args: ['sleep', '300'] });
    assert.equal(index.pathOf(cgroupIdOf(late.id)), `/docker/${late.id}`);
    assert.equal(index.fullWalks, walks);
  });
});
