/**
 * Reasons for a window's score, in terms a security engineer can act on. A feature can be a reason
 * only if the window exceeds the baseline on it (above every training window; novelty: anything
 * new). Reasons are ranked by the forest's local attribution (DIFFI-style, forest.ts) minus the
 * attribution the same feature gets on the baseline's own windows, and worded from the window's
 * facts: the new program with its argv, the syscalls never seen, the ports and peers.
 *
 * Every captured string in a reason (paths, argv, addresses) is hostile: control and bidi
 * characters are escaped and each string is bounded (`show`).
 */
import type { WindowFacts } from './facts.js';
import { isNoveltyFeature, isSensitivePath, pathPattern, programKey } from './features.js';
import type { GroupModel, ScoredWindow } from './model.js';

export interface Reason {
  feature: string;
  text: string;
  contribution: number;
}

export const MAX_REASONS = 5;

/**
 * Novelty facts come first, most specific first: a program never run before says more than a port
 * never used (an exec of a new binary is the classic indicator: Falco's and LID-DS's attacks).
 */
const NOVELTY_TIER: Record<string, number> = { new_programs: 6, new_syscalls: 5, new_peers: 4, new_listen_ports: 3, new_paths: 2, new_ports: 1 };
const MAX_STRING = 120;
const MAX_ITEMS = 3;

