/**
 * Compiles vega-lite → vega → SVG in Node (no canvas needed), and checks the output: the SVG is
 * inlined unescaped into the page, so anything but plain drawing elements is refused. Vega escapes
 * text itself; the check makes sure that stays true whatever the data.
 */
import * as vega from 'vega';
import { compile } from 'vega-lite';

/** `prefix` makes the SVG's internal ids (gradients, clip paths) unique within the page. */
export async function toSvg(spec: object, prefix: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const compiled = compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return assertSafeSvg(slim(await view.toSVG(), prefix));
  } finally {
    view.finalize();
  }
}

/**
 * Drops attributes that only serve vega's own DOM (classes, ARIA roles on hidden groups, default
 * opacity) and the per-text font (the stylesheet sets it): about half the bytes of a chart.
 * Works tag by tag; text content never holds a raw '<', so a tag match is always a real tag.
 */
function slim(svg: string, prefix: string): string {
  return svg.replace(/<[^>]+>/g, (tag) => {
    const t = tag
      .replace(/\s(?:class|role|aria-roledescription|aria-hidden|pointer-events|font-family)="[^"]*"|\sopacity="1"|\sstroke-miterlimit="4"/g, '')
      // a tenth of a pixel is enough precision
      .replace(/(\d\.\d)\d+/g, '$1')
      .replace(/\sid="/g, ` id="${prefix}-`)
      .replace(/url\(#/g, `url(#${prefix}-`);
    // the empty background/foreground paths vega gives every group draw nothing
    return /^<path (d="M0,0h0v0h0Z"|d="" display="none")\/>$/.test(t) ? '' : t;
  });
}

const TAGS = new Set(['svg', 'g', 'path', 'rect', 'line', 'text', 'tspan', 'circle', 'title', 'desc', 'defs', 'clipPath', 'linearGradient', 'radialGradient', 'stop']);
const ATTR = /\s([^\s=/>]+)(?:="[^"]*")?/g;

/** Throws unless every tag is a known drawing element without event handlers, links or styles. */
export function assertSafeSvg(svg: string): string {
  for (const m of svg.matchAll(/<\s*(\/?)\s*([^\s>/]+)([^>]*)>/g)) {
    const [, , tag, attrs] = m;
    if (!TAGS.has(tag!)) throw new Error(`unexpected <${tag}> in chart SVG`);
    for (const a of attrs!.matchAll(ATTR)) {
      const name = a[1]!.toLowerCase();
      if (name.startsWith('on') || name.includes('href') || name === 'style') throw new Error(`unexpected attribute ${name} in chart SVG`);
    }
  }
  if (/<!|<\?/.test(svg)) throw new Error('unexpected markup in chart SVG');
  return svg;
}
