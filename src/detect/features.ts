/**
 * Features of one (container, window), from its facts. Counts are scaled to a full window (edge
 * windows are partial) and log-scaled (log1p), so a burst of 10× reads as a step, not a cliff; the
 * syscall mix is each syscall's share of the window's calls, log-scaled to [0, 1].
 *
 * Novelty features count things the container's baseline never showed: programs, syscalls, host
 * paths, peers, destination ports, listening ports. They are 0 on every training window by
 * construction, which is why the forest's range extension (forest.ts) matters for them.
 *
 * Resource features (capture format 1.1's samples: CPU cores, peak memory and pids, I/O and network
 * byte rates) are 0 when a window has no samples; a group whose baseline had none ignores them when
 * scoring (featurize's `resources` = false), so a 1.0 baseline scores a 1.1 capture without every
 * window looking new, and a 1.1 baseline scores a 1.0 capture as "no more than ever" (0 never
 * exceeds, and only exceeding counts: forest.ts's 'upper' range extension).
 */
import type { WindowFacts } from './facts.js';

export const COUNT_FEATURES = [
  'syscalls', 'syscall_errors', 'seccomp_denied',
  'execs', 'forks', 'exits',
  'opens', 'opens_failed', 'opens_written', 'opens_sensitive',
  'tcp_connects', 'tcp_connects_failed', 'tcp_peers', 'tcp_ports', 'tcp_ports_one_peer', 'tcp_accepts', 'tcp_listen_ports',
] as const;

/** CPU in cores (linear: 1 core more is the same step at any level); bytes log1p-scaled. */
export const RESOURCE_FEATURES = ['cpu_cores', 'memory_bytes', 'pids', 'io_bytes_per_s', 'net_rx_bytes_per_s', 'net_tx_bytes_per_s'] as const;

export const NOVELTY_FEATURES = ['new_programs', 'new_syscalls', 'new_paths', 'new_peers', 'new_ports', 'new_listen_ports'] as const;

export type NoveltyKind = 'program' | 'syscall' | 'path' | 'peer' | 'port' | 'listen';

/** The syscall mix keeps at most this many columns (the baseline's most used syscalls). */
export const MAX_MIX = 64;

const MIX_SCALE = 1000;

/** Runtime sockets, password hashes, kernel knobs, cgroup escapes, keys (as finding-sensitive-paths). */
const SENSITIVE = [
  /^\/(var\/)?run\/(docker|containerd\/containerd|crio\/crio|podman\/podman)\.sock$/,
  /^\/etc\/(shadow|gshadow|sudoers)$/, /^\/etc\/sudoers\.d\//,
  /^\/proc\/(kcore|sysrq-trigger|kallsyms)$/, /^\/dev\/(k?mem|sd|nvme)/,
  /^\/proc\/sys\//, /\/release_agent$/, /\/notify_on_release$/,
  /^\/(root|home\/[^/]+)\/\.ssh\//, /^\/etc\/kubernetes\//, /^\/var\/lib\/kubelet\//, /^\/sys\/kernel\//,
  /\/serviceaccount\/token$/,
];

export function isSensitivePath(path: string): boolean {
  return SENSITIVE.some((re) => re.test(path));
}

/** /proc/1234/status and /proc/99/status are the same place for novelty: numeric components → '*'. */
export function pathPattern(path: string): string {
  return path.replace(/\/\d+(?=\/|$)/g, '/*');
}

export function featureNames(vocab: readonly string[]): string[] {
  return [...COUNT_FEATURES, ...RESOURCE_FEATURES, ...NOVELTY_FEATURES, ...vocab.map((s) => `mix:${s}`)];
}

export const isNoveltyFeature = (name: string) => (NOVELTY_FEATURES as readonly string[]).includes(name);

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * What "the same program" means for novelty: the executed file, plus argv[0] when its name differs
 * from the file's (a multi-call binary: busybox runs every applet as /proc/self/exe or /bin/busybox,
 * and only argv[0] tells `nc` from `wget`).
 */
export function programKey(e: { filename: string; argv: readonly string[] }): string {
  const a0 = base(e.argv[0] ?? '');
  return a0 !== '' && a0 !== base(e.filename) ? `${e.filename} [${a0}]` : e.filename;
}

