/** The human summary on stderr: what the profile allows, what it left out, and why. */
import type { Selection } from './boundary.js';
import type { CheckResult } from './check.js';
import type { Comparison } from './compare.js';
import { expectedDenial } from './fallbacks.js';
import { riskyAmong, RISKY } from './risky.js';
import type { Translation } from './translate.js';
import { count, list, printable } from './text.js';
import { errnoName } from './types.js';

export interface SummaryInput {
  container: string;
  ids: string[];
  arch: string;
  targetArch: string;
  names: string[];
  sel: Selection;
  comparison: Comparison | null;
  translation?: Translation;
}

export function profileSummary(s: SummaryInput): string {
  const out: string[] = [];
  const recorded = [...s.sel.allowed.values()].filter((a) => a.sources.has('recorded'));
  const added = (src: 'exit-path' | 'base-set') =>
    [...s.sel.allowed.values()].filter((a) => a.sources.has(src) && !a.sources.has('recorded')).map((a) => a.name).sort();
  out.push(`seccomp profile for ${printable(s.container)} (${s.ids.map((i) => i.slice(0, 12)).join(', ')}), ${s.targetArch}${s.targetArch !== s.arch ? ` translated from ${s.arch}` : ''}`);
  const vs = s.comparison ? `; Docker's default allows ${s.comparison.defaultCount}` : '';
  out.push(`  allowed: ${s.names.length} syscalls${vs}`);
  out.push(`    recorded ${s.sel.mode === 'filtered' ? 'under the seccomp filter' : '(fallback boundary)'}: ${recorded.length}`);
  const exits = added('exit-path');
  if (exits.length) out.push(`    exit paths added (not seen while recording): ${list(exits)}`);
  const base = added('base-set').filter((n) => !exits.includes(n));
  if (base.length) out.push(`    base set ${s.sel.baseSet} added (not seen while recording): ${list(base, 20)}`);
  if (s.sel.familyAdded.size) {
    const fam = [...s.sel.familyAdded].sort((a, b) => a[0].localeCompare(b[0])).map(([n, m]) => `${n} (${m})`);
    out.push(`    interchangeable calls added (same family as a recorded one; --exact: none): ${list(fam, 40)}`);
  }
  for (const n of s.sel.notes) out.push(`  note: ${n}`);
  if (s.sel.setupOnly.length) out.push(`  left out, runtime setup before the filter: ${list(s.sel.setupOnly, 20)}`);
  const risky = riskyAmong(recorded.map((a) => a.name));
  if (risky.length) {
    out.push('  risky syscalls the workload used (allowed):');
    for (const n of risky) out.push(`    ${n}: ${RISKY[n]} — by ${list([...s.sel.allowed.get(n)!.comms].sort(), 4)}`);
  }
  if (s.sel.deniedAtRecord.length) {
    out.push('  denied by seccomp while recording (left denied, same errno):');
    for (const d of s.sel.deniedAtRecord) {
      const why = expectedDenial(d.name, d.errno);
      out.push(`    ${d.name ?? `#${d.nr}`} ×${count(d.calls)} (${errnoName(d.errno)}) by ${list(d.comms, 4)}${why ? ` — expected: ${why}` : ' — a real failure the workload saw'}`);
    }
  }
  if (s.sel.unknown.length) {
    out.push("  syscall numbers unknown to the capture's table (not allowed; a newer kernel's calls?):");
    for (const u of s.sel.unknown) out.push(`    #${u.nr} (${u.arch}) ×${count(u.calls)} by ${list(u.comms, 4)}`);
  }
  if (s.translation) {
    const m = Object.entries(s.translation.mapped).map(([k, v]) => `${k}→${v.join('+')}`);
    if (m.length) out.push(`  translated: ${list(m, 20)}`);
    if (s.translation.dropped.length) out.push(`  dropped (no ${s.targetArch} counterpart): ${list(s.translation.dropped, 20)}`);
  }
  return `${out.join('\n')}\n`;
}

export function comparisonText(c: Comparison): string {
  const out = [`compared with Docker's default (${c.source}):`];
  out.push(`  Docker's default allows ${c.defaultCount}, this profile ${c.profileCount}: ${c.removed.length} allowed by Docker were never used`);
  const dangerous = c.removedRisky.filter((r) => r.dangerous);
  const other = c.removedRisky.filter((r) => !r.dangerous);
  if (dangerous.length) {
    out.push('  dangerous ones removed:');
    for (const r of dangerous) out.push(`    ${r.name}: ${r.why}`);
  }
  if (other.length) {
    out.push('  other risky ones removed:');
    for (const r of other) out.push(`    ${r.name}: ${r.why}`);
  }
  if (c.dangerousDeniedByBoth.length) out.push(`  dangerous, denied by both: ${list(c.dangerousDeniedByBoth, 50)}`);
  out.push('  all removed:', ...wrap(c.removed, 100, '    '));
  if (c.beyondDefault.length) out.push(`  allowed here but NOT by Docker's default (review!): ${list(c.beyondDefault, 50)}`);
  if (c.argumentFiltered.length) out.push(`  allowed here without the argument filter Docker's default applies: ${list(c.argumentFiltered)}`);
  return `${out.join('\n')}\n`;
}

function wrap(items: readonly string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && indent.length + line.length + item.length + 2 > width) {
      lines.push(`${indent}${line},`);
      line = '';
    }
    line = line ? `${line}, ${item}` : item;
  }
  if (line) lines.push(`${indent}${line}`);
  return lines;
}

