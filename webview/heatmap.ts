/**
 * heatmap.ts: attention matrices as images. Intensities (0..255, sqrt of the weight: see
 * src/shared/dashboard/attentionPooling.ts) are painted between the theme's heatLow and heatHigh.
 */
import { poolIntensities, pooledSize } from '../src/shared/dashboard/attentionPooling';
import type { Palette } from './theme';

/** The big matrix never needs more pixels than this; larger matrices are max-pooled down to it. */
const MATRIX_MAX_PIXELS = 512;

/** Paints size x size intensities (row-major) into the canvas, one pixel each (CSS scales it). Only
 *  data goes on the canvas (marks such as the query row are elements above it), so its pixels can be
 *  read back as the weights' picture. */
export function drawIntensities(canvas: HTMLCanvasElement, values: Uint8Array, size: number, palette: Palette): void {
  if (size <= 0) return;
  if (canvas.width !== size || canvas.height !== size) { canvas.width = size; canvas.height = size; }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(size, size);
  const px = img.data;
  const [lr, lg, lb] = palette.heatLow;
  const [hr, hg, hb] = palette.heatHigh;
  for (let i = 0; i < size * size; i++) {
    const a = values[i] / 255;
    const o = i * 4;
    px[o] = lr + (hr - lr) * a;
    px[o + 1] = lg + (hg - lg) * a;
    px[o + 2] = lb + (hb - lb) * a;
    px[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Draws a full T x T matrix (row-major), max-pooled to at most MATRIX_MAX_PIXELS a side. */
export function drawMatrix(canvas: HTMLCanvasElement, matrix: Float32Array, t: number, palette: Palette): void {
  const size = pooledSize(t, MATRIX_MAX_PIXELS);
  if (size <= 0) return;
  const values = new Uint8Array(size * size);
  poolIntensities(matrix, 0, t, size, values);
  drawIntensities(canvas, values, size, palette);
}
