/** Small independent readers for the report tests: an XML well-formedness check, mark counting, a PNG decoder. */
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { Resvg } from '@resvg/resvg-js';
import { renderSvg } from '../../src/report/render-node.js';

/** Throws unless `xml` is well formed: balanced tags, quoted attributes, known entities. */
export function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  const checkText = (text: string) => {
    if (text.includes('<')) throw new Error(`stray "<" in text: ${text.slice(0, 60)}`);
    const bad = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(text);
    if (bad) throw new Error(`bare "&" in: ${text.slice(Math.max(0, bad.index - 20), bad.index + 20)}`);
  };
  while ((m = tag.exec(xml))) {
    checkText(xml.slice(last, m.index));
    last = tag.lastIndex;
    if (!m[2]) continue; // comment, declaration
    for (const a of m[3].matchAll(/"([^"]*)"|'([^']*)'/g)) checkText(a[1] ?? a[2]);
    if (m[1]) {
      const open = stack.pop();
      if (open !== m[2]) throw new Error(`</${m[2]}> closes <${open}>`);
    } else if (!m[4]) stack.push(m[2]);
  }
  checkText(xml.slice(last));
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
}

/**
 * The items Vega drew for marks whose group carries `className` (e.g. "mark-rect role-mark"):
 * one string per item, taken from every matching group.
 */
export function markItems(svg: string, className: string): string[] {
  const items: string[] = [];
  const open = new RegExp(`<g class="${className}[^"]*"[^>]*>`, 'g');
  while (open.exec(svg)) {
    const end = svg.indexOf('</g>', open.lastIndex);
    const body = svg.slice(open.lastIndex, end);
    for (const item of body.matchAll(/<(path|text|line)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/g)) items.push(item[0]);
  }
  return items;
}

/** Text content of `<text>` elements in an item list. */
export function texts(items: string[]): string[] {
  return items.map((i) => /<text[^>]*>([\s\S]*?)<\/text>/.exec(i)?.[1] ?? '').filter((t) => t !== '');
}

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel. */
  pixels: Uint8Array;
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what resvg writes). */
export function decodePng(buf: Uint8Array): DecodedPng {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  sig.forEach((b, i) => {
    if (buf[i] !== b) throw new Error('not a PNG signature');
  });
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Uint8Array[] = [];
  while (pos < buf.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...buf.subarray(pos + 4, pos + 8));
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit, non-interlaced PNGs');
      colorType = data[9];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!channels) throw new Error(`colour type ${colorType} not handled`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 0xff;
    }
  }
  if (channels === 4) return { width, height, pixels: out };
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(out.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, pixels: rgba };
}

/** Pixels within `tol` of an RGB colour. */
export function countColor(png: DecodedPng, hex: string, tol = 24): number {
  const r = parseInt(hex.slice(1, 3), 16);
  const g = parseInt(hex.slice(3, 5), 16);
  const b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = 0; i < png.pixels.length; i += 4) {
    const p = png.pixels;
    if (Math.abs(p[i] - r) <= tol && Math.abs(p[i + 1] - g) <= tol && Math.abs(p[i + 2] - b) <= tol) n++;
  }
  return n;
}

/** A chart spec rendered to SVG in Node, checked: no Vega warning, well-formed XML that resvg parses. */
export async function renderChecked(spec: Parameters<typeof renderSvg>[0]): Promise<string> {
  const { svg, warnings } = await renderSvg(spec);
  assert.deepEqual(warnings, [], 'Vega-Lite and Vega raise no warnings');
  assertWellFormed(svg);
  assert.doesNotThrow(() => new Resvg(svg), 'resvg parses the SVG');
  return svg;
}
