/**
 * Was the container's start recorded? A profile built from a capture that began after the
 * container did lacks runc's post-filter calls and the workload's start-up, so it kills the
 * container at start (exit 139, no log line): the ContXRay mistake this tool exists to avoid. The
 * command refuses such a capture unless --partial asks for a partial profile. Merged captures only
 * need one of them to have seen the start.
 */
import type { StartInfo } from './load.js';
import { visible } from '../util/visible.js';

export const HOW_TO_RECORD = 'record the container from its creation: sudo contxray record -o x.arrow -- docker run …';

/** Why the start is missing from the captures, or null when one of them saw it. */
export function startProblem(starts: readonly StartInfo[], container: string): string | null {
  const seen = starts.some((s) => !startedBefore(s) && (s.execs > 0n || s.runtime_rows > 0n));
  if (seen || starts.length === 0) return null;
  const s = starts[0]!;
  const why = startedBefore(s)
    ? `the capture started at ${iso(s.capture_started_at)}, after the container did (${iso(s.container_started_at)})`
    : 'no exec and no runtime start-up call of the container was recorded';
  return `${why}: a profile from it lacks '${visible(container, 120)}''s start-up calls and would kill it at start`;
}

/** The same as a list of warnings (for --check and --partial, which go on). */
export function startWarnings(starts: readonly StartInfo[], container: string): string[] {
  const p = startProblem(starts, container);
  return p === null ? [] : [`${p}; ${HOW_TO_RECORD}`];
}

function startedBefore(s: StartInfo): boolean {
  return s.container_started_at !== null && s.capture_started_at !== null && s.container_started_at < s.capture_started_at;
}

function iso(ns: bigint | null): string {
  return ns === null ? '?' : new Date(Number(ns / 1_000_000n)).toISOString();
}
