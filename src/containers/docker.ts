/**
 * Docker metadata from dockerd's own state file, `<dockerRoot>/containers/<id>/config.v2.json`:
 * one small file read, no daemon round trip. `docker inspect` (same JSON shape) is the fallback for
 * when the file cannot be read (another data-root, permissions). Never throws: a container may be
 * removed between its first syscall and our look.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTimestampNs, stringRecord, uniqueNonEmpty, type RuntimeMetadata } from './metadata.js';

export const DEFAULT_DOCKER_ROOT = '/var/lib/docker';

interface DockerState {
  Name?: unknown;
  Image?: unknown;
  Config?: { Image?: unknown; Labels?: unknown } | null;
  State?: { StartedAt?: unknown } | null;
  NetworkSettings?: {
    IPAddress?: unknown;
    GlobalIPv6Address?: unknown;
    Networks?: Record<string, { IPAddress?: unknown; GlobalIPv6Address?: unknown } | null> | null;
  } | null;
}

/** Convert dockerd's container JSON (config.v2.json or one `docker inspect` element). */
export function dockerMetadataFromJson(state: DockerState): RuntimeMetadata {
  const settings = state.NetworkSettings ?? {};
  const networks = Object.values(settings.Networks ?? {});
  const configImage = state.Config?.Image;
  return {
    name: typeof state.Name === 'string' ? state.Name.replace(/^\//, '') : '',
    image: typeof configImage === 'string' && configImage !== '' ? configImage : typeof state.Image === 'string' ? state.Image : '',
    labels: stringRecord(state.Config?.Labels),
    ips: uniqueNonEmpty([
      ...networks.flatMap((n) => [n?.IPAddress, n?.GlobalIPv6Address]),
      settings.IPAddress,
      settings.GlobalIPv6Address,
    ]),
    startedAtNs: parseTimestampNs(state.State?.StartedAt),
  };
}

/** Set once `docker` itself is missing, so a host without the CLI does not pay a spawn per container. */
let dockerCliMissing = false;

/** Metadata of a Docker container, or null when neither the state file nor `docker inspect` knows it. */
export function readDockerMetadata(id: string, dockerRoot = DEFAULT_DOCKER_ROOT, allowInspect = true): RuntimeMetadata | null {
  if (!/^[0-9a-f]{64}$/.test(id)) return null; // also keeps the id from ever being a path or option
  try {
    const text = readFileSync(join(dockerRoot, 'containers', id, 'config.v2.json'), 'utf8');
    return dockerMetadataFromJson(JSON.parse(text) as DockerState);
  } catch (err) {
    // A missing file in a readable state directory means the container was removed: asking dockerd
    // would cost a process spawn to hear the same. Only an unreadable or absent directory (another
    // data-root, permissions) is worth the fallback.
    const gone = (err as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(join(dockerRoot, 'containers'));
    return allowInspect && !gone ? inspect(id) : null;
  }
}

function inspect(id: string): RuntimeMetadata | null {
  if (dockerCliMissing) return null;
  try {
    const out = execFileSync('docker', ['inspect', '--type', 'container', id], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    });
    const [state] = JSON.parse(out) as DockerState[];
    return state ? dockerMetadataFromJson(state) : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') dockerCliMissing = true;
    return null; // unknown to dockerd (removed, or not a Docker container)
  }
}
