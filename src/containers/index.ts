/**
 * cgroup id (what BPF sees) → container (what users name). Identity comes from the cgroup path
 * (cgroup-path.ts), everything else from the runtime's state on disk (docker.ts, oci-state.ts).
 * Answers are cached per cgroup id: the recorder may ask once per batch for every id it sees.
 */
import { CgroupIndex, findCgroupV2Mount } from './cgroupfs.js';
import { CgroupWatcher } from './cgroup-watch.js';
import { parseCgroupPath, type CgroupContainer } from './cgroup-path.js';
import { DEFAULT_DOCKER_ROOT, readDockerMetadata } from './docker.js';
import { readContainerdMetadata, readContainersStorageMetadata } from './oci-state.js';
import type { RuntimeMetadata } from './metadata.js';
import { hexPrefix, nameMatches } from '../analyze/select.js';

export { parseCgroupPath, type CgroupContainer, type Runtime } from './cgroup-path.js';
export { CgroupIndex, findCgroupV2Mount, parseMountinfo } from './cgroupfs.js';
export { CgroupWatcher } from './cgroup-watch.js';

export interface ContainerInfo {
  /** Full 64-hex id. */
  id: string;
  /** Runtime's name for it (Docker's without the leading "/"); the id when the runtime has none. */
  name: string;
  image: string;
  runtime: string;
  cgroupId: bigint;
  /** Path in the cgroup v2 hierarchy, e.g. "/docker/<id>". */
  cgroupPath: string;
  /** IPv4 and IPv6 addresses from all networks; empty until the runtime has set up networking (resolve re-reads). */
  ips: string[];
  labels: Record<string, string>;
  startedAtNs: bigint | null;
  /** Kubernetes pod UID when the cgroup sits under a pod. */
  podUid?: string;
}

export interface ContainerResolverOptions {
  /** cgroup v2 mount to search; default: found in /proc/self/mountinfo. */
  cgroupRoot?: string;
  /** dockerd's data-root; default /var/lib/docker. */
  dockerRoot?: string;
  /** Fall back to `docker inspect` when config.v2.json is unreadable (default true). */
  dockerInspect?: boolean;
  /** containerd task directories and containers/storage roots (tests point these elsewhere). */
  containerdTaskDirs?: string[];
  containersStorageRoots?: string[];
}

/** Live, a prefix cannot be checked for uniqueness (containers appear later): Docker's 12-digit short id at least. */
const MIN_LIVE_PREFIX = 12;
/** An entry read before its container had started is read again this often, this many times at most. */
const INCOMPLETE_REREAD_MS = 500;
const INCOMPLETE_REREADS = 6;

export class ContainerResolver {
  private readonly index: CgroupIndex | null;
  private readonly cache = new Map<bigint, ContainerInfo | null>();
  private watcher: CgroupWatcher | null = null;
  /** Containers read before they had started (no start time yet): when, and how often, re-read. */
  private readonly incomplete = new Map<bigint, { at: number; rereads: number }>();

  constructor(private readonly opts: ContainerResolverOptions = {}) {
    if (opts.cgroupRoot) {
      this.index = new CgroupIndex(opts.cgroupRoot);
    } else {
      const mount = findCgroupV2Mount();
      // No v2 hierarchy (pure v1 host): nothing can be resolved, every id counts as host.
      this.index = mount ? new CgroupIndex(mount.mountPoint, mount.root) : null;
    }
  }

  /** The container a cgroup id belongs to, or null for host cgroups (and cgroups already gone). */
  resolve(cgroupId: bigint): ContainerInfo | null {
    const cached = this.cache.get(cgroupId);
    if (cached !== undefined) return this.incomplete.has(cgroupId) ? this.completeLater(cgroupId, cached) : cached;
    const info = this.lookup(cgroupId);
    this.cache.set(cgroupId, info);
    if (info && info.startedAtNs === null) this.incomplete.set(cgroupId, { at: Date.now(), rereads: 0 });
    return info;
  }

  /**
   * A container seen at its cgroup's creation (first syscall, or watch()) has no start time and no
   * IPs in the runtime's state yet; re-read it now and then for a few seconds instead of per call.
   */
  private completeLater(cgroupId: bigint, cached: ContainerInfo | null): ContainerInfo | null {
    const state = this.incomplete.get(cgroupId)!;
    if (Date.now() - state.at < INCOMPLETE_REREAD_MS) return cached;
    const info = this.refresh(cgroupId);
    state.at = Date.now();
    state.rereads++;
    if (info?.startedAtNs != null || state.rereads >= INCOMPLETE_REREADS) this.incomplete.delete(cgroupId);
    return info;
  }

