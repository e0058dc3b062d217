#!/usr/bin/env node
// fit-confidence.mjs DETAILS.jsonl...: fits the confidence calibration (src/engine/confidence.ts) from
// `seedling eval --min-confidence 0 --details FILE` runs on code bases that are NOT evaluation targets.
// For every cursor and every seedling system that reported a lineScore, one example: the features of
// its first line (mean and least token log-probability under the repository mixture, log(1 + tokens))
// and whether that line was exactly the target's first line. Logistic regression per cursor kind
// (Newton's method, a little L2), printed as the CALIBRATION table with its log loss beside a constant.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/fit-confidence.mjs DETAILS.jsonl...');
  process.exit(2);
}
const firstLine = (t) => (t.split('\n')[0] ?? '').trimEnd();
const byKind = {};
for (const file of files) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line);
    for (const [name, a] of Object.entries(row.answers)) {
      if (!name.startsWith('seedling') || !a.lineScore || !(a.candidate ?? '').trim()) continue;
      const s = a.lineScore;
      const tokens = Math.max(1, s.tokens);
      (byKind[row.kind] ??= []).push({ x: [1, s.logP / tokens, s.minLogP, Math.log(1 + tokens)], y: firstLine(a.candidate) === firstLine(row.target) ? 1 : 0 });
    }
  }
}

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
