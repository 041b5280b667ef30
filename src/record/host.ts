/** What the recording host is: stored in every capture so it reads right anywhere. */
import { readFileSync } from 'node:fs';
import { hostname, release, machine } from 'node:os';
import type { HostInfo } from '../capture/schema.js';
import { normalizeArch } from '../syscalls/index.js';

function bootTimeNs(): string {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('btime '));
    if (line) return String(BigInt(line.split(/\s+/)[1]!) * 1_000_000_000n);
  } catch {
    /* fall through */
  }
  return String(BigInt(Date.now()) * 1_000_000n - BigInt(Math.round(process.uptime() * 1e9)));
}

function machineId(): string | undefined {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function hostInfo(): HostInfo {
  return { hostname: hostname(), kernel: release(), arch: normalizeArch(machine()), boot_time_ns: bootTimeNs(), machine_id: machineId() };
}
