/**
 * The SQL side of `contxray export`: which view each exported kind reads (queries/export/) and the
 * SELECT a COPY wraps. Opening the output files stays with the command (src/cli/export.ts).
 */
import type { Analysis } from '../analyze/db.js';

/** A SQL string literal for a path the *user* gave us (never for captured data). */
export function sqlPath(path: string): string {
  return `'${path.replace(/'/g, "''")}'`;
}

/** Creates the export views, then lists kind → view from queries/export/tables.sql. */
export async function exportTables(analysis: Analysis): Promise<{ kind: string; view: string }[]> {
  await analysis.named('export-views');
  return (await analysis.named('export-tables')) as { kind: string; view: string }[];
}

/** The rows of one exported kind (the view already has the export's column names). */
export function selectFrom(_kind: string, view: string): string {
  return `SELECT * FROM ${viewName(view)}`;
}

/** Views have fixed names from queries/export/tables.sql; checked against a strict pattern anyway. */
function viewName(view: string): string {
  if (!/^[a-z_]+$/.test(view)) throw new Error(`bad view name ${view}`);
  return view;
}
