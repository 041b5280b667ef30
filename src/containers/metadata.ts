/** What a runtime's own state tells about a container, beyond the id its cgroup path gives. */
export interface RuntimeMetadata {
  name: string;
  image: string;
  labels: Record<string, string>;
  ips: string[];
  startedAtNs: bigint | null;
}

/**
 * RFC 3339 timestamp with up to nanosecond precision ("2026-11-29T20:44:13.521046259Z") → ns since
 * the epoch. Date.parse would drop everything below the millisecond. Zero times (Go's
 * "0001-01-01T00:00:00Z" for "never started") and garbage give null.
 */
export function parseTimestampNs(text: unknown): bigint | null {
  if (typeof text !== 'string') return null;
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return null;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds) || seconds <= 0) return null;
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return BigInt(seconds) * 1_000_000n + fraction;
}

/** Keep only string values: labels come from files anyone with access to the runtime can write. */
export function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || typeof value !== 'object') return out;
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  return out;
}

export function uniqueNonEmpty(values: unknown[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length > 0))];
}
