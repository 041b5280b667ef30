/**
 * Cheap on-disk state for the runtimes other than Docker. Their real databases (containerd's bolt
 * file, podman's libpod DB) are not worth parsing; what is cheap to read:
 *  - containerd: the OCI bundle of a running task, `<task dir>/<namespace>/<id>/config.json`, whose
 *    annotations carry the Kubernetes names when the container came through CRI;
 *  - CRI-O and podman: containers/storage's `overlay-containers/containers.json` (names, image name)
 *    and the bundle's `userdata/config.json` annotations (CRI-O puts the Kubernetes names there).
 * Whatever is missing stays empty; nothing here throws.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringRecord, uniqueNonEmpty, parseTimestampNs, type RuntimeMetadata } from './metadata.js';

export const CONTAINERD_TASK_DIRS = [
  '/run/containerd/io.containerd.runtime.v2.task', // containerd as its own service
  '/run/docker/containerd/daemon/io.containerd.runtime.v2.task', // the containerd dockerd starts itself
  '/run/k3s/containerd/io.containerd.runtime.v2.task',
];
export const CONTAINERS_STORAGE_ROOTS = ['/var/lib/containers/storage', '/run/containers/storage'];

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function annotationsOf(ociConfig: unknown): Record<string, string> {
  return stringRecord((ociConfig as { annotations?: unknown } | undefined)?.annotations);
}

/** A Kubernetes container's "namespace/pod/container" name from CRI annotations, if present. */
function kubernetesName(a: Record<string, string>): string {
  const container = a['io.kubernetes.cri.container-name'] ?? a['io.kubernetes.container.name'];
  const pod = a['io.kubernetes.cri.sandbox-name'] ?? a['io.kubernetes.pod.name'];
  const namespace = a['io.kubernetes.cri.sandbox-namespace'] ?? a['io.kubernetes.pod.namespace'];
  if (!container) return '';
  return [namespace, pod, container].filter(Boolean).join('/');
}

export function readContainerdMetadata(id: string, taskDirs = CONTAINERD_TASK_DIRS): RuntimeMetadata | null {
  if (!/^[0-9a-f]{64}$/.test(id)) return null;
  for (const taskDir of taskDirs) {
    let namespaces: string[];
    try {
      namespaces = readdirSync(taskDir);
    } catch {
      continue;
    }
    for (const namespace of namespaces) {
      const config = readJson(join(taskDir, namespace, id, 'config.json'));
      if (config === undefined) continue;
      const annotations = annotationsOf(config);
      return {
        name: kubernetesName(annotations) || annotations['nerdctl/name'] || id,
        image: annotations['io.kubernetes.cri.image-name'] ?? '',
        labels: { ...annotations, 'containerd.namespace': namespace },
        ips: [],
        startedAtNs: null,
      };
    }
  }
  return null;
}

interface StorageEntry {
  id?: unknown;
  names?: unknown;
  metadata?: unknown;
}

/** CRI-O and podman share containers/storage. */
export function readContainersStorageMetadata(id: string, roots = CONTAINERS_STORAGE_ROOTS): RuntimeMetadata | null {
  if (!/^[0-9a-f]{64}$/.test(id)) return null;
  for (const root of roots) {
    const entries = readJson(join(root, 'overlay-containers', 'containers.json'));
    if (!Array.isArray(entries)) continue;
    const entry = (entries as StorageEntry[]).find((e) => e.id === id);
    if (!entry) continue;
    let meta: Record<string, unknown> = {};
    if (typeof entry.metadata === 'string') {
      const parsed = (() => {
        try {
          return JSON.parse(entry.metadata as string) as unknown;
        } catch {
          return undefined;
        }
      })();
      if (parsed && typeof parsed === 'object') meta = parsed as Record<string, unknown>;
    }
    const annotations = annotationsOf(readJson(join(root, 'overlay-containers', id, 'userdata', 'config.json')));
    const names = Array.isArray(entry.names) ? uniqueNonEmpty(entry.names) : [];
    const image = annotations['io.kubernetes.cri-o.ImageName'] ?? meta['image-name'];
    return {
      name: kubernetesName(annotations) || names[0] || (typeof meta['name'] === 'string' ? meta['name'] : '') || id,
      image: typeof image === 'string' ? image : '',
      labels: annotations,
      ips: uniqueNonEmpty(Object.entries(annotations).filter(([k]) => k.startsWith('io.kubernetes.cri-o.IP.')).map(([, v]) => v)),
      // CRI-O's creation time: the closest stand-in for a start time that is cheap to read.
      startedAtNs: parseTimestampNs(annotations['io.kubernetes.cri-o.Created']),
    };
  }
  return null;
}
