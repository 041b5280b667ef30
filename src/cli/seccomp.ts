/**
 * `contxray seccomp`: a seccomp profile from recorded captures, on any machine, without root —
 * or a check of an existing profile against what a container was recorded doing.
 * The logic lives in src/seccomp/; this file is wiring and output (options: commands/seccomp.ts).
 */
import { readFileSync } from 'node:fs';
import { checkProfile } from '../seccomp/check.js';
import { compareWithDefault } from '../seccomp/compare.js';
import { loadContainerUse } from '../seccomp/load.js';
import { profileFromUse } from '../seccomp/generate.js';
import { profileJson } from '../seccomp/profile.js';
import { spoYaml } from '../seccomp/spo.js';
import { HOW_TO_RECORD, startProblem, startWarnings } from '../seccomp/start.js';
import { checkJson, checkText, comparisonText, profileSummary } from '../seccomp/summary.js';
import type { DockerProfile, ProfileRule } from '../seccomp/types.js';
import { ARCHES, isKnownArch, normalizeArch } from '../syscalls/index.js';
import { errorMessage } from '../util/errors.js';
import { CliError, EXIT } from './errors.js';
import { warn } from '../util/tty.js';
import { checkOutput } from '../util/outfile.js';
import { openCaptures, writeOutput } from './common.js';
import type { Args } from './commands/seccomp.js';

export async function run(args: Args): Promise<void> {
    if (args.container.length !== 1) throw new CliError('a profile is for one container: give --container once (its name covers it in every capture)', EXIT.usage);
    const container = args.container[0]!;
    if (args.arch !== undefined && !isKnownArch(normalizeArch(args.arch))) {
      throw new CliError(`unknown --arch '${args.arch}'; one of ${ARCHES.join(', ')}`, EXIT.usage);
    }
    if (args.format === 'json' && args.check === undefined) {
      throw new CliError('--format json is the --check report; a profile is written as JSON by --format docker', EXIT.usage);
    }
    if (args.format === 'spo' && args.check !== undefined) throw new CliError('--check reports as text or --format json, not spo', EXIT.usage);
    const check = args.check !== undefined ? readProfile(args.check) : null;
    checkOutput(args.out, Boolean(args.force));
    const db = await openCaptures(args.captures, args);
    try {
      const use = await loadContainerUse(db, container);
      const label = use.containers[0]?.name ?? container;
      const missedStart = startProblem(use.starts, label);
      if (missedStart !== null && check === null && !args.partial) {
        throw new CliError(`${missedStart}; ${HOW_TO_RECORD} (or --partial for a partial profile anyway)`, EXIT.failure);
      }
      for (const w of startWarnings(use.starts, label)) warn(w);
      if (check) {
        const result = checkProfile(check, use.rows, use.arch, { perExecRows: use.perExecRows });
        writeOutput(args.format === 'json' ? checkJson(result, args.check!) : checkText(result, args.check!), args.out, args.force);
        if (result.wouldDeny.length > 0) {
          throw new CliError(`${result.wouldDeny.length} recorded syscall(s) would be denied by ${args.check}`, EXIT.failure);
        }
        return;
      }
      const { profile, names, selection: sel, targetArch: target, translation, ids, warnings } = profileFromUse(use, label, {
        arch: args.arch,
        defaultErrno: args['default-errno'],
        base: args.base,
        exact: args.exact,
      });
      for (const w of warnings) warn(w);
      const text = args.format === 'spo' ? spoYaml(profile, { name: label, annotations: { 'contxray.io/container': label } }) : profileJson(profile);
      writeOutput(text, args.out, args.force);
      const comparison = compareWithDefault(names, target);
      process.stderr.write(profileSummary({ container: label, ids, arch: use.arch, targetArch: target, names, sel, comparison, translation }));
      if (args['compare-default']) {
        if (comparison) process.stderr.write(comparisonText(comparison));
        else warn(`no copy of Docker's default profile for ${target}`);
      }
    } finally {
      db.close();
    }
}

function readProfile(path: string): DockerProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${errorMessage(err)}`, EXIT.input);
  }
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not a JSON seccomp profile: ${errorMessage(err)}`, EXIT.input);
  }
  const profile = p as DockerProfile;
  if (typeof profile?.defaultAction !== 'string') throw new CliError(`${path} has no defaultAction: not a Docker/OCI seccomp profile`, EXIT.input);
  if (profile.syscalls !== undefined && profile.syscalls !== null && !Array.isArray(profile.syscalls)) {
    throw new CliError(`${path}: syscalls must be a list`, EXIT.input);
  }
  // Older Docker profiles name one syscall per rule in `name`.
  const names = (r: ProfileRule & { name?: string }) => (Array.isArray(r.names) ? r.names : typeof r.name === 'string' ? [r.name] : []);
  return { ...profile, syscalls: (profile.syscalls ?? []).map((r) => ({ ...r, names: names(r) })) };
}
