/**
 * libbpf attaches classic tracepoints (sock:inet_sock_set_state) through tracefs, which a fresh
 * host without systemd may not have mounted. Mount it when we can (we run as root), else say how.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { RecorderError } from '../util/errors.js';

const TRACEFS = '/sys/kernel/tracing';

export function tracefsMounted(): boolean {
  return existsSync(`${TRACEFS}/events`) || existsSync('/sys/kernel/debug/tracing/events');
}

export function ensureTracefs(): void {
  if (tracefsMounted()) return;
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { stdio: 'ignore' });
  } catch {
    /* reported below */
  }
  if (!tracefsMounted()) throw new RecorderError('no-tracefs', `tracefs is not mounted and could not be mounted: mount -t tracefs nodev ${TRACEFS}`);
}
