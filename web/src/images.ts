/** Drawing rows of image data (28 x 28 Fashion-MNIST, or any square grayscale) on canvases. */
import { h } from './dom.js';

export interface ImageShape {
  width: number;
  height: number;
  /** Value drawn black and value drawn white. */
  low: number;
  high: number;
}

/** The image shape of rows of `cols` features, when they look like square grayscale images. */
export function guessImageShape(cols: number, features: Float32Array, declared?: [number, number]): ImageShape | null {
  let width: number, height: number;
  if (declared) [height, width] = declared;
  else {
    const side = Math.round(Math.sqrt(cols));
    if (side * side !== cols || side < 8) return null;
    width = height = side;
  }
  let low = Infinity, high = -Infinity;
  const n = Math.min(features.length, cols * 200);
  for (let i = 0; i < n; i++) {
    const v = features[i];
    if (!Number.isFinite(v)) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (!(high > low)) return null;
  return { width, height, low, high };
}

/** A canvas showing row `row` of `features`, drawn at `scale` pixels per image pixel. */
export function rowCanvas(features: Float32Array, row: number, shape: ImageShape, scale = 2): HTMLCanvasElement {
  const { width, height, low, high } = shape;
  const canvas = h('canvas', { width, height, class: 'thumb', style: `width:${width * scale}px;height:${height * scale}px` });
  const ctx = canvas.getContext('2d');
  if (!ctx) return canvas;
  const img = ctx.createImageData(width, height);
  const base = row * width * height;
  const span = high - low;
  for (let i = 0; i < width * height; i++) {
    // Fashion-MNIST stores ink as high values: draw it dark on a light ground.
    const v = Math.max(0, Math.min(1, (features[base + i] - low) / span));
    const g = Math.round(255 * (1 - v));
    img.data[4 * i] = g;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = g;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}
