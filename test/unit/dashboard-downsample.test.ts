import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finiteRange, minMaxPerColumn } from '../../webview/downsample';
import { niceTicks } from '../../webview/format';

function series(n: number): { xs: Float64Array; ys: Float64Array } {
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    xs[i] = i * 1024;
    ys[i] = 8 * Math.exp(-i / 20000) + (seed / 0x7fffffff) * 0.3;
  }
  return { xs, ys };
}

test('100,000 points reduce to one envelope per column that matches a brute-force min/max', () => {
  const n = 100_000, width = 137;
  const { xs, ys } = series(n);
  ys[54_321] = 50; // a spike must survive downsampling
  const env = minMaxPerColumn(xs, ys, n, xs[0], xs[n - 1], width);
  assert.equal(env.columns, width);
  const lo = new Array(width).fill(Infinity), hi = new Array(width).fill(-Infinity), first = new Array(width).fill(NaN), last = new Array(width).fill(NaN);
  for (let i = 0; i < n; i++) {
    const c = Math.min(width - 1, Math.floor(((xs[i] - xs[0]) / (xs[n - 1] - xs[0])) * width));
    lo[c] = Math.min(lo[c], ys[i]); hi[c] = Math.max(hi[c], ys[i]);
    if (Number.isNaN(first[c])) first[c] = ys[i];
    last[c] = ys[i];
  }
  for (let c = 0; c < width; c++) {
    const b = c * 5;
    assert.equal(env.data[b], c);
    assert.equal(env.data[b + 1], first[c]);
    assert.equal(env.data[b + 2], lo[c]);
    assert.equal(env.data[b + 3], hi[c]);
    assert.equal(env.data[b + 4], last[c]);
  }
  assert.ok([...Array(width).keys()].some((c) => env.data[c * 5 + 3] === 50), 'spike kept');
});

test('non-finite values and points outside the x range are skipped', () => {
  const xs = [0, 1, 2, 3, 4];
  const ys = [1, NaN, Infinity, 4, 5];
  const env = minMaxPerColumn(xs, ys, 5, 0, 3, 4);
  assert.deepEqual([...env.data.subarray(0, env.columns * 5)], [0, 1, 1, 1, 1, 3, 4, 4, 4, 4]);
  assert.deepEqual(finiteRange(ys, 5), [1, 5]);
  assert.ok(finiteRange([NaN], 1).every(Number.isNaN));
});

test('fewer points than columns give one column per point; empty input gives none', () => {
  assert.equal(minMaxPerColumn([0, 10, 20], [3, 2, 1], 3, 0, 20, 500).columns, 3);
  assert.equal(minMaxPerColumn([], [], 0, 0, 1, 500).columns, 0);
});

test('nice ticks cover the range with 1-2-5 steps', () => {
  assert.deepEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(2.13, 2.61, 5).map((v) => +v.toFixed(9)), [2.2, 2.3, 2.4, 2.5, 2.6]);
  assert.equal(niceTicks(0, 0, 5).length, 1);
});
