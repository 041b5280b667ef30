/**
 * The resolver's plumbing without root or Docker: a temporary directory tree stands in for the cgroup
 * hierarchy (CgroupIndex only stats directories, so inodes work the same) and for the runtimes' state
 * files, written in the shapes the runtimes write them. Real Docker is in test/system/containers.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerResolver, CgroupIndex, CgroupWatcher, parseMountinfo } from '../../src/containers/index.js';
import { dockerMetadataFromJson } from '../../src/containers/docker.js';
import { parseTimestampNs } from '../../src/containers/metadata.js';
import { readContainerdMetadata, readContainersStorageMetadata } from '../../src/containers/oci-state.js';

const ID_A = 'a'.repeat(8) + '0123456789abcdef'.repeat(3) + 'b'.repeat(8);
const ID_B = 'c'.repeat(64);
const ID_C = 'd'.repeat(64);

function tempTree(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'contxray-containers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function inode(path: string): bigint {
  return statSync(path, { bigint: true }).ino;
}

const DOCKER_STATE = {
  ID: ID_A,
  Name: '/web',
  Image: 'sha256:d6a195b0ae3523f0d23ba3a74a6ecf2147b2324dbe745f0cb01d3ce69879abba',
  Config: { Image: 'contxray/busybox:test', Labels: { app: 'web', 'contxray.test': '1', bogus: 7 } },
  State: { Running: true, StartedAt: '2026-11-29T20:44:13.521046259Z' },
  NetworkSettings: {
    IPAddress: '',
    GlobalIPv6Address: '',
    Networks: {
      'contxray-v6': { IPAddress: '172.18.0.2', GlobalIPv6Address: 'fd00:c0:ffee::2' },
      bridge: { IPAddress: '172.17.0.3', GlobalIPv6Address: '' },
    },
  },
};

test('timestamps keep their nanoseconds; zero and garbage give null', () => {
  assert.equal(parseTimestampNs('2026-11-29T20:44:13.521046259Z'), BigInt(Date.UTC(2026, 10, 29, 20, 44, 13)) * 1_000_000n + 521046259n);
  assert.equal(parseTimestampNs('2026-11-29T20:44:13Z'), BigInt(Date.UTC(2026, 10, 29, 20, 44, 13)) * 1_000_000n);
  assert.equal(parseTimestampNs('2026-11-29T21:44:13.5+01:00'), BigInt(Date.UTC(2026, 10, 29, 20, 44, 13)) * 1_000_000n + 500_000_000n);
  assert.equal(parseTimestampNs('0001-01-01T00:00:00Z'), null);
  assert.equal(parseTimestampNs('yesterday'), null);
  assert.equal(parseTimestampNs(undefined), null);
});

test('docker state: name without slash, image as given, string labels, IPv4 and IPv6 of every network', () => {
  const meta = dockerMetadataFromJson(DOCKER_STATE);
  assert.equal(meta.name, 'web');
  assert.equal(meta.image, 'contxray/busybox:test');
  assert.deepEqual(meta.labels, { app: 'web', 'contxray.test': '1' });
  assert.deepEqual(meta.ips, ['172.18.0.2', 'fd00:c0:ffee::2', '172.17.0.3']);
  assert.equal(meta.startedAtNs, parseTimestampNs('2026-11-29T20:44:13.521046259Z'));
  const empty = dockerMetadataFromJson({ Image: 'sha256:1', Config: null, NetworkSettings: null });
  assert.deepEqual(empty, { name: '', image: 'sha256:1', labels: {}, ips: [], startedAtNs: null });
});

test('mountinfo: hybrid, pure v2, cgroup namespace root, escaped mount points, v1 only', () => {
  const hybrid = [
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n');
  assert.deepEqual(parseMountinfo(hybrid), { mountPoint: '/sys/fs/cgroup/unified', root: '/' });
  const pure = '35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate';
  assert.deepEqual(parseMountinfo(pure), { mountPoint: '/sys/fs/cgroup', root: '/' });
  const namespaced = `1210 1205 0:30 /docker/${ID_A} /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw`;
  assert.deepEqual(parseMountinfo(namespaced), { mountPoint: '/sys/fs/cgroup', root: `/docker/${ID_A}` });
  assert.deepEqual(parseMountinfo('50 1 0:40 / /mnt/my\\040cgroup rw - cgroup2 none rw')?.mountPoint, '/mnt/my cgroup');
  assert.equal(parseMountinfo(hybrid.split('\n').slice(0, 2).join('\n')), null);
});

test('CgroupIndex maps inodes to paths, finds new cgroups without a full walk, remembers misses', (t) => {
  const root = tempTree(t);
  mkdirSync(join(root, 'docker', ID_A), { recursive: true });
  mkdirSync(join(root, 'system.slice', 'ssh.service'), { recursive: true });
  const index = new CgroupIndex(root);
  assert.equal(index.pathOf(inode(join(root, 'docker', ID_A))), `/docker/${ID_A}`);
  assert.equal(index.fullWalks, 1);
  assert.equal(index.pathOf(inode(join(root, 'system.slice', 'ssh.service'))), '/system.slice/ssh.service');
  assert.equal(index.pathOf(inode(root)), '/');

  // A new container next to a known one is found by rescanning only its parent.
  mkdirSync(join(root, 'docker', ID_B));
  const before = index.statCount;
  assert.equal(index.pathOf(inode(join(root, 'docker', ID_B))), `/docker/${ID_B}`);
  assert.equal(index.fullWalks, 1);
  assert.ok(index.statCount - before <= 4, `targeted rescan stat-ed ${index.statCount - before} entries`);

  // Repeated lookups cost nothing; an unknown id costs one walk, then nothing.
  const stats = index.statCount;
  for (let i = 0; i < 1000; i++) index.pathOf(inode(join(root, 'docker', ID_A)));
  assert.equal(index.statCount, stats);
  assert.equal(index.pathOf(123456789012345n), null);
  const walks = index.fullWalks;
  assert.equal(index.pathOf(123456789012345n), null);
  assert.equal(index.fullWalks, walks);
});

test('CgroupIndex prefixes the hierarchy root seen through a cgroup namespace', (t) => {
  const root = tempTree(t);
  mkdirSync(join(root, 'child'));
  const index = new CgroupIndex(root, `/docker/${ID_A}`);
  assert.equal(index.pathOf(inode(join(root, 'child'))), `/docker/${ID_A}/child`);
  assert.equal(index.pathOf(inode(root)), `/docker/${ID_A}`);
});

test('ContainerResolver: Docker metadata, host cgroups, vanished containers, matching, refresh', (t) => {
  const root = tempTree(t);
  const cgroups = join(root, 'cgroup');
  const dockerRoot = join(root, 'docker');
  mkdirSync(join(cgroups, 'docker', ID_A), { recursive: true });
  mkdirSync(join(cgroups, 'docker', ID_B), { recursive: true });
  mkdirSync(join(cgroups, 'user.slice', 'user-0.slice', 'session-1.scope'), { recursive: true });
  mkdirSync(join(dockerRoot, 'containers', ID_A), { recursive: true });
  const stateFile = join(dockerRoot, 'containers', ID_A, 'config.v2.json');
  writeFileSync(stateFile, JSON.stringify(DOCKER_STATE));

  const resolver = new ContainerResolver({ cgroupRoot: cgroups, dockerRoot, dockerInspect: false });
  const idA = inode(join(cgroups, 'docker', ID_A));
  const web = resolver.resolve(idA);
  assert.ok(web);
  assert.deepEqual(
    { ...web, labels: undefined },
    {
      id: ID_A,
      name: 'web',
      image: 'contxray/busybox:test',
      runtime: 'docker',
      cgroupId: idA,
      cgroupPath: `/docker/${ID_A}`,
      ips: ['172.18.0.2', 'fd00:c0:ffee::2', '172.17.0.3'],
      labels: undefined,
      startedAtNs: parseTimestampNs('2026-11-29T20:44:13.521046259Z'),
    },
  );
  assert.equal(resolver.resolve(idA), web, 'cached: the same object');

  // Host cgroups are not containers.
  assert.equal(resolver.resolve(inode(join(cgroups, 'user.slice', 'user-0.slice', 'session-1.scope'))), null);
  assert.equal(resolver.resolve(inode(cgroups)), null);
  assert.equal(resolver.resolve(99999999999n), null);

  // A container whose state is gone still has an identity, and nothing throws.
  const orphan = resolver.resolve(inode(join(cgroups, 'docker', ID_B)));
  assert.deepEqual([orphan?.id, orphan?.name, orphan?.runtime, orphan?.image], [ID_B, ID_B, 'docker', '']);

  // Matching: exact name, full id, id prefix of 12 or more hex digits.
  assert.ok(resolver.matches(web, 'web'));
  assert.ok(resolver.matches(web, '/web'));
  assert.ok(resolver.matches(web, ID_A));
  assert.ok(resolver.matches(web, ID_A.slice(0, 12)));
  assert.ok(resolver.matches(web, ID_A.slice(0, 12).toUpperCase()));
  assert.ok(!resolver.matches(web, ID_A.slice(0, 11)), 'too short a prefix');
  assert.ok(!resolver.matches(web, 'we'));
  assert.ok(!resolver.matches(web, ''));
  assert.ok(!resolver.matches(web, ID_B));

  // refresh re-reads the state (IPs appear late); resolve keeps the cached answer until then.
  writeFileSync(stateFile, JSON.stringify({ ...DOCKER_STATE, NetworkSettings: { Networks: { n: { IPAddress: '10.9.0.2' } } } }));
  assert.deepEqual(resolver.resolve(idA)?.ips, web.ips);
  assert.deepEqual(resolver.refresh(idA)?.ips, ['10.9.0.2']);
  assert.deepEqual(resolver.resolve(idA)?.ips, ['10.9.0.2']);
  // …and keeps the last answer when the container is removed meanwhile.
  rmSync(join(dockerRoot, 'containers', ID_A), { recursive: true });
  assert.equal(resolver.refresh(idA)?.name, 'web');
});

test('containerd bundle annotations and containers/storage entries give names for other runtimes', (t) => {
  const root = tempTree(t);
  const tasks = join(root, 'tasks');
  mkdirSync(join(tasks, 'k8s.io', ID_A), { recursive: true });
  writeFileSync(
    join(tasks, 'k8s.io', ID_A, 'config.json'),
    JSON.stringify({
      ociVersion: '1.0.2',
      annotations: {
        'io.kubernetes.cri.container-type': 'container',
        'io.kubernetes.cri.container-name': 'nginx',
        'io.kubernetes.cri.sandbox-name': 'web-7d4b9c',
        'io.kubernetes.cri.sandbox-namespace': 'shop',
        'io.kubernetes.cri.image-name': 'docker.io/library/nginx:1.27',
      },
    }),
  );
  const cd = readContainerdMetadata(ID_A, [join(root, 'missing'), tasks]);
  assert.equal(cd?.name, 'shop/web-7d4b9c/nginx');
  assert.equal(cd?.image, 'docker.io/library/nginx:1.27');
  assert.equal(cd?.labels['containerd.namespace'], 'k8s.io');
  assert.equal(readContainerdMetadata(ID_B, [tasks]), null);

  const storage = join(root, 'storage');
  mkdirSync(join(storage, 'overlay-containers', ID_B, 'userdata'), { recursive: true });
  writeFileSync(
    join(storage, 'overlay-containers', 'containers.json'),
    JSON.stringify([
      {
        id: ID_B,
        names: ['api'],
        image: 'f'.repeat(64),
        metadata: JSON.stringify({ 'image-name': 'localhost/api:2', name: 'api', 'created-at': 1764448000 }),
      },
    ]),
  );
  writeFileSync(join(storage, 'overlay-containers', ID_B, 'userdata', 'config.json'), JSON.stringify({ annotations: { 'io.container.manager': 'libpod' } }));
  const podman = readContainersStorageMetadata(ID_B, [storage]);
  assert.deepEqual([podman?.name, podman?.image, podman?.labels], ['api', 'localhost/api:2', { 'io.container.manager': 'libpod' }]);
  assert.equal(readContainersStorageMetadata(ID_C, [storage]), null);

  // The resolver picks the reader by the runtime the cgroup path names.
  const cgroups = join(root, 'cgroup');
  mkdirSync(join(cgroups, 'machine.slice', `libpod-${ID_B}.scope`, 'container'), { recursive: true });
  const resolver = new ContainerResolver({ cgroupRoot: cgroups, containersStorageRoots: [storage], dockerInspect: false });
  const info = resolver.resolve(inode(join(cgroups, 'machine.slice', `libpod-${ID_B}.scope`, 'container')));
  assert.deepEqual([info?.runtime, info?.name, info?.image], ['podman', 'api', 'localhost/api:2']);
});

test('CgroupWatcher indexes directories as they appear, including in new parents, and ignores files', async (t) => {
  const root = tempTree(t);
  const index = new CgroupIndex(root);
  const seen: string[] = [];
  const watcher = new CgroupWatcher(index, (path) => seen.push(path));
  watcher.start();
  t.after(() => watcher.close());
  const settle = () => new Promise((r) => setTimeout(r, 100));

  mkdirSync(join(root, 'docker')); // the parent Docker makes at its first container
  await settle();
  mkdirSync(join(root, 'docker', ID_A));
  writeFileSync(join(root, 'cgroup.procs'), '1\n');
  await settle();
  const id = inode(join(root, 'docker', ID_A));
  rmSync(join(root, 'docker', ID_A), { recursive: true });
  await settle();

  assert.deepEqual(seen, ['/docker', `/docker/${ID_A}`]);
  assert.equal(index.knownPath(id), `/docker/${ID_A}`, 'still known after removal');
  assert.equal(index.pathOf(id), `/docker/${ID_A}`);
  assert.equal(index.fullWalks, 0);
});

test('a container read before it started is re-read by resolve a moment later, not on every call', async (t) => {
  const root = tempTree(t);
  const cgroups = join(root, 'cgroup');
  const dockerRoot = join(root, 'docker');
  mkdirSync(join(cgroups, 'docker', ID_C), { recursive: true });
  mkdirSync(join(dockerRoot, 'containers', ID_C), { recursive: true });
  const stateFile = join(dockerRoot, 'containers', ID_C, 'config.v2.json');
  const created = { ...DOCKER_STATE, ID: ID_C, State: { Running: false, StartedAt: '0001-01-01T00:00:00Z' }, NetworkSettings: { Networks: {} } };
  writeFileSync(stateFile, JSON.stringify(created));
  const resolver = new ContainerResolver({ cgroupRoot: cgroups, dockerRoot, dockerInspect: false });
  const cgroupId = inode(join(cgroups, 'docker', ID_C));
  assert.deepEqual([resolver.resolve(cgroupId)?.startedAtNs, resolver.resolve(cgroupId)?.ips], [null, []]);

  writeFileSync(stateFile, JSON.stringify(DOCKER_STATE)); // dockerd checkpoints after the start
  assert.equal(resolver.resolve(cgroupId)?.startedAtNs, null, 'not re-read on every call');
  await new Promise((r) => setTimeout(r, 550));
  const started = resolver.resolve(cgroupId);
  assert.equal(started?.startedAtNs, parseTimestampNs(DOCKER_STATE.State.StartedAt));
  assert.equal(started?.ips.length, 3);
  assert.equal(resolver.resolve(cgroupId), started, 'complete entries come from the cache');
});
