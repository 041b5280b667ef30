/**
 * The one container selector (`--container`/`-c` of analyze, report, seccomp and detect).
 *
 * A selector is, in this order: an exact name (a leading '/' as Docker writes names is ignored;
 * every container with that name, across hosts and captures: the same service recorded several
 * times), else an exact full id, else a hex id prefix that only one id starts with. An ambiguous
 * prefix is an error listing the candidates; a selector that matches nothing is an error listing
 * (some of) the containers there are. Never a silent guess.
 *
 * Selectors are resolved here, once, in TypeScript against the loaded `containers` view; queries
 * receive the resolved ids (`$container_ids`, a JSON list) and never match names or prefixes.
 * `record -c`, which sees containers one by one as they appear, shares the predicates below.
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

/** A resolved selection: the matched containers (one row per host and id) and what queries bind. */
export interface Selection {
  rows: ContainerRow[];
  /** Distinct ids, in the order matched. */
  ids: string[];
  /** `host + NUL + id` of every matched container (ids are unique per host only). */
  keys: Set<string>;
}

/** What a selection needs from the analysis layer: `Analysis` from db.ts fits. */
export interface SelectSource {
  named(name: string, params?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
}

export type SelectionCode = 'unknown-container' | 'ambiguous-container' | 'empty-selector';

/** The error of a selection: the command line maps SelectionError to a usage error (exit 2). */
function selectionError(code: SelectionCode, message: string): SelectionError {
  return new SelectionError(code, message);
}

/** True for an error this module threw because a selector matched nothing. */
export function isUnknownContainer(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'unknown-container';
}

/** Names as Docker prints them may start with '/'; either spelling selects. */
export function nameMatches(name: string | null, selector: string): boolean {
  return name !== null && selector !== '' && (name === selector || `/${name}` === selector);
}

/** A selector that is hex (any case) and of at least `minLength` digits, lower-cased; else null. */
export function hexPrefix(selector: string, minLength = 1): string | null {
  const lower = selector.toLowerCase();
  return lower.length >= minLength && /^[0-9a-f]+$/.test(lower) ? lower : null;
}

export function keyOf(host: unknown, id: unknown): string {
  return `${String(host)}\u0000${String(id)}`;
}

function label(c: ContainerRow): string {
  // captured values: escaped and bounded (a name may be megabytes of terminal escapes)
  return `${c.name === null ? '(no name)' : visible(c.name, 80)} ${visible(c.container_id.slice(0, 12), 40)}${c.host ? ` on ${visible(c.host, 80)}` : ''}`;
}

/** A bounded, escaped list of containers for an error message. */
export function listing(cs: readonly ContainerRow[], max = 12): string {
  const shown = cs.slice(0, max).map(label).join(', ');
  return cs.length > max ? `${shown}, … (${cs.length - max} more)` : shown;
}

/** The containers one selector names (see the top of this file); throws when it names none or is ambiguous. */
export function matchContainers(all: readonly ContainerRow[], selector: string): ContainerRow[] {
  const q = selector.trim();
  if (q === '') throw selectionError('empty-selector', '--container is empty');
  if (all.length === 0) throw new CaptureError('no-containers', 'the captures hold no container records');
  const byName = all.filter((c) => nameMatches(c.name, q));
  if (byName.length > 0) return byName;
  const lower = q.toLowerCase();
  const byId = all.filter((c) => c.container_id === q || c.container_id === lower);
  if (byId.length > 0) return byId;
  const prefix = hexPrefix(q);
  if (prefix !== null) {
    const byPrefix = all.filter((c) => c.container_id.startsWith(prefix));
    const ids = new Set(byPrefix.map((c) => c.container_id));
    if (ids.size === 1) return byPrefix;
    if (ids.size > 1) {
      throw selectionError('ambiguous-container', `container id prefix '${visible(q, 80)}' is ambiguous: ${listing(byPrefix)}; give more characters or the name`);
    }
  }
  const near = all.filter((c) => (c.name ?? '').includes(q));
  throw selectionError(
    'unknown-container',
    `no container '${visible(q, 80)}' in the captures; ${near.length > 0 ? 'did you mean' : 'containers'}: ${listing(near.length > 0 ? near : all)}`,
  );
}

/** Every container any of the selectors names (each must name at least one), without repeats. */
export function selectContainers(all: readonly ContainerRow[], selectors: readonly string[]): Selection {
  const rows: ContainerRow[] = [];
  const keys = new Set<string>();
  for (const s of selectors) {
    for (const c of matchContainers(all, s)) {
      const key = keyOf(c.host, c.container_id);
      if (keys.has(key)) continue;
      keys.add(key);
      rows.push(c);
    }
  }
  return { rows, ids: [...new Set(rows.map((c) => c.container_id))], keys };
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Every container in the loaded captures (queries/select/containers.sql). */
export async function listContainers(src: SelectSource): Promise<ContainerRow[]> {
  return (await src.named('select-containers')).map((r) => ({
    host: str(r.host) ?? '',
    container_id: String(r.container_id),
    name: str(r.name),
    image: str(r.image),
    runtime: str(r.runtime),
  }));
}

/**
 * Resolves the user's selectors against the loaded captures: null when there are none (no filter).
 * With `onUnknown`, a selector that matches nothing is reported there and selects nothing instead of
 * failing (analyze: a question with an empty answer); an ambiguous one always fails.
 */
export async function resolveContainers(
  src: SelectSource,
  selectors: readonly string[] | undefined,
  opts: { onUnknown?: (message: string) => void } = {},
): Promise<Selection | null> {
  if (!selectors || selectors.length === 0) return null;
  const all = await listContainers(src);
  if (!opts.onUnknown) return selectContainers(all, selectors);
  const kept: string[] = [];
  for (const s of selectors) {
    try {
      matchContainers(all, s);
      kept.push(s);
    } catch (err) {
      if (!isUnknownContainer(err)) throw err;
      opts.onUnknown((err as Error).message);
    }
  }
  return selectContainers(all, kept);
}

/** The `$container_ids` parameter of the queries: a JSON list of ids, or null for every container. */
export function containerIdsParam(selection: Selection | null): string | null {
  return selection === null ? null : JSON.stringify(selection.ids);
}
