/**
 * Index cgroups the moment they are created. A short-lived container (`docker run --rm … true`
 * lives ~0.3 s) may have removed its cgroup before the recorder gets to the batch holding its first
 * events; then its id can no longer be turned into a path. runc creates cgroups with mkdir, which
 * inotify reports on cgroupfs too, so we watch every directory new cgroups can appear in.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { parseCgroupPath } from './cgroup-path.js';
import type { CgroupIndex } from './cgroupfs.js';

/** One inotify watch each; far below the kernel's per-user limit, and enough for busy Kubernetes nodes. */
const MAX_WATCHES = 4096;
const MAX_DEPTH = 8;

export class CgroupWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Set when MAX_WATCHES was reached: later cgroups in unwatched places are found by lookups only. */
  saturated = false;

  /**
   * @param onCgroup called for every cgroup seen appearing (relative path and id), e.g. to read the
   *   container's metadata while it still exists.
   */
  constructor(
    private readonly index: CgroupIndex,
    private readonly onCgroup: (path: string, id: bigint) => void,
  ) {}

  /** Watch the existing tree. Containers' own subtrees are skipped: they belong to the container. */
  start(): void {
    this.watchTree('/', 0);
  }

  close(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  get watchCount(): number {
    return this.watchers.size;
  }

  private watchTree(dir: string, depth: number): void {
    if (!this.watchDir(dir)) return;
    if (depth >= MAX_DEPTH) return;
    for (const name of this.index.subdirs(dir)) {
      const child = join(dir, name);
      if (parseCgroupPath(child) === null) this.watchTree(child, depth + 1);
    }
  }

  private watchDir(dir: string): boolean {
    if (this.watchers.has(dir)) return true;
    if (this.watchers.size >= MAX_WATCHES) {
      this.saturated = true;
      return false;
    }
    try {
      const watcher = watch(join(this.index.mountPoint, dir), { persistent: false }, (event, name) => {
        // "change" is a write to an interface file (cgroup.procs, memory.max …), never a new cgroup.
        if (event === 'rename' && typeof name === 'string' && name !== '') this.appeared(join(dir, name));
      });
      watcher.on('error', () => this.unwatch(dir)); // the directory was removed
      this.watchers.set(dir, watcher);
      return true;
    } catch {
      return false; // already gone
    }
  }

  private unwatch(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  /** inotify says "rename" for both mkdir and rmdir; only a directory that exists now is news. */
  private appeared(path: string): void {
    if (this.watchers.has(path)) return;
    const id = this.index.add(path);
    if (id === null) return; // removed, or a file (cgroup.procs …) that is not a cgroup
    if (parseCgroupPath(path) === null) {
      this.watchTree(path, path.split('/').length - 1);
    }
    this.onCgroup(path, id);
  }
}
