/**
 * downsample.ts: reduces a series to what one canvas can show, keeping its shape.
 *
 * For each pixel column we keep the first, lowest, highest and last value of the points that fall in
 * it, so spikes survive (an average would hide a loss spike) and the polyline has at most 4 vertices
 * per column: 100,000 points become ~2,400 line segments on a 600 px chart, in one linear pass.
 */
export interface ColumnEnvelope {
  /** Number of columns that hold at least one point. */
  columns: number;
  /** Per used column: pixel x and the four y values, packed as [x, first, min, max, last] * columns. */
  data: Float64Array;
}

/**
 * xs must be non-decreasing (tokens seen only grow within a run). Points outside [x0, x1] and
 * non-finite values are skipped; a skipped value does not break the line (the chart draws what it has).
 */
export function minMaxPerColumn(xs: ArrayLike<number>, ys: ArrayLike<number>, count: number, x0: number, x1: number, width: number): ColumnEnvelope {
  const w = Math.max(1, Math.floor(width));
  const data = new Float64Array(w * 5);
  const span = x1 - x0;
  let used = 0;
  let current = -1;
  let base = 0;
  for (let i = 0; i < count; i++) {
    const x = xs[i];
    const y = ys[i];
    if (!Number.isFinite(y) || x < x0 || x > x1) continue;
    let col = span > 0 ? Math.floor(((x - x0) / span) * w) : 0;
    if (col >= w) col = w - 1;
    if (col !== current) {
      // x going backwards (it should not) opens a fresh slot; past the last slot such points are dropped.
      if (used === w) continue;
      base = used * 5;
      used++;
      current = col;
      data[base] = col;
      data[base + 1] = y;
      data[base + 2] = y;
      data[base + 3] = y;
      data[base + 4] = y;
    } else {
      if (y < data[base + 2]) data[base + 2] = y;
      if (y > data[base + 3]) data[base + 3] = y;
      data[base + 4] = y;
    }
  }
  return { columns: used, data };
}

/** Smallest and largest finite value among the first `count` entries ([NaN, NaN] when none). */
export function finiteRange(ys: ArrayLike<number>, count: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < count; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) continue;
    if (y < lo) lo = y;
    if (y > hi) hi = y;
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}
