/**
 * Was the container's start recorded? A profile built from a capture that began after the
 * container did lacks runc's post-filter calls and the workload's start-up, so it may not start the
 * container: the ContXRay mistake this tool exists to avoid. Merged captures only need one of them
 * to have seen the start.
 */
import type { StartInfo } from './load.js';
import { visible } from '../util/visible.js';

export const HOW_TO_RECORD = 'record the container from its creation: sudo contxray record -o x.arrow -- docker run …';

export function startWarnings(starts: readonly StartInfo[], container: string): string[] {
  const seen = starts.some((s) => !startedBefore(s) && (s.execs > 0n || s.runtime_rows > 0n));
  if (seen || starts.length === 0) return [];
  const s = starts[0]!;
  const why = startedBefore(s)
    ? `the capture started at ${iso(s.capture_started_at)}, after the container did (${iso(s.container_started_at)})`
    : 'no exec and no runtime start-up call of the container was recorded';
  return [`${why}: the profile may not start '${visible(container, 120)}' (its start-up calls are missing); ${HOW_TO_RECORD}`];
}

function startedBefore(s: StartInfo): boolean {
  return s.container_started_at !== null && s.capture_started_at !== null && s.container_started_at < s.capture_started_at;
}

function iso(ns: bigint | null): string {
  return ns === null ? '?' : new Date(Number(ns / 1_000_000n)).toISOString();
}
