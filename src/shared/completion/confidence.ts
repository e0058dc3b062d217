/**
 * confidence.ts: the estimate that a suggestion's first line is what the person writes, from what the
 * engine measured of it (LineScore in protocol.ts): a logistic model per cursor kind. The raw
 * probability of a whole line is no estimate by itself: a right line of twelve tokens can have
 * p = 0.001. What tells a kept line from a wrong one is how sure the mixture and the GPT alone are,
 * token by token, and whether the repository's match before the line was long and went on one way.
 *
 * The coefficients were fitted by scripts/fit-confidence.mjs on `seedling eval --details` of code
 * bases outside the evaluation targets (docs/quality.md), so thresholds on it are probabilities. The
 * features are defined here once: the eval writes them into its details for the fit.
 */
import type { LineScore } from '../protocol';
import type { CursorKind } from './cursorKind';

export const CONFIDENCE_FEATURES = [
  'bias', 'mixture mean log-prob', 'mixture least log-prob', 'log(1 + tokens)',
  'model mean log-prob', 'model least log-prob', 'log(1 + repository match at line start)', 'repository share of the first token',
] as const;

type Coefficients = readonly number[] & { length: typeof CONFIDENCE_FEATURES.length };

export const CALIBRATION: Record<CursorKind, Coefficients> = {
  // node scripts/fit-confidence.mjs on asyncio and rxjs (150 cursors of each kind each, seed 2):
  // log loss 0.535 (a constant: 0.673), 0.447 (0.643), 0.394 (0.506) per kind in this order.
  'end-of-line': [3.7361, 0.5871, -0.1015, -2.1612, 0.4037, -0.0829, 0.4956, 0.5521] as Coefficients,
  'mid-line': [-0.8596, -0.2024, -0.1695, -1.5564, 0.2737, -0.0169, 0.8909, 1.2038] as Coefficients,
  'new-line': [-0.1074, 1.25, -0.1214, -1.3295, -0.1273, 0.0466, 0.9369, 0.4194] as Coefficients,
};

export function confidenceFeatures(score: LineScore): number[] {
  const tokens = Math.max(1, score.tokens);
  return [
    1, score.logP / tokens, score.minLogP, Math.log(1 + tokens),
    score.modelLogP / tokens, score.modelMinLogP, Math.log(1 + score.startMatch), score.startShare,
  ];
}

export function keptProbability(kind: CursorKind, score: LineScore): number {
  const w = CALIBRATION[kind];
  const x = confidenceFeatures(score);
  let z = 0;
  for (let i = 0; i < x.length; i++) z += w[i] * x[i];
  return 1 / (1 + Math.exp(-z));
}
