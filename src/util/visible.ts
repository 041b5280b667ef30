/**
 * The one rule for showing untrusted text (captured strings, file names from globs, values read
 * from a capture's metadata) to a person, on the terminal and in the HTML report alike:
 *
 *  - characters that act instead of being seen become visible escapes: C0 controls and DEL
 *    (`\x1b`, `\n`, `\t`, `\r`), C1 controls (`\x85`), bidi controls that reorder text (U+061C,
 *    U+200E/F, U+202A–U+202E, U+2066–U+2069 → `\u202e`), zero-width and other invisible format
 *    characters (U+200B–U+200D, U+2060–U+2064, U+FEFF, U+180E, U+FFF9–U+FFFB, tag characters),
 *    and the line/paragraph separators U+2028/9;
 *  - invalid UTF-16 (lone surrogates, what invalid UTF-8 may become on the way in) shows as `\ud800`;
 *  - the text is cut at a byte bound and says how much was left out: `…(N more bytes)`.
 *
 * HTML safety is the template engine's escaping, not this module's: the result is plain text.
 */

export const DEFAULT_MAX_BYTES = 240;

// one alternation, so a surrogate pair is consumed whole and only lone halves match the last two
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeOne(ch: string): string {
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  const cp = ch.length === 2 ? ch.codePointAt(0)! : ch.charCodeAt(0);
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\u{${cp.toString(16)}}`;
}

/** Escapes only (no length bound): for text that is bounded by other means. */
export function escapeInvisible(s: string): string {
  return s.replace(UNSAFE, escapeOne);
}

/**
 * Cuts `s` to at most `maxBytes` UTF-8 bytes on a code-point boundary. Returns the kept prefix
 * and the number of bytes left out. Stops scanning once the bound is passed, so a 10 MB value
 * costs no more than a short one (the remainder is measured by Buffer.byteLength, in C++).
 * A lone surrogate counts 3 bytes (it is encoded as U+FFFD).
 */
export function cutBytes(s: string, maxBytes: number): { kept: string; dropped: number } {
  if (s.length * 3 <= maxBytes) return { kept: s, dropped: 0 }; // no UTF-16 unit is more than 3 bytes
  let bytes = 0;
  let i = 0;
  while (i < s.length) {
    const code = s.charCodeAt(i);
    const pair = code >= 0xd800 && code <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const n = pair ? 4 : code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
    if (bytes + n > maxBytes) break;
    bytes += n;
    i += pair ? 2 : 1;
  }
  if (i >= s.length) return { kept: s, dropped: 0 };
  const kept = s.slice(0, i);
  return { kept, dropped: Buffer.byteLength(s, 'utf8') - Buffer.byteLength(kept, 'utf8') };
}

/** Bound of one error or warning line on stderr (seccomp once printed a 10 MB container name). */
export const MESSAGE_MAX_BYTES = 4096;

/** A whole stderr message (our words plus whatever values they quote) as one safe, bounded line. */
export function visibleMessage(message: string): string {
  return visible(message, MESSAGE_MAX_BYTES);
}

/** Any value as text: arrays joined by spaces, null/undefined as ''. */
export function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => asText(x)).join(' ');
  return String(v);
}

/**
 * Untrusted text made safe to look at: invisible and acting characters escaped, cut at
 * `maxBytes` UTF-8 bytes of the original with "…(N more bytes)".
 */
export function visible(v: unknown, maxBytes = DEFAULT_MAX_BYTES): string {
  const { kept, dropped } = cutBytes(asText(v), maxBytes);
  const shown = escapeInvisible(kept);
  return dropped > 0 ? `${shown}…(${dropped} more bytes)` : shown;
}

/** A bounded list for a message: the first `max` items shown, then "and N more". */
export function visibleList(items: readonly unknown[], max = 20, maxBytes = 80): string {
  const shown = items.slice(0, max).map((x) => visible(x, maxBytes));
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}
