/**
 * Addresses are stored as 16 bytes: IPv6 as is, IPv4 as the v4-mapped ::ffff:a.b.c.d, so one
 * column holds both and v4-mapped sockets (busybox httpd listens on AF_INET6) compare equal.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function parseAddress(text: string): Uint8Array {
  const out = new Uint8Array(16);
  if (isIPv4(text)) {
    out[10] = 0xff;
    out[11] = 0xff;
    text.split('.').forEach((part, i) => (out[12 + i] = Number(part)));
    return out;
  }
  if (!isIPv6(text)) throw new Error(`not an IP address: ${text}`);
  let [head, tail] = text.split('::') as [string, string | undefined];
  // A trailing dotted quad (::ffff:1.2.3.4) is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const groupsOf = (s: string | undefined) => (s ? s.split(':').filter(Boolean) : []);
  let h = groupsOf(head);
  let t = tail === undefined ? [] : groupsOf(tail);
  if (v4) {
    const q = v4[1]!.split('.').map(Number);
    const extra = [((q[0]! << 8) | q[1]!).toString(16), ((q[2]! << 8) | q[3]!).toString(16)];
    if (tail === undefined) h = [...h.slice(0, -1), ...extra];
    else t = [...t.slice(0, -1), ...extra];
  }
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

/** Text form: dotted quad for v4-mapped, compressed IPv6 otherwise. */
export function formatAddress(bytes: Uint8Array): string {
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run of zero groups (length ≥ 2) becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
