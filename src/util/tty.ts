/**
 * Terminal manners: a live status line only on a TTY (quiet when piped), NO_COLOR respected.
 */
import { visible, visibleMessage } from './visible.js';

export const stderrIsTty = Boolean(process.stderr.isTTY);
export const useColor = Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';

export function bold(s: string): string {
  return useColor ? `\x1b[1m${s}\x1b[0m` : s;
}

/** A single status line on stderr, redrawn in place; no-op when stderr is not a terminal. */
export class StatusLine {
  private last = 0;
  private shown = false;
  constructor(private readonly enabled = stderrIsTty) {}
  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = process.stderr.columns || 100;
    // the text names files from globs: escaped before our own control sequence is added
    process.stderr.write(`\r\x1b[2K${visible(text, 4 * width).slice(0, width - 1)}`);
    this.shown = true;
  }
  clear(): void {
    if (this.enabled && this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** Warnings quote file names and captured values: shown by the visible-text rule, bounded. */
export function warn(message: string): void {
  process.stderr.write(`contxray: warning: ${visibleMessage(message)}\n`);
}

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function humanCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