/** Escapes C0/C1 controls and bidi overrides/isolates; bounds the length (counted in code points). */
export function show(s: string, max = MAX_STRING): string {
  const chars = [...s];
  const cut = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const fromLog = (v: number) => Math.round(Math.expm1(v));
const bytes = (v: number) => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 10 || i === 0 ? 0 : 1)} ${units[i]}`;
};
const more = (n: number) => (n > MAX_ITEMS ? ` and ${n - MAX_ITEMS} more` : '');

export function explain(model: GroupModel, x: ScoredWindow): Reason[] {
  const { row, attribution, facts } = x;
  const eligible: Array<{ f: number; weight: number; tier: number }> = [];
  model.features.forEach((name, f) => {
    const above = isNoveltyFeature(name) ? row[f]! > 0 : row[f]! > model.upper[f]! + 1e-9;
    if (!above) return;
    // The forest cannot tell apart features the baseline never moved (same weight, same chance at
    // every level): the size of the departure (log units) breaks such ties.
    const excess = Math.max(0, attribution[f]! - (model.inlierAttribution[f] ?? 0)) + 1e-6;
    eligible.push({ f, weight: excess * (1 + Math.min(10, row[f]! - (isNoveltyFeature(name) ? 0 : model.upper[f]!))), tier: NOVELTY_TIER[name] ?? 0 });
  });
  eligible.sort((a, b) => b.tier - a.tier || b.weight - a.weight || a.f - b.f);
  // Features that tell the same fact (tcp_ports and tcp_ports_one_peer on one host) give one reason,
  // named by the first, carrying both weights.
  const top = new Map<string, { f: number; weight: number }>();
  for (const { f, weight } of eligible) {
    if (top.size >= MAX_REASONS) break;
    const text = reasonText(model, model.features[f]!, facts, row[f]!, model.upper[f]!);
    const same = top.get(text);
    if (same) same.weight += weight;
    else top.set(text, { f, weight });
  }
  const total = [...top.values()].reduce((s, e) => s + e.weight, 0) || 1;
  return [...top].map(([text, { f, weight }]) => ({
    feature: model.features[f]!,
    text,
    contribution: Math.round((weight / total) * 1000) / 1000,
  }));
}

function reasonText(model: GroupModel, feature: string, w: WindowFacts, value: number, upper: number): string {
  const seen = (k: keyof GroupModel['seen']) => new Set(model.seen[k]);
  const was = model.thresholdSource === 'self' ? ` (median window ${fromLog(upper)})` : ` (baseline max ${fromLog(upper)})`;
  const base = model.thresholdSource === 'self' ? 'median window' : 'baseline max';
  switch (feature) {
    case 'cpu_cores':
      return `CPU ${value.toFixed(2)} cores vs ${base} ${upper.toFixed(2)}`;
    case 'memory_bytes':
      return `memory ${bytes(Math.expm1(value))} vs ${base} ${bytes(Math.expm1(upper))}`;
    case 'pids':
      return `${fromLog(value)} processes at once vs ${base} ${fromLog(upper)}`;
    case 'io_bytes_per_s':
      return `disk I/O ${bytes(Math.expm1(value))}/s vs ${base} ${bytes(Math.expm1(upper))}/s`;
    case 'net_rx_bytes_per_s':
    case 'net_tx_bytes_per_s':
      return `network ${feature === 'net_tx_bytes_per_s' ? 'sent' : 'received'} ${bytes(Math.expm1(value))}/s vs ${base} ${bytes(Math.expm1(upper))}/s`;
    case 'new_programs': {
      const known = seen('program');
      const fresh = w.execs.filter((e) => !known.has(programKey(e)));
      const first = fresh[0];
      if (!first) return 'new program started';
      const argv = first.argv.length > 0 ? ` with argv \`${show(first.argv.join(' '))}\`${first.truncated ? ' (truncated)' : ''}` : '';
      const others = fresh.slice(1, MAX_ITEMS).map((e) => show(programKey(e), 60));
      return `new program ${show(programKey(first))} started${argv}${others.length ? `; also ${others.join(', ')}${more(fresh.length)}` : ''}`;
    }
    case 'new_syscalls': {
      const known = seen('syscall');
      const fresh = [...w.syscalls].filter(([n, s]) => !known.has(n) && s.calls + s.denied > 0).sort((a, b) => b[1].calls - a[1].calls);
      const parts = fresh.slice(0, MAX_ITEMS).map(([n, s]) => `${show(n, 40)} called ${plural(s.calls + s.denied, 'time')}${s.denied ? ` (${s.denied} denied by seccomp)` : ''}`);
      return `${parts.join(', ')}${more(fresh.length)}, never seen in baseline`;
    }
    case 'new_paths': {
      const known = seen('path');
      const fresh = [...w.opens].filter(([p]) => !known.has(pathPattern(p)));
      const parts = fresh.slice(0, MAX_ITEMS).map(([p, o]) => `${show(p)} (${o.n}×${o.failed ? `, ${o.failed} failed` : ''}${o.writes ? `, ${o.writes} for writing` : ''})`);
      return `opened host path${fresh.length === 1 ? '' : 's'} ${parts.join(', ')}${more(fresh.length)}, never seen in baseline`;
    }
    case 'new_peers': {
      const known = seen('peer');
      const fresh = new Map<string, Set<number>>();
      for (const c of w.connects) if (!known.has(c.peer)) (fresh.get(c.peer) ?? fresh.set(c.peer, new Set()).get(c.peer)!).add(c.port);
      const parts = [...fresh].slice(0, MAX_ITEMS).map(([p, ports]) => `${show(p, 60)} (port${ports.size === 1 ? '' : 's'} ${[...ports].sort((x, y) => x - y).slice(0, 5).join(', ')}${ports.size > 5 ? ', …' : ''})`);
      return `connected to new peer${fresh.size === 1 ? '' : 's'} ${parts.join(', ')}${more(fresh.size)}`;
    }
    case 'new_ports': {
      const known = seen('port');
      const fresh = [...new Set(w.connects.map((c) => c.port))].filter((p) => !known.has(String(p))).sort((a, b) => a - b);
      return `connected to ${plural(fresh.length, 'port')} never used in baseline: ${fresh.slice(0, 8).join(', ')}${fresh.length > 8 ? ', …' : ''}`;
    }
    case 'new_listen_ports': {
      const known = seen('listen');
      const fresh = [...new Set(w.accepts.map((a) => a.port))].filter((p) => !known.has(String(p)));
      return `accepted connections on new port${fresh.length === 1 ? '' : 's'} ${fresh.slice(0, 8).join(', ')}`;
    }
    case 'tcp_ports':
    case 'tcp_ports_one_peer':
    case 'tcp_peers': {
      const peers = new Map<string, Set<number>>();
      for (const c of w.connects) (peers.get(c.peer) ?? peers.set(c.peer, new Set()).get(c.peer)!).add(c.port);
      const ports = new Set(w.connects.map((c) => c.port)).size;
      const busiest = [...peers].sort((a, b) => b[1].size - a[1].size)[0];
      const on = peers.size === 1 && busiest ? `1 host (${show(busiest[0], 60)})` : plural(peers.size, 'host');
      return `connected to ${plural(ports, 'port')} on ${on}${was}`;
    }
    case 'tcp_connects_failed': {
      const failed = w.connects.reduce((s, c) => s + c.failed, 0);
      return `${plural(failed, 'failed connect')} to ${plural(new Set(w.connects.filter((c) => c.failed).map((c) => c.port)).size, 'port')}${was}`;
    }
    case 'tcp_connects':
      return `${plural(w.connects.reduce((s, c) => s + c.n, 0), 'outgoing TCP connect')}${was}`;
    case 'tcp_accepts':
      return `${plural(w.accepts.reduce((s, a) => s + a.n, 0), 'accepted TCP connection')}${was}`;
    case 'tcp_listen_ports':
      return `accepted connections on ${plural(new Set(w.accepts.map((a) => a.port)).size, 'port')}${was}`;
    case 'seccomp_denied': {
      const denied = [...w.syscalls].filter(([, s]) => s.denied > 0).sort((a, b) => b[1].denied - a[1].denied);
      return `seccomp denied ${plural(denied.reduce((s, [, d]) => s + d.denied, 0), 'call')} (${denied.slice(0, MAX_ITEMS).map(([n, s]) => `${show(n, 40)} ×${s.denied}`).join(', ')})${was}`;
    }
    case 'syscall_errors': {
      const errs = [...w.syscalls].filter(([, s]) => s.errors > 0).sort((a, b) => b[1].errors - a[1].errors);
      return `${plural(errs.reduce((s, [, e]) => s + e.errors, 0), 'failed syscall')} (${errs.slice(0, MAX_ITEMS).map(([n, s]) => `${show(n, 40)} ×${s.errors}`).join(', ')})${was}`;
    }
    case 'syscalls':
      return `${plural([...w.syscalls.values()].reduce((s, c) => s + c.calls, 0), 'syscall')} in the window${was}`;
    case 'execs':
      return `${plural(w.execs.reduce((s, e) => s + e.n, 0), 'program')} started (${w.execs.slice(0, MAX_ITEMS).map((e) => show(programKey(e), 60)).join(', ')})${was}`;
    case 'forks':
      return `${plural(w.forks, 'process', 'processes')} forked${was}`;
    case 'exits':
      return `${plural(w.exits, 'process', 'processes')} exited${was}`;
    case 'opens_sensitive': {
      const s = [...w.opens].filter(([p]) => isSensitivePath(p));
      return `opened sensitive host path${s.length === 1 ? '' : 's'} ${s.slice(0, MAX_ITEMS).map(([p, o]) => `${show(p)} (${o.n}×${o.failed ? `, ${o.failed} failed` : ''})`).join(', ')}${more(s.length)}`;
    }
    case 'opens':
    case 'opens_failed':
    case 'opens_written': {
      const n = [...w.opens.values()].reduce((s, o) => s + (feature === 'opens' ? o.n : feature === 'opens_failed' ? o.failed : o.writes), 0);
      const what = feature === 'opens' ? 'host-filesystem open' : feature === 'opens_failed' ? 'failed host-filesystem open' : 'host-filesystem open for writing';
      return `${plural(n, what)}${was}`;
    }
  }
  if (feature.startsWith('mix:')) {
    const name = feature.slice(4);
    const calls = w.syscalls.get(name)?.calls ?? 0;
    const total = [...w.syscalls.values()].reduce((s, c) => s + c.calls, 0);
    const share = (v: number) => ((Math.expm1(v * Math.log1p(1000)) / 1000) * 100).toFixed(1);
    return `${show(name, 40)} is ${share(value)}% of syscalls (${calls} of ${total}; baseline max ${share(upper)}%)`;
  }
  return `${feature} = ${value.toFixed(2)}${was}`;
}
