/**
 * Label values come from containers (names, images, runtimes) and from the capture (stat names):
 * hostile. Both exporters pass every value through boundLabel(); the OpenMetrics writer then
 * escapes it the way OpenMetrics (and prom-client) do: backslash, double quote, newline.
 */

/** Longest label value kept, in code points (a Docker name is ≤ 64, an image reference ≤ 255). */
export const MAX_LABEL_CHARS = 128;

/**
 * Cut to MAX_LABEL_CHARS code points (never inside a surrogate pair, ending in "…" when cut),
 * lone surrogates and control characters other than newline become U+FFFD.
 */
export function boundLabel(value: string): string {
  // eslint-disable-next-line no-control-regex
  let v = value
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '\uFFFD');
  if (v.length > MAX_LABEL_CHARS) {
    const cps = Array.from(v);
    if (cps.length > MAX_LABEL_CHARS) v = cps.slice(0, MAX_LABEL_CHARS - 1).join('') + '…';
  }
  return v;
}

/** OpenMetrics label-value escaping (also used for HELP text). */
export function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}
