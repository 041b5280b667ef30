/**
 * Captures → OpenMetrics text that `promtool tsdb create-blocks-from openmetrics` accepts
 * (measured rules in DESIGN.md): float-second timestamps, each series time-ascending without
 * duplicates, families contiguous, `_total` counters under a family name without it, no `untyped`,
 * LF only, `# EOF` and one newline. The samples come from queries/metrics/*.sql, streamed chunk by
 * chunk from DuckDB; the text goes out in ~1 MB writes, never as one string.
 */
import { readFileSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { join } from 'node:path';
import { QUERY_DIR } from '../analyze/queries.js';
import { FAMILY_BY_KEY, familyName, valueText, type Family } from './families.js';
import { escapeLabel } from './labels.js';

export const METRICS_QUERY_DIR = join(QUERY_DIR, 'metrics');

export function metricsSql(name: 'labels' | 'increments' | 'series'): string {
  return readFileSync(join(METRICS_QUERY_DIR, `${name}.sql`), 'utf8');
}

export interface ExportStats {
  samples: number;
  series: number;
  families: number;
  firstNs: bigint | null;
  lastNs: bigint | null;
}

/** ns since the epoch → seconds as OpenMetrics wants them ("1764400015" or "1764400015.5"). */
export function secondsText(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  return frac === 0n ? s.toString() : `${s}.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
}

/** Computes the per-step increments (a temp table), then streams the samples to `write`. */
export async function writeOpenMetrics(conn: DuckDBConnection, stepNs: bigint, write: (text: string) => void): Promise<ExportStats> {
  await conn.run('CREATE OR REPLACE TEMP TABLE metrics_params AS SELECT $step::BIGINT AS step_ns', { step: stepNs.toString() });
  await conn.run(metricsSql('labels'));
  await conn.run(metricsSql('increments'));
  const result = await conn.stream(metricsSql('series'));
  const stats: ExportStats = { samples: 0, series: 0, families: 0, firstNs: null, lastNs: null };
  let out: string[] = [];
  let outLen = 0;
  const emit = (s: string) => {
    out.push(s);
    outLen += s.length;
    if (outLen > 1 << 20) {
      write(out.join(''));
      out = [];
      outLen = 0;
    }
  };
  let familyKey = '';
  let family: Family | undefined;
  let seriesKey = '';
  let prefix = '';
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const [fam, host, cid, cname, l1, l2, ts, value] = chunk.getColumns() as [string[], string[], string[], string[], string[], string[], bigint[], bigint[]];
    for (let r = 0; r < chunk.rowCount; r++) {
      if (fam[r] !== familyKey) {
        familyKey = fam[r]!;
        family = FAMILY_BY_KEY.get(familyKey);
        if (!family) throw new Error(`queries/metrics produced an undeclared family '${familyKey}'`);
        const name = familyName(family);
        emit(`# HELP ${name} ${escapeLabel(family.help)}\n# TYPE ${name} ${family.type}\n`);
        stats.families++;
        seriesKey = '';
      }
      const key = `${host[r]}\u0000${cid[r]}\u0000${cname[r]}\u0000${l1[r]}\u0000${l2[r]}`;
      if (key !== seriesKey) {
        seriesKey = key;
        prefix = samplePrefix(family!, { host: host[r]!, container_id: cid[r]!, container: cname[r]! }, [l1[r]!, l2[r]!]);
        stats.series++;
      }
      const t = ts[r]!;
      emit(`${prefix} ${valueText(family!, value[r]!)} ${secondsText(t)}\n`);
      stats.samples++;
      if (stats.firstNs === null || t < stats.firstNs) stats.firstNs = t;
      if (stats.lastNs === null || t > stats.lastNs) stats.lastNs = t;
    }
  }
  emit('# EOF\n');
  write(out.join(''));
  return stats;
}

/** `name{label="value",…}`; empty values are left out (Prometheus treats them as absent anyway). */
function samplePrefix(f: Family, fixed: Record<string, string>, extra: string[]): string {
  const pairs: string[] = [];
  let e = 0;
  for (const label of f.labels) {
    const v = label in fixed ? fixed[label]! : (extra[e++] ?? '');
    if (v !== '') pairs.push(`${label}="${escapeLabel(v)}"`);
  }
  return pairs.length > 0 ? `${f.name}{${pairs.join(',')}}` : f.name;
}
