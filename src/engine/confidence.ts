/**
 * confidence.ts: the estimate that a suggestion's first line is what the person writes, from what the
 * repository mixture says of it (lineConfidence.ts): a logistic model of the line's mean and least
 * token log-probability and its length, per cursor kind. The raw probability of a whole line is no
 * estimate by itself: a right line of twelve tokens can have p = 0.001. The coefficients were fitted
 * by scripts/fit-confidence.mjs on `seedling eval --details` of code bases outside the evaluation
 * targets (docs/quality.md), so thresholds on it are probabilities.
 */
import type { CursorKind } from '../shared/completion/cursorKind';
import type { LineScore } from './infgram/lineConfidence';

/** [bias, mean log-prob per token, least log-prob, log(1 + tokens)] per kind. */
export const CALIBRATION: Record<CursorKind, readonly [number, number, number, number]> = {
  // node scripts/fit-confidence.mjs on asyncio and rxjs (150 cursors of each kind each, seed 2):
  // log loss 0.554 (a constant: 0.664), 0.511 (0.614), 0.396 (0.484).
  'end-of-line': [6.4053, 1.5119, -0.2308, -2.7706],
  'mid-line': [2.3414, 0.3972, -0.2377, -1.9007],
  'new-line': [4.9457, 3.4198, -0.3419, -2.2262],
};

export function confidenceFeatures(score: LineScore): [number, number, number, number] {
  const tokens = Math.max(1, score.tokens);
  return [1, score.logP / tokens, score.minLogP, Math.log(1 + tokens)];
}

export function keptProbability(kind: CursorKind, score: LineScore): number {
  const w = CALIBRATION[kind];
  const x = confidenceFeatures(score);
  let z = 0;
  for (let i = 0; i < x.length; i++) z += w[i] * x[i];
  return 1 / (1 + Math.exp(-z));
}
