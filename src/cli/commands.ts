/**
 * Every subcommand, in the order `--help` lists them. A command is two files: its definition in
 * commands/ (name, description, options: light, so `contxray --help` starts fast) and what it does
 * in src/cli/<name>.ts, which the definition's handler imports only when the command runs — that is
 * when DuckDB, vega, handlebars, Arrow, the addon … load (test/unit/cli-lazy.test.ts).
 */
import type { CommandModule } from 'yargs';
import { command as analyze } from './commands/analyze.js';
import { command as cache } from './commands/cache.js';
import { command as detect } from './commands/detect.js';
import { command as doctor } from './commands/doctor.js';
import { command as exportCmd } from './commands/export.js';
import { command as grafana } from './commands/grafana.js';
import { command as metrics } from './commands/metrics.js';
import { command as record } from './commands/record.js';
import { command as report } from './commands/report.js';
import { command as seccomp } from './commands/seccomp.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: CommandModule<any, any>[] = [record, analyze, report, seccomp, detect, exportCmd, metrics, grafana, doctor, cache];
