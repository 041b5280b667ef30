/**
 * cgroup id → cgroup path. The id BPF reports (bpf_get_current_cgroup_id) is the inode number of the
 * cgroup's directory in the v2 hierarchy, so the only way back to a path is to stat directories.
 * Ids are never reused while the host runs (64-bit kernfs ids), which makes every answer cacheable,
 * including "not found".
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface CgroupMount {
  /** Where the v2 hierarchy is mounted, e.g. /sys/fs/cgroup/unified (hybrid) or /sys/fs/cgroup. */
  mountPoint: string;
  /** The hierarchy path the mount shows at its top ("/" unless inside a cgroup namespace). */
  root: string;
}

/** Find the cgroup v2 mount in a /proc/self/mountinfo text. */
export function parseMountinfo(mountinfo: string): CgroupMount | null {
  for (const line of mountinfo.split('\n')) {
    // "<id> <parent> <maj:min> <root> <mount point> <options> [optional…] - <fstype> <source> <super options>"
    const [left, right] = line.split(' - ');
    if (!left || !right || !right.startsWith('cgroup2 ')) continue;
    const fields = left.split(' ');
    if (fields.length < 5) continue;
    return { root: unescapeMountinfo(fields[3]!), mountPoint: unescapeMountinfo(fields[4]!) };
  }
  return null;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function findCgroupV2Mount(mountinfoPath = '/proc/self/mountinfo'): CgroupMount | null {
  try {
    return parseMountinfo(readFileSync(mountinfoPath, 'utf8'));
  } catch {
    return null;
  }
}

/** Deep enough for kubepods.slice/…/pod.slice/container.scope/sub-cgroups; bounds a walk of a hostile tree. */
const MAX_DEPTH = 16;
/** Unresolvable ids remembered (they belong to cgroups already removed). */
const MAX_MISSES = 65_536;

/**
 * Maps cgroup ids to paths under one v2 mount. A lookup miss first rescans only the directories where
 * earlier hits lived (where containers keep appearing: /docker, /system.slice, kubepods QoS slices),
 * then walks the whole tree once; an id still not found is remembered as gone. So a full walk happens
 * only for a genuinely new cgroup in a new place, never per event.
 */
export class CgroupIndex {
  private readonly paths = new Map<bigint, string>();
  private readonly misses = new Set<bigint>();
  /** Directories (relative, "/" = top) whose children were looked up before. */
  private readonly hotDirs = new Set<string>(['/']);
  /** How many directories were stat-ed in total; exposed so tests can check the cost stays bounded. */
  statCount = 0;
  fullWalks = 0;

  /**
   * @param mountPoint directory of the v2 hierarchy to search.
   * @param root hierarchy path of that directory ("/" normally), prefixed to every path returned.
   */
  constructor(
    readonly mountPoint: string,
    readonly root = '/',
  ) {}

  /** Path of the cgroup with this id relative to the hierarchy root ("/docker/<id>"), or null if none. */
  pathOf(id: bigint): string | null {
    const known = this.paths.get(id);
    if (known !== undefined) return this.withRoot(known);
    if (this.misses.has(id)) return null;
    for (const dir of this.hotDirs) {
      this.scanChildren(dir);
      const found = this.paths.get(id);
      if (found !== undefined) return this.remember(found);
    }
    this.fullWalks++;
    this.walk('/', 0);
    const found = this.paths.get(id);
    if (found !== undefined) return this.remember(found);
    if (this.misses.size >= MAX_MISSES) this.misses.clear();
    this.misses.add(id);
    return null;
  }

  private remember(path: string): string {
    this.hotDirs.add(parentOf(path));
    return this.withRoot(path);
  }

  private withRoot(path: string): string {
    if (this.root === '/' || this.root === '') return path;
    return path === '/' ? this.root : this.root + path;
  }

  /** Subdirectory names of a directory relative to the mount (empty if it is gone). */
  subdirs(dir: string): string[] {
    try {
      return readdirSync(join(this.mountPoint, dir), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name);
    } catch {
      return []; // removed while we looked: its cgroups are gone too
    }
  }

  private scanChildren(dir: string): void {
    for (const name of this.subdirs(dir)) this.record(join(dir, name));
  }

  private walk(dir: string, depth: number): void {
    this.record(dir);
    if (depth >= MAX_DEPTH) return;
    for (const name of this.subdirs(dir)) this.walk(join(dir, name), depth + 1);
  }

  /**
   * Index one directory (relative to the mount) now, e.g. right after a watcher saw it appear, so its
   * id stays resolvable after a short-lived container has removed it. Returns its id, null if gone.
   */
  add(dir: string): bigint | null {
    const id = this.record(dir, true);
    if (id !== null) {
      this.misses.delete(id);
      this.hotDirs.add(parentOf(dir));
    }
    return id;
  }

  /** The path `add` or a lookup stored for an id, without searching. */
  knownPath(id: bigint): string | null {
    const path = this.paths.get(id);
    return path === undefined ? null : this.withRoot(path);
  }

  /** Stores relative paths; the hierarchy root is added on the way out. */
  private record(dir: string, checkIsDirectory = false): bigint | null {
    this.statCount++;
    try {
      const stat = statSync(join(this.mountPoint, dir), { bigint: true });
      if (checkIsDirectory && !stat.isDirectory()) return null; // an interface file such as cgroup.procs
      const id = stat.ino;
      this.paths.set(id, dir);
      return id;
    } catch {
      return null; // removed between readdir and stat
    }
  }
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}
