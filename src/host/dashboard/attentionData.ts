/**
 * attentionData.ts: what the inspector's webview gets out of the engine's AttentionResult. Pure.
 *
 * The engine answers with every head's full T x T matrix (16 MB of float32 for the small preset over
 * 512 tokens); the host keeps that answer and sends the webview only what it draws:
 *  - toAttentionView: the last query row of every head (the token colouring: L x H x T floats) and a
 *    max-pooled preview of every head (at most 64 x 64 intensities each) for the layer x head grid;
 *  - matrixFor: one head's full matrix, or a layer's mean over heads, when the webview asks for it.
 * Every typed array made here owns a buffer of exactly its size: VS Code posts a view's whole
 * underlying buffer, so a subarray of the 16 MB tensor would send all of it.
 */
import type { AttentionResult } from '../../shared/protocol';
import { PREVIEW_MAX_SIZE, poolIntensities, pooledSize } from '../../shared/dashboard/attentionPooling';
import type { AttentionMatrix, AttentionView } from '../../shared/dashboard/messages';

/** Throws unless the answer's sizes agree with each other (a bad answer is an error, not a garbage picture). */
export function checkAttentionResult(r: AttentionResult): void {
  const t = r.tokens.length;
  if (r.tokenOffsets.length !== t) throw new Error(`attention: ${t} tokens but ${r.tokenOffsets.length} offsets`);
  if (!(r.weights instanceof Float32Array)) throw new Error('attention: the weights are not a Float32Array');
  const expected = r.layers * r.heads * t * t;
  if (r.weights.length !== expected) {
    throw new Error(`attention: ${r.weights.length} weights do not match ${r.layers} layers x ${r.heads} heads x ${t}² tokens`);
  }
}

/** rows[(layer * heads + head) * T + key]: what the last token attends to, in every head. */
export function lastRows(r: AttentionResult): Float32Array {
  const t = r.tokens.length;
  const heads = r.layers * r.heads;
  const out = new Float32Array(heads * t);
  for (let k = 0; k < heads; k++) {
    const last = (k * t + t - 1) * t;
    out.set(r.weights.subarray(last, last + t), k * t);
  }
  return out;
}

/** Every head's max-pooled preview (size x size intensities, layer-major). */
export function previews(r: AttentionResult, maxSize = PREVIEW_MAX_SIZE): { size: number; data: Uint8Array } {
  const t = r.tokens.length;
  const size = pooledSize(t, maxSize);
  const heads = r.layers * r.heads;
  const data = new Uint8Array(heads * size * size);
  if (size > 0) for (let k = 0; k < heads; k++) poolIntensities(r.weights, k * t * t, t, size, data, k * size * size);
  return { size, data };
}

export function toAttentionView(r: AttentionResult, inspection: number, documentName: string, roundTripMs: number, clipped: boolean): AttentionView {
  checkAttentionResult(r);
  const t = r.tokens.length;
  const preview = previews(r);
  return {
    inspection,
    tokens: r.tokens,
    tokenOffsets: r.tokenOffsets,
    layers: r.layers,
    heads: r.heads,
    lastRows: lastRows(r),
    previewSize: preview.size,
    previews: preview.data,
    next: r.next.map((n) => ({ token: n.token, probability: Math.min(1, Math.max(0, n.probability)) })),
    ms: r.ms,
    roundTripMs,
    documentName,
    truncated: clipped || (t > 0 && r.tokenOffsets[0] > 0),
  };
}

/** The full T x T matrix of one head, or (average) the mean over the layer's heads. */
export function matrixFor(r: AttentionResult, inspection: number, layer: number, head: number, average: boolean): AttentionMatrix {
  if (!Number.isInteger(layer) || layer < 0 || layer >= r.layers) throw new RangeError(`layer ${layer} is not within 0..${r.layers - 1}`);
  if (!Number.isInteger(head) || head < 0 || head >= r.heads) throw new RangeError(`head ${head} is not within 0..${r.heads - 1}`);
  const t = r.tokens.length;
  const size = t * t;
  const headStart = (h: number) => (layer * r.heads + h) * size;
  let weights: Float32Array;
  if (average) {
    weights = new Float32Array(size);
    for (let h = 0; h < r.heads; h++) {
      const m = r.weights.subarray(headStart(h), headStart(h) + size);
      for (let i = 0; i < size; i++) weights[i] += m[i];
    }
    for (let i = 0; i < size; i++) weights[i] /= r.heads;
  } else {
    weights = r.weights.slice(headStart(head), headStart(head) + size);
  }
  return { inspection, layer, head, average, weights };
}
