/**
 * `contxray seccomp`: its options. What it does is in ../seccomp.ts, imported when it runs (commands.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import type { DefaultErrno } from '../../seccomp/types.js';
import { ARCHES } from '../../syscalls/arch.js';
import { withCaptures, withContainers, withForce } from '../options.js';

export interface Args {
  captures?: string[];
  db?: string;
  cache?: boolean;
  container: string[];
  out?: string;
  force?: boolean;
  format: 'docker' | 'spo' | 'json';
  'default-errno': DefaultErrno;
  arch?: string;
  check?: string;
  'compare-default'?: boolean;
  base: 'auto' | 'runc' | 'none';
  partial?: boolean;
  exact?: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'seccomp [captures..]',
  describe: 'Generate a seccomp profile for a recorded container (Docker/OCI JSON or Kubernetes SPO), or check one',
  builder: (y: Argv) =>
    withContainers(withForce(withCaptures(y)), { required: true, describe: 'the container: exact name, full id or unique id prefix (same name in several captures: merged)' })
      .option('out', { alias: 'o', type: 'string', describe: 'write the profile (or the --check report) to FILE instead of stdout' })
      .option('format', { alias: 'f', choices: ['docker', 'spo', 'json'] as const, default: 'docker' as const, describe: 'docker: Docker/OCI JSON (docker run --security-opt seccomp=FILE); spo: Kubernetes security-profiles-operator SeccompProfile YAML; json: the --check report as JSON' })
      .option('default-errno', { choices: ['EPERM', 'ENOSYS'] as const, default: 'EPERM' as const, describe: 'errno for denied calls: EPERM (not allowed) or ENOSYS (lets libc fall back, as for an old kernel); see docs/seccomp.md' })
      .option('arch', { type: 'string', describe: `write the profile for this architecture (${ARCHES.join(', ')}); default: the recorded one` })
      .option('base', { choices: ['auto', 'runc', 'none'] as const, default: 'auto' as const, describe: "add the runtime's measured post-filter base set (auto: runc for Docker containers)" })
      .option('check', { type: 'string', describe: 'instead of generating: list recorded calls PROFILE.json would deny, and calls denied while recording; exit 1 if any would be denied' })
      .option('partial', { type: 'boolean', describe: "make a profile even from a capture that missed the container's start (it may kill the container at start)" })
      .option('exact', { type: 'boolean', describe: 'allow only the calls recorded (no interchangeable family members such as pwritev for pwrite64; see docs/seccomp.md)' })
      .option('compare-default', { type: 'boolean', describe: "also show what Docker's default profile allows that this container never used (dangerous ones first)" })
      .example('sudo $0 record -o web.arrow -- docker run --name web nginx', 'first record it from its creation (docker stop web ends it)')
      .example('$0 seccomp web.arrow --container web -o web.json', 'a Docker profile; then: docker run --security-opt seccomp=web.json …')
      .example('$0 seccomp host1.arrow host2.arrow -c web -f spo -o web.yaml', 'merge runs from two hosts into a Kubernetes SeccompProfile')
      .example('$0 seccomp web.arrow -c web --check web.json', 'would this profile break the recorded workload?')
      .example('$0 seccomp web.arrow -c web --check web.json -f json', 'the same for scripts')
      .example('$0 seccomp web.arrow -c web --compare-default -o /dev/null', "the attack surface removed compared with Docker's default")
      .example('$0 seccomp web.arrow -c 3f2a9c --arch aarch64 -o web-arm64.json', 'for arm64 hosts (open→openat …)') as unknown as Argv<Args>,
  handler: async (args) => (await import('../seccomp.js')).run(args),
};