  /**
   * Read the runtime's metadata again: at a container's first syscall dockerd may not have written
   * its IPs and start time yet. Keeps the previous answer when the container is gone meanwhile.
   */
  refresh(cgroupId: bigint): ContainerInfo | null {
    const previous = this.cache.get(cgroupId);
    if (!previous) return this.resolve(cgroupId);
    const metadata = this.readMetadata({ runtime: previous.runtime as CgroupContainer['runtime'], id: previous.id });
    if (!metadata) return previous;
    const updated = this.build(previous.cgroupId, previous.cgroupPath, metadata.container, metadata.data, previous.podUid);
    this.cache.set(cgroupId, updated);
    if (updated.startedAtNs !== null) this.incomplete.delete(cgroupId);
    return updated;
  }

  /**
   * Start indexing cgroups as they are created (inotify) and read a new container's metadata at
   * once, so containers that exit before their first events are processed still resolve. Optional:
   * without it, lookups still find every cgroup that exists at lookup time. Call close() at the end.
   */
  watch(): void {
    if (this.watcher || !this.index) return;
    this.watcher = new CgroupWatcher(this.index, (path, id) => {
      if (parseCgroupPath(path)) this.resolve(id);
    });
    this.watcher.start();
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  /** Every container resolved so far (by lookups or by watch()), e.g. for a capture's container table. */
  known(): ContainerInfo[] {
    return [...this.cache.values()].filter((info): info is ContainerInfo => info !== null);
  }

  /** The selector's predicates (src/analyze/select.ts): exact name, or an id prefix of at least 12 hex digits (a full id is one). */
  matches(info: ContainerInfo, selector: string): boolean {
    if (nameMatches(info.name, selector)) return true;
    const prefix = hexPrefix(selector, MIN_LIVE_PREFIX);
    return prefix !== null && info.id.startsWith(prefix);
  }

  private lookup(cgroupId: bigint): ContainerInfo | null {
    const path = this.index?.pathOf(cgroupId) ?? null;
    if (path === null) return null;
    const parsed = parseCgroupPath(path);
    if (!parsed) return null;
    const metadata = this.readMetadata(parsed);
    return this.build(cgroupId, path, metadata?.container ?? parsed, metadata?.data ?? null, parsed.podUid);
  }

  /**
   * Ask the runtime the path names first; when the path does not say (kubelet's cgroupfs layout,
   * --cgroup-parent), whichever runtime knows the id is the one that made it.
   */
  private readMetadata(parsed: CgroupContainer): { container: CgroupContainer; data: RuntimeMetadata } | null {
    const { id } = parsed;
    const docker = (inspect: boolean) => readDockerMetadata(id, this.opts.dockerRoot ?? DEFAULT_DOCKER_ROOT, inspect);
    const containerd = () => readContainerdMetadata(id, this.opts.containerdTaskDirs);
    const storage = () => readContainersStorageMetadata(id, this.opts.containersStorageRoots);
    const inspect = this.opts.dockerInspect ?? true;
    const readers: Array<[CgroupContainer['runtime'], () => RuntimeMetadata | null]> =
      parsed.runtime === 'docker' ? [['docker', () => docker(inspect)]]
      : parsed.runtime === 'containerd' ? [['containerd', containerd]]
      : parsed.runtime === 'cri-o' ? [['cri-o', storage]]
      : parsed.runtime === 'podman' ? [['podman', storage]]
      : [['docker', () => docker(false)], ['containerd', containerd], [parsed.runtime, storage]];
    for (const [runtime, read] of readers) {
      const data = read();
      if (data) return { container: { ...parsed, runtime }, data };
    }
    return null;
  }

  private build(
    cgroupId: bigint,
    cgroupPath: string,
    container: CgroupContainer,
    data: RuntimeMetadata | null,
    podUid: string | undefined,
  ): ContainerInfo {
    const info: ContainerInfo = {
      id: container.id,
      name: data?.name || container.id,
      image: data?.image ?? '',
      runtime: container.runtime,
      cgroupId,
      cgroupPath,
      ips: data?.ips ?? [],
      labels: data?.labels ?? {},
      startedAtNs: data?.startedAtNs ?? null,
    };
    if (podUid) info.podUid = podUid;
    return info;
  }
}
