import { visible } from '../util/visible.js';
/** Captured or file-derived text for the terminal: the one visible-text rule, bounded. */
export function printable(s: string): string {
  return visible(s, 256);
}

export function list(items: readonly string[], max = 10): string {
  const shown = items.slice(0, max).map(printable).join(', ');
  return items.length > max ? `${shown}, … (+${items.length - max})` : shown;
}

export function count(n: bigint | number): string {
  return Number(n).toLocaleString('en-US');
}
