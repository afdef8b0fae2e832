/**
 * The first hidden layer's weights drawn as images, one tile per unit, when the inputs are
 * image pixels: what each unit learned to look for. Data first (`FirstLayerWeights`), drawn as
 * a PNG (fflate's zlib for the compressed stream; the PNG container is a few chunks).
 * Browser-safe.
 */
import { zlibSync } from 'fflate';

/** The weights of the first units of the first layer, each as a height x width image. */
export interface FirstLayerWeights {
  width: number;
  height: number;
  /** How many units are drawn (at most 32), and how many the layer has. */
  units: number;
  totalUnits: number;
  /** Unit-major: unit u's pixel p is weights[u * width * height + p]. */
  weights: number[];
}

/** At most this many units are drawn. */
export const MAX_WEIGHT_TILES = 32;

/**
 * The first layer's weights as images, when `inputs` pixels form a square image (8 x 8 or more)
 * and no PCA came before the network; otherwise null. `w` is the layer's inputs x units weight.
 */
export function firstLayerWeights(w: Float32Array, inputs: number, units: number, withPca: boolean): FirstLayerWeights | null {
  const side = Math.round(Math.sqrt(inputs));
  if (withPca || side * side !== inputs || side < 8 || w.length !== inputs * units) return null;
  const shown = Math.min(units, MAX_WEIGHT_TILES);
  const weights = new Array<number>(shown * inputs);
  for (let u = 0; u < shown; u++) {
    // Four significant digits are plenty for a picture and keep the report small.
    for (let p = 0; p < inputs; p++) weights[u * inputs + p] = Number(w[p * units + u].toPrecision(4));
  }
  return { width: side, height: side, units: shown, totalUnits: units, weights };
}

/**
 * A PNG of the tiles in a grid (8 per row), each scaled by `zoom`, coloured on a diverging
 * scale per unit: blue for negative, white for zero, red for positive weights.
 */
export function weightsPng(f: FirstLayerWeights, zoom = 3): Uint8Array {
  const perRow = Math.min(8, f.units);
  const rowsOfTiles = Math.ceil(f.units / perRow);
  const gap = 2;
  const tw = f.width * zoom, th = f.height * zoom;
  const W = perRow * tw + (perRow - 1) * gap, H = rowsOfTiles * th + (rowsOfTiles - 1) * gap;
  const raw = new Uint8Array(H * (1 + 3 * W)).fill(255);
  for (let y = 0; y < H; y++) raw[y * (1 + 3 * W)] = 0; // filter byte: none
  const n = f.width * f.height;
  for (let u = 0; u < f.units; u++) {
    let scale = 0;
    for (let p = 0; p < n; p++) scale = Math.max(scale, Math.abs(f.weights[u * n + p]));
    const x0 = (u % perRow) * (tw + gap), y0 = Math.floor(u / perRow) * (th + gap);
    for (let p = 0; p < n; p++) {
      const v = scale > 0 ? f.weights[u * n + p] / scale : 0;
      const [r, g, b] = v >= 0 ? [255, 255 - 200 * v, 255 - 220 * v] : [255 + 215 * v, 255 + 150 * v, 255];
      const px = x0 + (p % f.width) * zoom, py = y0 + Math.floor(p / f.width) * zoom;
      for (let dy = 0; dy < zoom; dy++) {
        const row = (py + dy) * (1 + 3 * W) + 1;
        for (let dx = 0; dx < zoom; dx++) {
          const o = row + 3 * (px + dx);
          raw[o] = Math.round(r);
          raw[o + 1] = Math.round(g);
          raw[o + 2] = Math.round(b);
        }
      }
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, W);
  view.setUint32(4, H);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  return concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', zlibSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0))]);
}

/** A PNG as a data: URL, for an `<img>` in a self-contained page. */
export function pngDataUrl(png: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < png.length; i += 0x8000) binary += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(binary)}`;
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
