/** Every subcommand, in the order `--help` lists them. Each lives in its own file. */
import type { CommandModule } from 'yargs';
import { command as analyze } from './analyze.js';
import { command as cache } from './cache.js';
import { command as detect } from './detect.js';
import { command as exportCmd } from './export.js';
import { command as grafana } from './grafana.js';
import { command as metrics } from './metrics.js';
import { command as record } from './record.js';
import { command as report } from './report.js';
import { command as seccomp } from './seccomp.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: CommandModule<any, any>[] = [record, analyze, report, seccomp, detect, exportCmd, metrics, grafana, cache];
