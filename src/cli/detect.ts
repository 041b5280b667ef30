/**
 * `contxray detect`: which windows of which container look unlike its baseline, and why.
 * The detector lives in src/detect/ (docs/detect.md); this file is wiring and output, the options
 * are in commands/detect.ts.
 */
import { packagePath } from '../util/package-root.js';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { loadFacts } from '../detect/facts.js';
import { detect, trainModel, type DetectRow } from '../detect/detect.js';
import { DEFAULT_OPTIONS, type Series } from '../detect/model.js';
import { modelJson, parseModel, type ModelFile } from '../detect/model-file.js';
import { show } from '../detect/explain.js';
import { parseDuration } from '../util/duration.js';
import { errorMessage } from '../util/errors.js';
import { CliError, EXIT } from './errors.js';
import { warn } from '../util/tty.js';
import { resolveContainers, keyOf } from '../analyze/select.js';
import { openCaptures, writeOutput, type CaptureArgs } from './common.js';
import type { Args } from './commands/detect.js';
import { refuseLake } from '../analyze/lake.js';

export async function run(args: Args): Promise<void> {
    const scoring = (args.captures?.length ?? 0) > 0;
    if (args.model && args.baseline) throw new CliError('give --baseline or --model, not both', EXIT.usage);
    if (args['save-model'] && !args.baseline) throw new CliError('--save-model needs --baseline to train on', EXIT.usage);
    if (!scoring && !args['save-model']) throw new CliError('nothing to do: give captures to score, or --baseline … --save-model FILE', EXIT.usage);
    if (args.threshold !== undefined && !(args.threshold >= 0 && args.threshold <= 1)) throw new CliError('--threshold must be between 0 and 1', EXIT.usage);
    if (!Number.isInteger(args.seed)) throw new CliError('--seed must be an integer', EXIT.usage);
    let windowMs = args.window !== undefined ? parseDuration(args.window, '--window') : 10_000;
    if (windowMs < 1000) throw new CliError('--window must be at least 1s', EXIT.usage);
    const options = { ...DEFAULT_OPTIONS, seed: args.seed };

    let model: ModelFile | null = null;
    if (args.model) {
      model = readModel(args.model);
      if (args.window !== undefined && windowMs !== model.windowMs) throw new CliError(`--window ${args.window} differs from the model's ${model.windowMs / 1000}s window`, EXIT.usage);
      windowMs = model.windowMs;
    } else if (args.baseline) {
      // Every baseline container trains (cheap): a -c container may match its baseline by image.
      const series = await loadSeries(args.baseline, windowMs, undefined, { cache: args.cache });
      model = trainModel(series, windowMs, args.by, options);
      for (const g of model.groups) {
        if (g.thresholdSource === 'training') warn(`baseline of ${show(g.name)} has ${g.trainWindows} window(s), too few to hold any out for validation: threshold taken from its training windows`);
      }
      if (args['save-model']) saveModel(args['save-model'], modelJson(model, packageVersion()));
    }
    if (!scoring) return;

    const series = await loadSeries(args.captures!, windowMs, args.container, args);
    if (series.every((s) => s.windows.length === 0)) throw new CliError(`${args.captures!.join(' ')}: no container activity to score (empty capture, or no such container)`, EXIT.input);
    const result = detect(model, series, { threshold: args.threshold, windowMs, options: model?.options ?? options });
    if (result.unmatched.length > 0) {
      const names = [...new Set(result.unmatched.map((r) => show(r.name, 60)))];
      const msg = `no baseline for container${names.length === 1 ? '' : 's'} ${names.join(', ')} (matched by ${model!.by}${model!.by === 'name' ? ', then image' : ''}; the baseline has ${model!.groups.map((g) => show(g.name, 60)).join(', ')})`;
      if (result.rows.length === 0 || (args.container?.length ?? 0) > 0) throw new CliError(msg, EXIT.input);
      warn(`${msg}: not scored`);
    }
    writeOutput(render(result.rows, args.format, args.all === true), args.out);
    const flagged = result.rows.filter((r) => r.anomalous);
    if (flagged.length > 0) {
      const containers = [...new Set(flagged.map((r) => show(r.container, 60)))];
      throw new CliError(`${flagged.length} of ${result.rows.length} window(s) anomalous in ${containers.join(', ')}`, EXIT.failure);
    }
}

export async function loadSeries(captures: string[], windowMs: number, only?: string[], open?: CaptureArgs): Promise<Series[]> {
  refuseLake(captures, 'detect');
  const analysis = await openCaptures(captures, open);
  try {
    // resolved before the (costly) facts are read: a wrong -c fails fast
    const selection = await resolveContainers(analysis, only);
    const all = [...(await loadFacts(analysis, windowMs)).values()];
    return selection === null ? all : all.filter((s) => selection.keys.has(keyOf(s.ref.host, s.ref.containerId)));
  } finally {
    analysis.close();
  }
}

export function readModel(path: string): ModelFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${errorMessage(err)}`, EXIT.input);
  }
  try {
    return parseModel(text);
  } catch (err) {
    throw new CliError(`${path}: ${errorMessage(err)}`, EXIT.input);
  }
}

/** The model lists what the baseline did (programs, paths): 0600, and never through a symlink. */
function saveModel(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw new CliError(`cannot write ${path}: ${errorMessage(err)}`, EXIT.input);
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

function packageVersion(): string {
  try {
    return String((JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: string }).version ?? '?');
  } catch {
    return '?';
  }
}

function render(rows: DetectRow[], format: Args['format'], all: boolean): string {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === 'ndjson') return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  const shown = all ? rows : rows.filter((r) => r.anomalous);
  const containers = new Set(rows.map((r) => `${r.host}\0${r.container_id}`)).size;
  const out: string[] = [];
  for (const r of shown) {
    const mark = r.anomalous ? 'ANOMALOUS' : 'normal';
    out.push(`${show(r.container, 60)}  ${r.window_start.slice(0, 19)}Z – ${r.window_end.slice(11, 19)}Z  score ${r.score.toFixed(3)} (threshold ${r.threshold.toFixed(3)})  ${mark}  host ${show(r.host, 60)}  id ${r.container_id.slice(0, 12)}`);
    r.reasons.forEach((x, i) => out.push(`  ${i + 1}. ${x.text}  [${x.feature}, ${x.contribution.toFixed(2)}]`));
  }
  const flagged = rows.filter((r) => r.anomalous).length;
  out.push(`${flagged} anomalous of ${rows.length} window(s) in ${containers} container(s)`);
  return `${out.join('\n')}\n`;
}
