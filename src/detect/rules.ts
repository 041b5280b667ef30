/**
 * Rules beside the forest. The forest scores how unlike its baseline a whole window is; one new
 * syscall is one feature among ~40 and moves that score little (measured: ptrace ×12 alone scored
 * 0.54 against a threshold of 0.75). Some single facts need no statistics: a container calling an
 * escape-relevant syscall (src/seccomp/risky.ts: ptrace, mount, unshare, setns, keyctl, bpf,
 * init_module, …) that its baseline never called is worth a look by itself. Such a window is flagged
 * whatever its score, and the reason says it was the rule (`rule:` feature, text starting "rule:"),
 * so nobody mistakes it for the forest's verdict. Switch: DetectOptions.riskyRule.
 */
import { RISKY } from '../seccomp/risky.js';
import type { WindowFacts } from './facts.js';
import type { Reason } from './explain.js';
import { show } from './explain.js';
import { programKey } from './features.js';

export const RISKY_RULE = 'rule:new_risky_syscall';

/** The risky syscalls a window made (or had denied) that the baseline never showed, most calls first. */
export function newRiskySyscalls(w: WindowFacts, seenSyscalls: ReadonlySet<string>): Array<{ name: string; calls: number; denied: number }> {
  return [...w.syscalls]
    .filter(([n, s]) => Object.hasOwn(RISKY, n) && !seenSyscalls.has(n) && s.calls + s.denied > 0)
    .map(([name, s]) => ({ name, calls: s.calls, denied: s.denied }))
    .sort((a, b) => b.calls + b.denied - (a.calls + a.denied) || (a.name < b.name ? -1 : 1));
}

/** The rule's reason for a window, or null when the rule does not fire. */
export function riskyRuleReason(w: WindowFacts, seenSyscalls: ReadonlySet<string>): Reason | null {
  const fresh = newRiskySyscalls(w, seenSyscalls);
  if (fresh.length === 0) return null;
  const parts = fresh.slice(0, 3).map((x) => {
    const n = x.calls + x.denied;
    return `${show(x.name, 40)} called ${n} time${n === 1 ? '' : 's'}${x.denied ? ` (${x.denied} denied by seccomp)` : ''}: ${RISKY[x.name]}`;
  });
  const more = fresh.length > 3 ? `; and ${fresh.length - 3} more` : '';
  // A rule is not a share of the forest's score: contribution 1 marks "by itself sufficient".
  return { feature: RISKY_RULE, text: `rule: risky syscall never seen in baseline: ${parts.join('; ')}${more}`, contribution: 1 };
}

export const BURST_RULE = 'rule:new_destination_burst';

/** A destination (peer:port) first contacted in a window, with the time of that first contact. */
interface Contact {
  key: string;
  peer: string;
  port: number;
  failed: number;
  atNs: bigint;
  window: number;
}

/**
 * New destinations (peer:port) a container connected to that the baseline never did. A service talks
 * to a fixed set of endpoints (its database, its API peers); a burst of new ones is a scan or a
 * sweep (lateral movement). The forest sees it too, but as one feature among ~40 whose weight it
 * cannot know (measured on a real 30 s baseline: the port scan's window scored 0.54 against a
 * threshold of 0.88), so, like the risky-syscall rule, the fact flags by itself.
 *
 * A burst is `min` new destinations first contacted within one window length, wherever it falls:
 * windows are cut at fixed epoch multiples, and a scan cut by a boundary (measured on the system
 * test: 50 ports in 0.3–0.7 s, 7 before the boundary) would otherwise give the part before it too
 * few to fire (or a scan of 10–19 ports none at all). Every window holding part of a burst is
 * flagged, each with the biggest burst it takes part in. Any burst a fixed window holds is also such a
 * span, so this flags whatever the per-window count flagged, plus the bursts a boundary cut.
 * Returns the reason per window index (of `windows`, in time order).
 */
export function burstRuleReasons(windows: readonly WindowFacts[], seenPeers: ReadonlySet<string>, seenPorts: ReadonlySet<string>, min: number, windowNs: bigint): Map<number, Reason> {
  const contacts: Contact[] = [];
  windows.forEach((w, window) => {
    for (const c of w.connects) {
      // a destination is new when its peer or its port never appeared in the baseline
      if (seenPeers.has(c.peer) && seenPorts.has(String(c.port))) continue;
      contacts.push({ key: `${c.peer}\0${c.port}`, peer: c.peer, port: c.port, failed: c.failed, atNs: c.firstNs, window });
    }
  });
  contacts.sort((a, b) => (a.atNs < b.atNs ? -1 : a.atNs > b.atNs ? 1 : a.window - b.window));
  // slide a span of one window length over the first contacts: [contacts[a].atNs, + windowNs)
  const best = new Map<number, { from: number; to: number; distinct: number }>();
  const inSpan = new Map<string, number>();
  let to = 0;
  for (let from = 0; from < contacts.length; from++) {
    const end = contacts[from]!.atNs + windowNs;
    for (; to < contacts.length && contacts[to]!.atNs < end; to++) inSpan.set(contacts[to]!.key, (inSpan.get(contacts[to]!.key) ?? 0) + 1);
    if (inSpan.size >= min) {
      // a span of one window length holds contacts of at most two (consecutive) windows
      for (const window of new Set([contacts[from]!.window, contacts[to - 1]!.window])) {
        const b = best.get(window);
        if (!b || inSpan.size > b.distinct) best.set(window, { from, to, distinct: inSpan.size });
      }
    }
    const k = contacts[from]!.key;
    const left = inSpan.get(k)! - 1;
    if (left === 0) inSpan.delete(k);
    else inSpan.set(k, left);
  }
  const out = new Map<number, Reason>();
  for (const [window, b] of best) out.set(window, burstReason(contacts.slice(b.from, b.to), window, windowNs));
  return out;
}

