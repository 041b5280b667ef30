/**
 * A fresh cgroup v2 directory for the recorder's tests and benchmarks: its id (the directory's
 * inode, what bpf_get_current_cgroup_id() returns) and a remove() that waits for it to empty.
 */
import { existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** cgroup v2 root: /sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on pure v2. */
export const CGROUP_ROOT = existsSync('/sys/fs/cgroup/unified/cgroup.procs') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';

export interface TestCgroup {
  dir: string;
  id: bigint;
  procs: string;
  /** rmdir, retried for up to 5 s while the cgroup's last tasks exit. */
  remove(): Promise<void>;
}

export function makeCgroup(tag: string): TestCgroup {
  const dir = path.join(CGROUP_ROOT, `contxray-${tag}-${process.pid}`);
  mkdirSync(dir);
  return {
    dir,
    id: statSync(dir, { bigint: true }).ino,
    procs: path.join(dir, 'cgroup.procs'),
    remove: async () => {
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
  };
}
