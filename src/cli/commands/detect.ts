/**
 * `contxray detect`: its options. What it does is in ../detect.ts, imported when it runs (commands.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import type { By } from '../../detect/detect.js';
import { DEFAULT_OPTIONS } from '../../detect/options.js';
import { withCaptures, withContainers } from '../options.js';

export interface Args {
  captures?: string[];
  db?: string;
  cache?: boolean;
  baseline?: string[];
  model?: string;
  'save-model'?: string;
  container?: string[];
  window?: string;
  by: By;
  format: 'table' | 'json' | 'ndjson';
  out?: string;
  threshold?: number;
  all?: boolean;
  seed: number;
}

export const command: CommandModule<object, Args> = {
  command: 'detect [captures..]',
  describe: "Find the time windows where a container behaves unlike its recorded baseline, with reasons (isolation forest)",
  builder: (y: Argv) =>
    withContainers(withCaptures(y))
      .option('baseline', { alias: 'b', type: 'string', array: true, describe: 'normal recordings to learn from (files or quoted globs)' })
      .option('model', { alias: 'm', type: 'string', describe: 'score with a model saved by --save-model instead of --baseline' })
      .option('save-model', { type: 'string', describe: 'write the model trained on --baseline to FILE (versioned JSON)' })
      .option('window', { type: 'string', describe: 'window length (default 10s; a model keeps its own)' })
      .option('by', { choices: ['name', 'image'] as const, default: 'name' as By, describe: 'how a container finds its baseline: same name (falling back to image), or same image' })
      .option('format', { alias: 'f', choices: ['table', 'json', 'ndjson'] as const, default: 'table' as const, describe: 'output format (table: anomalous windows only, unless --all)' })
      .option('out', { alias: 'o', type: 'string', describe: 'write the result to FILE instead of stdout' })
      .option('threshold', { type: 'number', describe: 'score above which a window is anomalous (default: from the scores of held-out baseline windows, see docs/detect.md)' })
      .option('all', { type: 'boolean', describe: 'table: show every window, not only anomalous ones' })
      .option('seed', { type: 'number', default: DEFAULT_OPTIONS.seed, describe: 'random seed of the forest (same seed, same data → same scores)' })
      .example('$0 detect trace.arrow --baseline normal1.arrow normal2.arrow', 'train on the baselines, score trace.arrow')
      .example("$0 detect --baseline 'staging/*.arrow' --save-model web.model.json", 'train once, keep the model')
      .example('$0 detect trace.arrow --model web.model.json -c web --format json', 'score with a saved model')
      .example('$0 detect trace.arrow', 'no baseline: each window against the rest of the same capture') as unknown as Argv<Args>,
  handler: async (args) => (await import('../detect.js')).run(args),
};
