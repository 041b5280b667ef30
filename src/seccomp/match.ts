/**
 * `--container NAME|ID`: an exact name (every container with it, across hosts and captures — the
 * same service recorded several times is merged), else an exact full id, else a unique id prefix.
 * Anything else is a user error that lists the candidates, never a silent guess.
 */
import { CaptureError, SelectionError } from '../util/errors.js';
import { visible } from '../util/visible.js';

export interface ContainerRow {
  host: string;
  container_id: string;
  name: string | null;
  image: string | null;
  runtime: string | null;
}

function label(c: ContainerRow): string {
  // captured values: escaped and bounded (a name may be megabytes of terminal escapes)
  return `${c.name === null ? '(no name)' : visible(c.name, 80)} ${visible(c.container_id.slice(0, 12), 40)}${c.host ? ` on ${visible(c.host, 80)}` : ''}`;
}

function listing(cs: readonly ContainerRow[], max = 12): string {
  const shown = cs.slice(0, max).map(label).join(', ');
  return cs.length > max ? `${shown}, … (${cs.length - max} more)` : shown;
}

export function matchContainers(all: readonly ContainerRow[], query: string): ContainerRow[] {
  const q = query.trim();
  if (q === '') throw new SelectionError('empty-selector', '--container is empty');
  if (all.length === 0) throw new CaptureError('no-containers', 'the captures hold no container records');
  const byName = all.filter((c) => c.name === q || c.name === q.replace(/^\//, ''));
  if (byName.length > 0) return byName;
  const lower = q.toLowerCase();
  const byId = all.filter((c) => c.container_id === lower);
  if (byId.length > 0) return byId;
  if (/^[0-9a-f]+$/.test(lower)) {
    const byPrefix = all.filter((c) => c.container_id.startsWith(lower));
    const ids = new Set(byPrefix.map((c) => c.container_id));
    if (ids.size === 1) return byPrefix;
    if (ids.size > 1) {
      throw new SelectionError('ambiguous-container', `container id prefix '${visible(q, 80)}' is ambiguous: ${listing(byPrefix)}; give more characters or the name`);
    }
  }
  const near = all.filter((c) => (c.name ?? '').includes(q));
  throw new SelectionError('unknown-container', `no container '${visible(q, 80)}' in the captures; ${near.length > 0 ? 'did you mean' : 'containers'}: ${listing(near.length > 0 ? near : all)}`);
}
