/**
 * Scores the report's captures with a detector model (src/detect): the rows of the anomaly section.
 * Containers without a baseline are listed, not scored, as `contxray detect` warns about them.
 */
import type { Analysis } from '../analyze/db.js';
import { detect } from '../detect/detect.js';
import { loadFacts } from '../detect/facts.js';
import type { ModelFile } from '../detect/model-file.js';
import type { AnomalyInput } from './anomaly.js';

export async function anomalyInput(analysis: Analysis, model: ModelFile, source: string): Promise<AnomalyInput> {
  const series = [...(await loadFacts(analysis, model.windowMs)).values()];
  const result = detect(model, series, { windowMs: model.windowMs, options: model.options });
  return { rows: result.rows, windowMs: model.windowMs, source, unmatched: [...new Set(result.unmatched.map((r) => r.name))] };
}
