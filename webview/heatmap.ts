/**
 * heatmap.ts: attention matrices as images. Intensities (0..255, sqrt of the weight: see
 * extension/dashboard/attentionPooling.ts) are painted between the theme's heatLow and heatHigh.
 */
import { poolIntensities, pooledSize } from '../extension/dashboard/attentionPooling';
import type { Palette } from './theme';

/** The big matrix never needs more pixels than this; larger matrices are max-pooled down to it. */
const MATRIX_MAX_PIXELS = 512;

/** Paints size x size intensities (row-major) into the canvas, one pixel each (CSS scales it). The
 *  highlighted row is a row of the t x t matrix the image stands for. */
export function drawIntensities(canvas: HTMLCanvasElement, values: Uint8Array, size: number, palette: Palette,
  highlight?: { row: number; t: number }): void {
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
  if (highlight && highlight.row >= 0 && highlight.row < highlight.t) {
    const y = (highlight.row / highlight.t) * size;
    ctx.strokeStyle = `rgb(${palette.heatHigh.join(',')})`;
    ctx.lineWidth = Math.max(1, size / 256);
    ctx.strokeRect(0, y, size, Math.max(1, size / highlight.t));
  }
}

/** Draws a full T x T matrix (row-major), max-pooled to at most MATRIX_MAX_PIXELS a side. */
export function drawMatrix(canvas: HTMLCanvasElement, matrix: Float32Array, t: number, palette: Palette, highlightRow = -1): void {
  const size = pooledSize(t, MATRIX_MAX_PIXELS);
  if (size <= 0) return;
  const values = new Uint8Array(size * size);
  poolIntensities(matrix, 0, t, size, values);
  drawIntensities(canvas, values, size, palette, { row: highlightRow, t });
}
