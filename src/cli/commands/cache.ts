/**
 * `contxray cache list|clear`: its options. What it does is in ../cache.ts, imported when it runs (commands.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import { cacheDirPath } from '../../analyze/cache/dir.js';
import { FORMATS, type Format } from '../../util/format.js';

export interface Args {
  action: 'list' | 'clear';
  format: Format;
}

export const command: CommandModule<object, Args> = {
  command: 'cache <action>',
  describe: 'List or clear the load cache (databases reused by later commands on the same captures)',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['list', 'clear'] as const, describe: 'list: entries, their captures, size and last use; clear: remove them all' })
      .option('format', { alias: 'f', choices: FORMATS, default: 'table' as Format, describe: 'output format of list' })
      .example('$0 cache list', `entries of ${cacheDirPath()} (CONTXRAY_CACHE_MAX bounds it; --no-cache bypasses it)`)
      .example('$0 cache clear', 'remove every entry') as unknown as Argv<Args>,
  handler: async (args) => (await import('../cache.js')).run(args),
};
