/**
 * Container identity from a cgroup v2 path. Every runtime names the cgroup of a container after its
 * 64-hex id, each with its own prefix/suffix and parent layout; this module knows those layouts and
 * nothing else (no file system access), so it can be unit-tested on real path samples.
 */

export type Runtime = 'docker' | 'containerd' | 'cri-o' | 'podman' | 'kubernetes' | 'unknown';

export interface CgroupContainer {
  runtime: Runtime;
  /** Full 64-hex container id, lower case. */
  id: string;
  /** Kubernetes pod UID (dashed form) when the path sits under a kubepods pod cgroup. */
  podUid?: string;
}

const ID = '([0-9a-f]{64})';

/**
 * `<prefix>-<id>[.scope]` segments (systemd driver, and CRI-O/podman with cgroupfs). The conmon
 * monitors (`crio-conmon-`, `libpod-conmon-`) run next to the container, not in it: their prefix is
 * deliberately not listed, and the id pattern cannot match "conmon-<id>".
 */
const PREFIXED = new Map<string, Runtime>([
  ['docker', 'docker'],
  ['cri-containerd', 'containerd'],
  ['nerdctl', 'containerd'],
  ['crio', 'cri-o'],
  ['libpod', 'podman'],
]);
const PREFIXED_SEGMENT = new RegExp(`^([a-z-]+?)-${ID}(?:\\.scope)?$`);

/** systemd cgroup-path notation `<slice>:<prefix>:<id>` as it appears in some v1 hierarchies. */
const COLON_SEGMENT = new RegExp(`^[^:]*:([a-z-]+):${ID}$`);

/** Bare `<id>` segments: the parent says who made them (cgroupfs driver). */
const BARE_SEGMENT = new RegExp(`^${ID}$`);
const BARE_PARENTS = new Map<string, Runtime>([
  ['docker', 'docker'],
  ['moby', 'docker'],
  ['default', 'containerd'], // containerd namespace "default" (ctr, nerdctl with cgroupfs)
  ['k8s.io', 'containerd'],
  ['libpod_parent', 'podman'],
]);

/** `pod<uid>` (cgroupfs) or `kubepods[-qos]-pod<uid_with_underscores>.slice` (systemd). */
const POD_SEGMENT = /^(?:kubepods(?:-[a-z]+)*-)?pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?$/;

/**
 * Parse a cgroup path (relative to the v2 root, e.g. "/docker/<id>") into the container it belongs to,
 * or null for host cgroups (slices, sessions, init.scope, conmon, pod-level cgroups).
 *
 * The deepest container-looking segment wins, so sub-cgroups a container makes for itself
 * ("libpod-<id>.scope/container", systemd inside a container) and nested runtimes (docker in docker)
 * resolve to the innermost container.
 */
export function parseCgroupPath(path: string): CgroupContainer | null {
  const segments = path.split('/').filter((s) => s.length > 0);
  const inKubepods = segments.some((s) => s === 'kubepods' || s.startsWith('kubepods.') || s.startsWith('kubepods-'));
  for (let i = segments.length - 1; i >= 0; i--) {
    const found = containerSegment(segments[i]!, segments[i - 1], inKubepods);
    if (!found) continue;
    const podUid = podUidAbove(segments, i);
    return podUid ? { ...found, podUid } : found;
  }
  return null;
}

function containerSegment(segment: string, parent: string | undefined, inKubepods: boolean): CgroupContainer | null {
  const prefixed = PREFIXED_SEGMENT.exec(segment) ?? COLON_SEGMENT.exec(segment);
  if (prefixed) {
    const runtime = PREFIXED.get(prefixed[1]!);
    return runtime ? { runtime, id: prefixed[2]! } : null;
  }
  const bare = BARE_SEGMENT.exec(segment);
  if (!bare) return null;
  const byParent = parent === undefined ? undefined : BARE_PARENTS.get(parent);
  if (byParent) return { runtime: byParent, id: bare[1]! };
  // kubelet's cgroupfs driver names the container cgroup by id alone; which runtime made it is
  // only known from the runtime's own state (the resolver checks).
  if (inKubepods) return { runtime: 'kubernetes', id: bare[1]! };
  // A 64-hex directory under an unknown parent is what `--cgroup-parent` produces.
  return { runtime: 'unknown', id: bare[1]! };
}

function podUidAbove(segments: string[], index: number): string | undefined {
  // Starts at the container's own segment: the colon notation carries the pod slice before the ':'.
  for (let i = index; i >= 0; i--) {
    const pod = POD_SEGMENT.exec(segments[i]!.split(':')[0]!);
    if (pod) return pod[1]!.replaceAll('_', '-');
  }
  return undefined;
}