export function checkText(r: CheckResult, profilePath: string): string {
  const out: string[] = [];
  if (r.wouldDeny.length === 0) out.push(`${printable(profilePath)}: allows every recorded call (${count(r.checkedCalls)} calls checked)`);
  else {
    out.push(`${printable(profilePath)} would deny ${r.wouldDeny.length} recorded syscall(s):`);
    for (const f of r.wouldDeny) {
      const v = f.verdict.kind === 'deny' ? f.verdict : null;
      const how = v ? (v.errno !== undefined ? errnoName(v.errno) : v.action) : '';
      out.push(`  ${f.name ?? `#${f.nr}`} (${f.arch}) ×${count(f.calls)} by ${list(f.comms, 5)} (${f.pids} process(es)): ${how}, ${v?.why ?? ''}`);
    }
  }
  for (const f of r.expectedDenials) {
    out.push(`  expected: ${f.name} ×${count(f.calls)} by ${list(f.comms, 5)}: ${f.expected}`);
  }
  for (const f of r.conditional) {
    out.push(`  ${f.name} ×${count(f.calls)}: ${f.verdict.kind === 'conditional' ? f.verdict.why : ''}`);
  }
  if (r.deniedAtRecord.length) {
    out.push('denied by seccomp while recording:');
    for (const d of r.deniedAtRecord) {
      const mark = d.expected ? ` — expected (${d.expected})` : ' — a real failure the workload saw';
      out.push(`  ${d.name ?? `#${d.nr}`} (${d.arch}) ×${count(d.calls)} → ${errnoName(d.errno)}, by ${list(d.comms, 5)}${mark}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** `--check --format json`: the same result for scripts (counts as strings: they are 64-bit). */
export function checkJson(r: CheckResult, profilePath: string): string {
  const finding = (f: CheckResult['wouldDeny'][number]) => ({
    name: f.name,
    nr: f.nr,
    arch: f.arch,
    calls: String(f.calls),
    comms: f.comms,
    pids: f.pids,
    action: f.verdict.kind === 'deny' ? f.verdict.action : 'SCMP_ACT_ALLOW',
    errno: f.verdict.kind === 'deny' && f.verdict.errno !== undefined ? errnoName(f.verdict.errno) : null,
    why: f.verdict.kind === 'allow' ? null : f.verdict.why,
    expected: f.expected,
  });
  const doc = {
    profile: profilePath,
    ok: r.wouldDeny.length === 0,
    checked_calls: String(r.checkedCalls),
    would_deny: r.wouldDeny.map(finding),
    expected_denials: r.expectedDenials.map(finding),
    conditional: r.conditional.map(finding),
    denied_at_record: r.deniedAtRecord.map((d) => ({
      name: d.name, nr: d.nr, arch: d.arch, errno: errnoName(d.errno), calls: String(d.calls), comms: d.comms, expected: d.expected,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
