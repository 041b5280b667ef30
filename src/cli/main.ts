/**
 * The contxray command line: one yargs command module per file in src/cli/.
 * Errors a user can act on (the domain errors of src/util/errors.ts, and CliError) print one line and
 * exit with the code src/cli/errors.ts maps them to; anything else is reported as an internal error,
 * with the stack only under CONTXRAY_DEBUG=1.
 */
import yargs from 'yargs';
import { errorMessage } from '../util/errors.js';
import { CliError, EXIT, exitCodeOf, userMessage } from './errors.js';
import { COMMANDS } from './commands.js';
import { visibleMessage } from '../util/visible.js';

export async function main(argv: string[]): Promise<void> {
  const cli = yargs(argv)
    .scriptName('contxray')
    .usage(
      'contxray — record what containers do with eBPF, analyse it anywhere.\n\n' +
        '  sudo contxray record -o trace.arrow --duration 30s\n' +
        '  contxray analyze trace.arrow\n' +
        '  contxray report trace.arrow -o report.html\n' +
        '  contxray seccomp trace.arrow --container web -o web.json',
    )
    .strict()
    .demandCommand(1, 'Give a command; see the list above.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new CliError(msg, EXIT.usage);
    });
  for (const command of COMMANDS) cli.command(command);
  try {
    await cli.parseAsync();
  } catch (err) {
    report(err);
  }
}

function report(err: unknown): never {
  const code = exitCodeOf(err);
  if (code !== undefined) {
    // messages quote file names and captured values: one escaped, bounded line (src/util/visible.ts)
    process.stderr.write(`contxray: ${visibleMessage(userMessage(err as Error))}\n`);
    process.exit(code);
  }
  if (process.env.CONTXRAY_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.stderr.write(`contxray: internal error: ${visibleMessage(errorMessage(err))} (set CONTXRAY_DEBUG=1 for details)\n`);
  process.exit(EXIT.failure);
}
