/**
 * heatmap.ts: attention matrices as images. Weights in a causal row sum to 1 and most are tiny, so
 * the colour follows sqrt(weight): a 0.01 weight is still visible next to a 0.9 one.
 */
import type { Palette } from './theme';

/** Writes a T x T matrix (row-major) into a T x T canvas, scaled to the element's CSS size. */
export function drawMatrix(canvas: HTMLCanvasElement, matrix: Float32Array, t: number, palette: Palette, highlightRow = -1): void {
  if (t <= 0) return;
  // Large matrices are reduced by taking each output pixel's maximum, so a sharp peak survives.
  const size = Math.min(t, 512);
  if (canvas.width !== size || canvas.height !== size) { canvas.width = size; canvas.height = size; }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(size, size);
  const px = img.data;
  const [lr, lg, lb] = palette.heatLow;
  const [hr, hg, hb] = palette.heatHigh;
  const scale = t / size;
  for (let oy = 0; oy < size; oy++) {
    const rowStart = Math.floor(oy * scale);
    const rowEnd = Math.max(rowStart + 1, Math.floor((oy + 1) * scale));
    for (let ox = 0; ox < size; ox++) {
      const colStart = Math.floor(ox * scale);
      const colEnd = Math.max(colStart + 1, Math.floor((ox + 1) * scale));
      let w = 0;
      for (let r = rowStart; r < rowEnd; r++) for (let c = colStart; c < colEnd; c++) { const v = matrix[r * t + c]; if (v > w) w = v; }
      const a = Math.sqrt(Math.min(1, Math.max(0, w)));
      const o = (oy * size + ox) * 4;
      px[o] = lr + (hr - lr) * a;
      px[o + 1] = lg + (hg - lg) * a;
      px[o + 2] = lb + (hb - lb) * a;
      px[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  if (highlightRow >= 0 && highlightRow < t) {
    const y = (highlightRow / t) * size;
    ctx.strokeStyle = `rgb(${palette.heatHigh.join(',')})`;
    ctx.lineWidth = Math.max(1, size / 256);
    ctx.strokeRect(0, y, size, Math.max(1, size / t));
  }
}

/** Mean over heads of one layer's matrices (the "average over heads" view). */
export function averageHeads(weights: Float32Array[], layer: number, heads: number, t: number): Float32Array {
  const out = new Float32Array(t * t);
  for (let h = 0; h < heads; h++) {
    const m = weights[layer * heads + h];
    for (let i = 0; i < out.length; i++) out[i] += m[i];
  }
  for (let i = 0; i < out.length; i++) out[i] /= heads;
  return out;
}