/** The items of each novelty kind a window shows. */
export function items(w: WindowFacts): Record<NoveltyKind, string[]> {
  return {
    program: w.execs.map(programKey),
    syscall: [...w.syscalls].filter(([, s]) => s.calls + s.denied > 0).map(([n]) => n),
    path: [...new Set([...w.opens.keys()].map(pathPattern))],
    peer: [...new Set(w.connects.map((c) => c.peer))],
    port: [...new Set(w.connects.map((c) => String(c.port)))],
    listen: [...new Set(w.accepts.map((a) => String(a.port)))],
  };
}

export type Seen = (kind: NoveltyKind, item: string) => boolean;

/** The syscalls of the baseline, most used first, at most MAX_MIX. */
export function mixVocabulary(windows: readonly WindowFacts[]): string[] {
  const total = new Map<string, number>();
  for (const w of windows) for (const [n, s] of w.syscalls) total.set(n, (total.get(n) ?? 0) + s.calls);
  return [...total].filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_MIX).map(([n]) => n);
}

export function featurize(w: WindowFacts, windowSec: number, vocab: readonly string[], seen: Seen, resources = true): number[] {
  // Partial edge windows are scaled up to a full window, but never by more than 4×: a 0.1 s sliver
  // would otherwise turn one exec into a storm.
  const scale = windowSec / Math.max(w.seconds, windowSec / 4);
  const lg = (v: number) => Math.log1p(v * scale);
  let calls = 0;
  let errors = 0;
  let denied = 0;
  for (const s of w.syscalls.values()) {
    calls += s.calls;
    errors += s.errors;
    denied += s.denied;
  }
  let opens = 0;
  let failed = 0;
  let written = 0;
  let sensitive = 0;
  for (const [path, o] of w.opens) {
    opens += o.n;
    failed += o.failed;
    written += o.writes;
    if (isSensitivePath(path)) sensitive += o.n;
  }
  let connects = 0;
  let connFailed = 0;
  const portsPerPeer = new Map<string, Set<number>>();
  for (const c of w.connects) {
    connects += c.n;
    connFailed += c.failed;
    let s = portsPerPeer.get(c.peer);
    if (!s) portsPerPeer.set(c.peer, (s = new Set()));
    s.add(c.port);
  }
  const ports = new Set(w.connects.map((c) => c.port)).size;
  const onePeer = Math.max(0, ...[...portsPerPeer.values()].map((s) => s.size));
  const accepts = w.accepts.reduce((s, a) => s + a.n, 0);
  const listen = new Set(w.accepts.map((a) => a.port)).size;
  const it = items(w);
  const novel = (k: NoveltyKind) => Math.log1p(it[k].filter((x) => !seen(k, x)).length);
  const counts = [
    lg(calls), lg(errors), lg(denied),
    lg(w.execs.reduce((s, e) => s + e.n, 0)), lg(w.forks), lg(w.exits),
    lg(opens), lg(failed), lg(written), lg(sensitive),
    lg(connects), lg(connFailed), Math.log1p(portsPerPeer.size), Math.log1p(ports), Math.log1p(onePeer), lg(accepts), Math.log1p(listen),
  ];
  const novelty = [novel('program'), novel('syscall'), novel('path'), novel('peer'), novel('port'), novel('listen')];
  const mix = vocab.map((n) => {
    const c = w.syscalls.get(n)?.calls ?? 0;
    return calls > 0 ? Math.log1p((MIX_SCALE * c) / calls) / Math.log1p(MIX_SCALE) : 0;
  });
  const r = resources ? w.resources : null;
  const res = [r?.cpuCores ?? 0, Math.log1p(r?.memoryBytes ?? 0), Math.log1p(r?.pids ?? 0), Math.log1p(r?.ioBytesPerS ?? 0), Math.log1p(r?.netRxBytesPerS ?? 0), Math.log1p(r?.netTxBytesPerS ?? 0)].map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  return [...counts, ...res, ...novelty, ...mix];
}

/** Whether any window carries resource samples (else the resource features are left out: all 0). */
export function hasResources(windows: readonly WindowFacts[]): boolean {
  return windows.some((w) => w.resources !== null && w.resources.samples > 0);
}

/** Sets of everything a baseline showed, per novelty kind. */
export function seenSets(windows: readonly WindowFacts[]): Record<NoveltyKind, Set<string>> {
  const sets: Record<NoveltyKind, Set<string>> = { program: new Set(), syscall: new Set(), path: new Set(), peer: new Set(), port: new Set(), listen: new Set() };
  for (const w of windows) {
    const it = items(w);
    for (const k of Object.keys(sets) as NoveltyKind[]) for (const x of it[k]) sets[k].add(x);
  }
  return sets;
}
