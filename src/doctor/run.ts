/** All checks in the order shown: the file checks, the addon, then (as root, when asked) the live load. */
import { addonInfo, type AddonInfo } from '../record/addon.js';
import { HostView, REAL_ROOTS, checkAddon, checkSeccomp, fileChecks, type Check, type Roots } from './checks.js';
import { checkBpfLoad } from './trial.js';

export interface DiagnoseOptions {
  roots?: Roots;
  /** Where the addon is and whether it loads (tests give a fixed answer). */
  addon?: () => AddonInfo;
  /** Load and attach the BPF programs for a moment when everything it needs is there. */
  load: boolean;
  /** The live load (tests give a fixed answer: it acts on the real kernel, whatever the roots). */
  trial?: () => Promise<Check>;
}

/** What a load needs: a failure here would only repeat these checks' own failure. */
const LOAD_NEEDS = ['root', 'capabilities', 'btf', 'tracefs', 'addon'];

export async function diagnose(opts: DiagnoseOptions): Promise<Check[]> {
  const h = new HostView(opts.roots ?? REAL_ROOTS);
  const checks = fileChecks(h);
  const addon = checkAddon((opts.addon ?? addonInfo)());
  let trial: Check | null = null;
  let loaded: boolean | undefined; // the live load's outcome, when it was tried
  if (opts.load) {
    const missing = [...checks, addon].filter((c) => LOAD_NEEDS.includes(c.id) && c.status !== 'ok').map((c) => c.id);
    if (missing.length === 0) {
      trial = await (opts.trial ?? checkBpfLoad)();
      loaded = trial.status === 'ok';
    } else {
      trial = { id: 'bpf-load', status: 'warn', found: `not tried: ${missing.join(', ')} not ok`, fix: 'fix the checks above first' };
    }
  }
  return [...checks, checkSeccomp(h, loaded), addon, ...(trial ? [trial] : [])];
}

/** Recording works when nothing failed (warnings allowed). */
export function ready(checks: Check[]): boolean {
  return checks.every((c) => c.status !== 'fail');
}
