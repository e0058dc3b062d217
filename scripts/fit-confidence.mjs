#!/usr/bin/env node
// fit-confidence.mjs DETAILS.jsonl...: fits the confidence calibration (src/engine/confidence.ts) from
// `seedling eval --min-confidence 0 --details FILE` runs on code bases that are NOT evaluation targets.
// For every cursor and every seedling system that reported a lineScore, one example: the features of
// its first line (as confidence.ts computes them; the eval writes them into its details) and whether
// that line was exactly the target's first line. Logistic regression per cursor kind (Newton's method,
// a little L2), printed as the CALIBRATION table with its log loss beside a constant.
//
// With two or more files (code bases), it also chooses the default threshold the way it transfers:
// fitted on all code bases but one and scored on the one left out, the lowest threshold at which every
// kind on every left-out code base keeps at least TARGET_PRECISION exact among the lines shown.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/fit-confidence.mjs DETAILS.jsonl...');
  process.exit(2);
}
const firstLine = (t) => (t.split('\n')[0] ?? '').trimEnd();
const TARGET_PRECISION = 0.55;  // 0.5 is the product's aim; the margin is for code bases unlike these
const THRESHOLDS = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7];

/** Per file, per kind: the examples, and how many cursors of that kind there were (shown or not). */
const perFile = files.map((file) => {
  const byKind = {};
  const cursors = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line);
    cursors[row.kind] = (cursors[row.kind] ?? 0) + 1;
    for (const [name, a] of Object.entries(row.answers)) {
      if (!name.startsWith('seedling') || !(a.candidate ?? '').trim()) continue;
      if (!a.features) throw new Error(`${file}: an answer has no features (details from an older seedling eval?)`);
      (byKind[row.kind] ??= []).push({ x: a.features, y: firstLine(a.candidate) === firstLine(row.target) ? 1 : 0 });
    }
  }
  return { file, byKind, cursors };
});
const byKind = {};
for (const f of perFile) for (const [kind, examples] of Object.entries(f.byKind)) (byKind[kind] ??= []).push(...examples);

const sigmoid = (z) => 1 / (1 + Math.exp(-z));
function fit(examples, l2 = 1e-2) {
  const d = examples[0].x.length;
  let w = new Array(d).fill(0);
  for (let it = 0; it < 50; it++) {
    const g = new Array(d).fill(0);
    const h = Array.from({ length: d }, () => new Array(d).fill(0));
    for (const { x, y } of examples) {
      const p = sigmoid(x.reduce((a, xi, i) => a + xi * w[i], 0));
      for (let i = 0; i < d; i++) {
        g[i] += (p - y) * x[i];
        for (let j = 0; j < d; j++) h[i][j] += p * (1 - p) * x[i] * x[j];
      }
    }
    for (let i = 1; i < d; i++) { g[i] += l2 * w[i]; h[i][i] += l2; }
    w = w.map((wi, i) => wi - solve(h, g)[i]);
  }
  return w;
}
function solve(a, b) { // Gaussian elimination with partial pivoting
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c || m[c][c] === 0) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => (row[i] === 0 ? 0 : row[n] / row[i]));
}
const logLoss = (examples, predict) => examples.reduce((a, { x, y }) => {
  const p = Math.min(1 - 1e-9, Math.max(1e-9, predict(x)));
  return a - (y ? Math.log(p) : Math.log(1 - p));
}, 0) / examples.length;

const table = {};
for (const [kind, examples] of Object.entries(byKind)) {
  const w = fit(examples);
  const rate = examples.reduce((a, e) => a + e.y, 0) / examples.length;
  table[kind] = w.map((v) => Number(v.toFixed(4)));
  console.error(`${kind}: ${examples.length} lines, ${(rate * 100).toFixed(1)}% exact; log loss ${logLoss(examples, (x) => sigmoid(x.reduce((a, xi, i) => a + xi * w[i], 0))).toFixed(4)} (constant: ${logLoss(examples, () => rate).toFixed(4)})`);
}
console.log(JSON.stringify(table));

if (perFile.length >= 2) {
  const predict = (w, x) => sigmoid(x.reduce((a, xi, i) => a + xi * w[i], 0));
  let chosen;
  for (const threshold of THRESHOLDS) {
    const cells = [];
    for (const left of perFile) {
      for (const kind of Object.keys(byKind)) {
        const trainOn = perFile.filter((f) => f !== left).flatMap((f) => f.byKind[kind] ?? []);
        const w = fit(trainOn);
        const shown = (left.byKind[kind] ?? []).filter((e) => predict(w, e.x) >= threshold);
        const exact = shown.reduce((a, e) => a + e.y, 0);
        cells.push({ name: `${left.file.replace(/^.*\//, '')} ${kind}`, share: shown.length / (left.cursors[kind] ?? 1), precision: shown.length ? exact / shown.length : NaN });
      }
    }
    const worst = Math.min(...cells.map((c) => (Number.isNaN(c.precision) ? 1 : c.precision)));
    console.error(`threshold ${threshold}: ${cells.map((c) => `${c.name} ${c.share.toFixed(2)} shown, ${Number.isNaN(c.precision) ? '-' : c.precision.toFixed(2)} exact`).join('; ')}`);
    if (chosen === undefined && worst >= TARGET_PRECISION) chosen = threshold;
  }
  console.error(chosen === undefined
    ? `no threshold keeps ${TARGET_PRECISION} exact among shown on every left-out code base`
    : `default threshold: ${chosen} (the lowest keeping ${TARGET_PRECISION} exact among shown on every left-out code base and kind)`);
}
