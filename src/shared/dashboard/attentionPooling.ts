/**
 * attentionPooling.ts: attention matrices reduced to small images. The host uses it for the layer x
 * head previews it sends the inspector, the webview for the chosen matrix on its canvas, so a head
 * looks the same in both. Pure: no Node or DOM APIs (the webview bundle imports it).
 *
 * Each output cell takes the maximum of its block, so one sharp peak (a token attended to strongly)
 * survives the reduction. Intensities follow sqrt(weight), scaled to 0..255: a causal row sums to 1
 * and most weights are tiny, so on this scale a 0.01 weight still shows next to a 0.9.
 */

/** The side of each head's preview in the inspector's layer x head grid (at most). */
export const PREVIEW_MAX_SIZE = 64;

/** The side of the image a T x T matrix reduces to: T itself, up to maxSize. */
export function pooledSize(t: number, maxSize: number): number {
  return Math.max(0, Math.min(t, maxSize));
}

/** A weight's intensity, 0..255 on the sqrt scale (clamped: weights are probabilities). */
export function intensity(weight: number): number {
  return Math.round(255 * Math.sqrt(Math.min(1, Math.max(0, weight))));
}

/**
 * Max-pools the T x T row-major matrix starting at matrix[offset] into size x size intensities
 * written from out[outOffset]. Block edges fall at floor(i * T / size), so with size <= T every block
 * holds at least one cell, and a block right of the diagonal holds only cells right of it: what a
 * causal model never attends to stays dark in the preview too.
 */
export function poolIntensities(matrix: Float32Array, offset: number, t: number, size: number, out: Uint8Array, outOffset = 0): void {
  if (size < 1 || size > t) throw new RangeError(`pooled size ${size} must be within 1..${t}`);
  const edge = new Int32Array(size + 1);
  for (let i = 0; i <= size; i++) edge[i] = Math.floor((i * t) / size);
  const blockMax = new Float32Array(size);
  for (let oy = 0; oy < size; oy++) {
    blockMax.fill(0);
    for (let r = edge[oy]; r < edge[oy + 1]; r++) {
      const row = offset + r * t;
      for (let ox = 0; ox < size; ox++) {
        let w = blockMax[ox];
        for (let c = edge[ox]; c < edge[ox + 1]; c++) if (matrix[row + c] > w) w = matrix[row + c];
        blockMax[ox] = w;
      }
    }
    const o = outOffset + oy * size;
    for (let ox = 0; ox < size; ox++) out[o + ox] = intensity(blockMax[ox]);
  }
}
