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
