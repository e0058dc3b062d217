/**
 * attentionView.ts: turn the engine's attention maps into the inspector's AttentionResult: token
 * texts, their offsets in the original text (UTF-16 units, for revealing them in the editor), the
 * per-layer/head matrices (one Float32Array, sent as binary), and the top next-token candidates.
 */
import type { NativeTokenizer } from './addon';
import type { AttentionResult, ModelConfig } from '../shared/protocol';

/** UTF-16 offset of each UTF-8 byte offset of text (length: byteLength + 1). */
export function utf16OffsetsOfBytes(text: string): Uint32Array {
  const bytes = Buffer.byteLength(text, 'utf8');
  const map = new Uint32Array(bytes + 1);
  let b = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) map[b + k] = i;
    b += n;
    i += units;
  }
  map[bytes] = text.length;
  return map;
}

export function topCandidates(tok: NativeTokenizer, logits: Float32Array, k: number): { token: string; probability: number }[] {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a]).slice(0, k);
  return order.map((id) => ({
    token: tok.tokenBytes(id)?.toString('utf8') ?? `<special ${id}>`,
    probability: Math.exp(logits[id] - max) / sum,
  }));
}

/** tokens: the ids of the last T tokens of text (text encodes to `allTokens`, of which tokens is the tail). */
export function buildAttentionResult(
  tok: NativeTokenizer, config: ModelConfig, text: string, tokens: Int32Array,
  weights: Float32Array, nextLogits: Float32Array, ms: number,
): AttentionResult {
  const T = tokens.length;
  const pieces = Array.from(tokens, (id) => tok.tokenBytes(id) ?? Buffer.alloc(0));
  const keptBytes = pieces.reduce((n, p) => n + p.length, 0);
  const byteToUtf16 = utf16OffsetsOfBytes(text);
  let byte = Math.max(0, byteToUtf16.length - 1 - keptBytes);
  const tokenOffsets: number[] = [];
  for (const p of pieces) {
    tokenOffsets.push(byteToUtf16[Math.min(byte, byteToUtf16.length - 1)]);
    byte += p.length;
  }
  const expected = config.nLayers * config.nHeads * T * T;
  if (weights.length !== expected) throw new Error(`attention: the engine returned ${weights.length} weights, expected ${expected}`);
  return {
    tokens: pieces.map((p) => p.toString('utf8')),
    tokenOffsets,
    layers: config.nLayers,
    heads: config.nHeads,
    weights,
    next: topCandidates(tok, nextLogits, 10),
    ms,
  };
}
