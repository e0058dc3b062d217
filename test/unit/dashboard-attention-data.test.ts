import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAttentionResult, lastRows, matrixFor, previews, toAttentionView } from '../../src/host/dashboard/attentionData';
import { intensity, poolIntensities } from '../../src/shared/dashboard/attentionPooling';
import { validateHostMessage } from '../../src/shared/dashboard/messages';
import type { AttentionResult } from '../../src/shared/protocol';

/** A causal T x T matrix per head: row q spreads its weight over keys 0..q, with a peak that depends on the head. */
function causalWeights(layers: number, heads: number, t: number): Float32Array {
  const w = new Float32Array(layers * heads * t * t);
  for (let k = 0; k < layers * heads; k++) {
    for (let q = 0; q < t; q++) {
      const peak = (q * (k + 1)) % (q + 1);
      for (let j = 0; j <= q; j++) w[(k * t + q) * t + j] = j === peak ? 0.5 + 0.5 / (q + 1) : 0.5 / (q + 1);
    }
  }
  return w;
}

function result(layers: number, heads: number, t: number, overrides: Partial<AttentionResult> = {}): AttentionResult {
  return {
    tokens: Array.from({ length: t }, (_, i) => `t${i}`), tokenOffsets: Array.from({ length: t }, (_, i) => 2 * i),
    layers, heads, weights: causalWeights(layers, heads, t), next: [{ token: 'c', probability: 0.9 }], ms: 3, ...overrides,
  };
}

const ownsItsBuffer = (a: ArrayBufferView) => a.byteOffset === 0 && a.buffer.byteLength === a.byteLength;

test('the view carries the last query row of every head, layer-major', () => {
  const r = result(2, 3, 5);
  const v = toAttentionView(r, 7, 'a.js', 10, false);
  assert.equal(v.inspection, 7);
  assert.equal(v.lastRows.length, 2 * 3 * 5);
  for (let k = 0; k < 6; k++) {
    const last = (k * 5 + 4) * 5;
    assert.deepEqual([...v.lastRows.subarray(k * 5, k * 5 + 5)], [...r.weights.subarray(last, last + 5)], `head ${k}`);
  }
  assert.equal(v.truncated, false);
  assert.ok(ownsItsBuffer(v.lastRows) && ownsItsBuffer(v.previews), 'a view of the big tensor would post all of it');
});

test('small matrices preview cell for cell; large ones are max-pooled to 64 x 64 and stay causal', () => {
  const small = previews(result(1, 2, 5));
  assert.equal(small.size, 5);
  const r = result(1, 2, 5);
  assert.deepEqual([...small.data], Array.from(r.weights, intensity));

  const t = 130;
  const big = result(2, 2, t);
  const p = previews(big);
  assert.equal(p.size, 64);
  assert.equal(p.data.length, 4 * 64 * 64);
  for (let k = 0; k < 4; k++) {
    for (let y = 0; y < 64; y++) {
      for (let x = y + 1; x < 64; x++) assert.equal(p.data[k * 4096 + y * 64 + x], 0, `head ${k}: lit cell (${y}, ${x}) above the diagonal`);
      assert.ok(p.data[k * 4096 + y * 64 + y] > 0, `head ${k}: the diagonal block of row ${y} is dark`);
    }
  }
});

test('pooling keeps a lone peak and covers every row and column', () => {
  const t = 200;
  const m = new Float32Array(t * t);
  m[199 * t + 3] = 0.81; // one strong weight in the last row
  const out = new Uint8Array(64 * 64);
  poolIntensities(m, 0, t, 64, out);
  assert.equal(out[63 * 64 + 1], intensity(0.81)); // blocks of columns start at 0, 3, 6...: column 3 is in block 1
  assert.equal(out.reduce((n, x) => n + (x > 0 ? 1 : 0), 0), 1);
  poolIntensities(new Float32Array(t * t).fill(1), 0, t, 64, out);
  assert.ok(out.every((x) => x === 255));
  assert.throws(() => poolIntensities(m, 0, t, 201, out), /within 1\.\.200/);
});

test('a head matrix and the mean over a layer, from the kept answer', () => {
  const r = result(2, 3, 4);
  const one = matrixFor(r, 1, 1, 2, false);
  const start = (1 * 3 + 2) * 16;
  assert.deepEqual([...one.weights], [...r.weights.subarray(start, start + 16)]);
  assert.ok(ownsItsBuffer(one.weights));
  const mean = matrixFor(r, 1, 0, 2, true);
  for (let i = 0; i < 16; i++) {
    const expected = (r.weights[i] + r.weights[16 + i] + r.weights[32 + i]) / 3;
    assert.ok(Math.abs(mean.weights[i] - expected) < 1e-6, `cell ${i}: ${mean.weights[i]} vs ${expected}`);
  }
  for (let q = 0; q < 4; q++) {
    const row = mean.weights.subarray(q * 4, q * 4 + 4);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `mean row ${q} sums to 1`);
  }
  assert.deepEqual({ ...mean, weights: undefined }, { inspection: 1, layer: 0, head: 2, average: true, weights: undefined });
  assert.throws(() => matrixFor(r, 1, 2, 0, false), /layer 2 is not within 0\.\.1/);
  assert.throws(() => matrixFor(r, 1, 0, 3, true), /head 3 is not within 0\.\.2/);
});

test('what the host builds passes the webview schema', () => {
  const r = result(2, 2, 70);
  const view = toAttentionView(r, 3, 'a.js', 12, false);
  assert.deepEqual(validateHostMessage({ type: 'attention', view }), { ok: true, message: { type: 'attention', view } });
  const matrix = matrixFor(r, 3, 1, 0, false);
  assert.equal(validateHostMessage({ type: 'attentionMatrix', matrix }).ok, true);
});

test('sizes that do not match are errors, not garbage pictures', () => {
  assert.throws(() => checkAttentionResult(result(1, 2, 2, { tokenOffsets: [0] })), /offsets/);
  assert.throws(() => checkAttentionResult(result(1, 2, 2, { heads: 3 })), /do not match 1 layers x 3 heads/);
  assert.throws(() => checkAttentionResult(result(1, 1, 2, { weights: [1, 0, 0.5, 0.5] as never })), /not a Float32Array/);
  assert.throws(() => toAttentionView(result(1, 1, 2, { weights: new Float32Array(3) }), 1, 'a', 0, false), /3 weights/);
});

test('text that did not start at offset 0 is marked truncated; probabilities are clamped', () => {
  const v = toAttentionView(result(1, 1, 2, { tokenOffsets: [4, 5], next: [{ token: 'x', probability: 1.0000001 }] }), 1, 'a', 0, false);
  assert.equal(v.truncated, true);
  assert.equal(v.next[0].probability, 1);
});

test('lastRows of one token is its single weight per head', () => {
  assert.deepEqual([...lastRows(result(1, 2, 1))], [1, 1]);
});
