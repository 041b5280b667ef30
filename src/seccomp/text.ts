/** Captured strings (comm, container names) are hostile: make them safe to print on a terminal. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function list(items: readonly string[], max = 10): string {
  const shown = items.slice(0, max).map(printable).join(', ');
  return items.length > max ? `${shown}, … (+${items.length - max})` : shown;
}

export function count(n: bigint | number): string {
  return Number(n).toLocaleString('en-US');
}
