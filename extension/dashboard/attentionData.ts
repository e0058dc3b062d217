/**
 * attentionData.ts: the engine's AttentionResult turned into what the inspector draws (weights
 * decoded from base64 into Float32Arrays, which VS Code passes to the webview as binary). Pure.
 */
import type { AttentionResult } from '../engine/protocol';
import type { AttentionView } from './messages';

/** Float32 weights from the engine's base64 (little-endian, as on every platform VS Code runs on). */
export function decodeWeights(b64: string, expected: number): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== expected * 4) throw new Error(`attention weights: expected ${expected * 4} bytes, got ${bytes.length}`);
  const out = new Float32Array(expected);
  new Uint8Array(out.buffer).set(bytes); // copy: the Buffer may sit at an unaligned pool offset
  return out;
}

export function toAttentionView(r: AttentionResult, documentName: string, roundTripMs: number, clipped: boolean): AttentionView {
  const t = r.tokens.length;
  if (r.tokenOffsets.length !== t) throw new Error(`attention: ${t} tokens but ${r.tokenOffsets.length} offsets`);
  if (r.weights.length !== r.layers || r.weights.some((l) => l.length !== r.heads)) throw new Error('attention: weights do not match layers x heads');
  return {
    tokens: r.tokens,
    tokenOffsets: r.tokenOffsets,
    layers: r.layers,
    heads: r.heads,
    weights: r.weights.flatMap((layer) => layer.map((head) => decodeWeights(head, t * t))),
    next: r.next.map((n) => ({ token: n.token, probability: Math.min(1, Math.max(0, n.probability)) })),
    ms: r.ms,
    roundTripMs,
    documentName,
    truncated: clipped || (t > 0 && r.tokenOffsets[0] > 0),
  };
}
