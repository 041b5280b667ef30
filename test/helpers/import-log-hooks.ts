/** The resolve hook of import-log.ts (runs on the loader thread): one `esm PARENT URL` line per import. */
import { appendFileSync } from 'node:fs';

interface Resolved {
  url: string;
}
type Next = (specifier: string, context: { parentURL?: string }) => Promise<Resolved>;

export async function resolve(specifier: string, context: { parentURL?: string }, next: Next): Promise<Resolved> {
  const r = await next(specifier, context);
  if (!r.url.startsWith('node:')) appendFileSync(process.env.CONTXRAY_IMPORT_LOG!, `esm ${context.parentURL ?? '-'} ${r.url}\n`);
  return r;
}
