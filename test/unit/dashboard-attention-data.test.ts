import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWeights, toAttentionView } from '../../extension/dashboard/attentionData';
import type { AttentionResult } from '../../extension/engine/protocol';

const b64 = (xs: number[]) => Buffer.from(new Float32Array(xs).buffer).toString('base64');

function result(overrides: Partial<AttentionResult> = {}): AttentionResult {
  return {
    tokens: ['a', 'b'], tokenOffsets: [0, 1], layers: 1, heads: 2,
    weights: [[b64([1, 0, 0.25, 0.75]), b64([1, 0, 0.5, 0.5])]],
    next: [{ token: 'c', probability: 0.9 }], ms: 3, ...overrides,
  };
}

test('weights decode from base64 float32, laid out layer-major', () => {
  const v = toAttentionView(result(), 'a.js', 10, false);
  assert.equal(v.weights.length, 2);
  assert.deepEqual([...v.weights[0]], [1, 0, 0.25, 0.75]);
  assert.deepEqual([...v.weights[1]], [1, 0, 0.5, 0.5]);
  assert.equal(v.truncated, false);
});

test('unaligned Buffer pool offsets still decode', () => {
  const s = b64([0.125, 2, -3]);
  Buffer.from('x'); // shifts the shared pool
  assert.deepEqual([...decodeWeights(s, 3)], [0.125, 2, -3]);
});

test('sizes that do not match are errors, not garbage pictures', () => {
  assert.throws(() => decodeWeights(b64([1, 2, 3]), 4), /expected 16 bytes, got 12/);
  assert.throws(() => toAttentionView(result({ tokenOffsets: [0] }), 'a', 0, false), /offsets/);
  assert.throws(() => toAttentionView(result({ heads: 3 }), 'a', 0, false), /layers x heads/);
});

test('text that did not start at offset 0 is marked truncated; probabilities are clamped', () => {
  const v = toAttentionView(result({ tokenOffsets: [4, 5], next: [{ token: 'x', probability: 1.0000001 }] }), 'a', 0, false);
  assert.equal(v.truncated, true);
  assert.equal(v.next[0].probability, 1);
});