function burstReason(burst: readonly Contact[], window: number, windowNs: bigint): Reason {
  const fresh = new Map<string, { ports: Set<number>; failed: number }>();
  const here = new Set<string>();
  for (const c of burst) {
    const f = fresh.get(c.peer) ?? { ports: new Set<number>(), failed: 0 };
    f.ports.add(c.port);
    f.failed += c.failed;
    fresh.set(c.peer, f);
    if (c.window === window) here.add(c.key);
  }
  const count = new Set(burst.map((c) => c.key)).size;
  const parts = [...fresh].sort((a, b) => b[1].ports.size - a[1].ports.size).slice(0, 3).map(([peer, f]) => {
    const ports = [...f.ports].sort((a, b) => a - b);
    return `${show(peer, 60)}: ${ports.length} port${ports.length === 1 ? '' : 's'} (${ports.slice(0, 5).join(', ')}${ports.length > 5 ? ', …' : ''})${f.failed ? `, ${f.failed} failed` : ''}`;
  });
  const more = fresh.size > 3 ? `; and ${fresh.size - 3} more hosts` : '';
  // a burst across a window boundary says so: how long a span, and how much of it is this window's
  const split = here.size < count ? `; ${here.size} of them in this window, all within ${Number(windowNs / 1_000_000n) / 1000} s` : '';
  return { feature: BURST_RULE, text: `rule: connected to ${count} destinations never seen in baseline (${fresh.size} host${fresh.size === 1 ? '' : 's'}${split}) — ${parts.join('; ')}${more}`, contribution: 1 };
}

export const DRIFT_RULE = 'rule:new_program';

/**
 * Container drift: a program the baseline never executed. Images are immutable and a service runs
 * the same few binaries; an exec of anything else (a downloaded file in /tmp, nc, a shell tool the
 * service never used) is what Falco's "drift" and "unexpected process" rules and profile-based
 * tools flag, and the first step of most attacks. The forest sees it as one novelty column among
 * ~90; measured on real Docker runs a dropper's window stayed below the threshold set by the
 * baseline's own start-up windows. So the fact flags by itself, with the program and its argv.
 */
export function driftRuleReason(w: WindowFacts, seenPrograms: ReadonlySet<string>): Reason | null {
  const fresh = w.execs.filter((e) => !seenPrograms.has(programKey(e)));
  if (fresh.length === 0) return null;
  const first = fresh[0]!;
  const argv = first.argv.length > 0 ? ` with argv \`${show(first.argv.join(' '))}\`${first.truncated ? ' (truncated)' : ''}` : '';
  const others = fresh.slice(1, 3).map((e) => show(programKey(e), 60));
  return { feature: DRIFT_RULE, text: `rule: program never run in baseline: ${show(programKey(first))}${argv}${others.length ? `; also ${others.join(', ')}${fresh.length > 3 ? ` and ${fresh.length - 3} more` : ''}` : ''}`, contribution: 1 };
}

export const SURGE_RULE = 'rule:resource_surge';

/**
 * CPU or processes at several times anything the baseline showed (at least `factor` × its max and
 * an absolute step: 0.1 core, 16 processes at once, 50 forks in a window), so a miner or a fork bomb
 * flags even when the window's syscalls look ordinary. CPU and pids only with a baseline that had
 * resource samples.
 */
export function surgeRuleReason(w: WindowFacts, baseline: { cpuCores: number; pids: number; forks: number } | null, factor: number, windowSec: number): Reason | null {
  if (!baseline) return null;
  const parts: string[] = [];
  // process creation (fork events, the window scaled to full length): a fork bomb shows here even
  // where the cgroup's pids counter is not readable (cgroup v1 hosts record no pids_current)
  const forks = Math.round((w.forks * windowSec) / Math.max(w.seconds, windowSec / 4));
  if (forks >= factor * baseline.forks && forks - baseline.forks >= 50) parts.push(`${forks} processes forked vs baseline max ${baseline.forks}`);
  if (!w.resources) return parts.length ? { feature: SURGE_RULE, text: `rule: resource surge: ${parts.join('; ')}`, contribution: 1 } : null;
  const cpu = w.resources.cpuCores ?? 0;
  if (cpu >= factor * baseline.cpuCores && cpu - baseline.cpuCores >= 0.1) parts.push(`CPU ${cpu.toFixed(2)} cores vs baseline max ${baseline.cpuCores.toFixed(2)}`);
  const pids = w.resources.pids ?? 0;
  if (pids >= factor * baseline.pids && pids - baseline.pids >= 16) parts.push(`${pids} processes at once vs baseline max ${baseline.pids}`);
  return parts.length ? { feature: SURGE_RULE, text: `rule: resource surge: ${parts.join('; ')}`, contribution: 1 } : null;
}

/**
 * Forest reasons that restate a fired rule's fact, by the rule: the new-program rule already names
 * the new programs (the first with its argv), so the forest's `new_programs` reason would only take
 * a top-3 place from the next fact (measured on the suite: an exfiltration's top-3 read the rule,
 * the same programs again, new syscalls; the new peer it sent to came fourth).
 */
const RESTATED: Record<string, string> = { [DRIFT_RULE]: 'new_programs' };

/** A window's reasons: the rules that fired first, then the forest's minus those restating them. */
export function joinReasons(fired: readonly Reason[], forest: readonly Reason[]): Reason[] {
  const restated = new Set(fired.map((r) => RESTATED[r.feature]).filter((f): f is string => f !== undefined));
  return [...fired, ...forest.filter((r) => !restated.has(r.feature))];
}
