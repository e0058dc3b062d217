/**
 * fitMixture.ts: fits the mixture weights (mixtureWeights.ts) after training, on the run's validation
 * files, which the model never trained on. For every validation token we know what the model gave it
 * (one scoring pass) and what the repository's ∞-gram gave it (the training files' suffix array, and
 * the validation file's own text before it, as the open document would be); per match-length bucket,
 * expectation-maximisation finds the λ that makes the mixture likeliest:
 *
 *     r_i = λ q_i / (λ q_i + (1 - λ) g_i),   λ ← mean r_i
 *
 * Sparse buckets lean on the defaults (PRIOR_WEIGHT pseudo-positions), so a small workspace cannot
 * swing them to 0 or 1.
 */
import type { NativeSession, NativeTokenizer } from '../addon';
import { repositoryNext } from './mixedDecode';
import { BUCKET_ENDS, DEFAULT_WEIGHTS, MixtureWeights, bucketOf } from './mixtureWeights';
import { MAX_DEPTH, TokenSuffixArray } from './tokenSuffixArray';
import type { SuffixSorter } from './workspaceTokens';

/** Validation tokens scored at most (a few seconds of the engine on two threads). */
const MAX_POSITIONS = 6000;
const EM_ITERATIONS = 40;
const PRIOR_WEIGHT = 20;
const MAX_LAMBDA = 0.99;

export interface MixtureFit {
  weights: MixtureWeights;
  /** Validation tokens that fell in each bucket (with a repository match). */
  positions: number[];
  /** Mean log-likelihood per matched token: the model alone, and the fitted mixture. */
  modelNats: number;
  mixtureNats: number;
  ms: number;
}

export async function fitMixture(
  session: NativeSession,
  tokenizer: NativeTokenizer,
  contextLength: number,
  trainDocs: readonly Buffer[],
  validationDocs: readonly Buffer[],
  sort: SuffixSorter,
): Promise<MixtureFit> {
  const started = performance.now();
  const tokens = TokenSuffixArray.join(trainDocs.map((d) => tokenizer.encode(d)));
  const array = TokenSuffixArray.fromSorted(tokens, await sort(tokens, MAX_DEPTH));
  const samples: { bucket: number; g: number; q: number }[] = [];
  for (const doc of validationDocs) {
    if (samples.length >= MAX_POSITIONS) break;
    const tokens = tokenizer.encode(doc).subarray(0, MAX_POSITIONS - samples.length + 1);
    const gpt = await modelProbabilities(session, tokens, contextLength);
    for (let i = 1; i < tokens.length; i++) {
      // The file's own text before the token is the open document (its last place has no next token
      // inside the view, so the context never matches itself).
      const before = tokens.subarray(0, i);
      const repo = repositoryNext({ document: before, documentBefore: i, workspace: { array } }, before);
      if (repo.total === 0) continue;
      samples.push({ bucket: bucketOf(repo.matchLength), g: gpt[i], q: repo.probabilities.get(tokens[i]) ?? 0 });
    }
  }
  const lambdas = DEFAULT_WEIGHTS.lambdas.map((prior, b) => emLambda(samples.filter((s) => s.bucket === b), prior));
  const weights = new MixtureWeights(lambdas);
  const nats = (f: (s: { bucket: number; g: number; q: number }) => number) =>
    samples.length ? samples.reduce((a, s) => a + Math.log(Math.max(f(s), 1e-30)), 0) / samples.length : 0;
  return {
    weights,
    positions: BUCKET_ENDS.map((_, b) => samples.filter((s) => s.bucket === b).length),
    modelNats: nats((s) => s.g),
    mixtureNats: nats((s) => (1 - lambdas[s.bucket]) * s.g + lambdas[s.bucket] * s.q),
    ms: performance.now() - started,
  };
}

function emLambda(samples: { g: number; q: number }[], prior: number): number {
  let lambda = prior;
  for (let it = 0; it < EM_ITERATIONS; it++) {
    let sum = prior * PRIOR_WEIGHT;
    for (const { g, q } of samples) {
      const a = lambda * q;
      const b = (1 - lambda) * g;
      sum += a + b > 0 ? a / (a + b) : 0;
    }
    lambda = Math.min(MAX_LAMBDA, sum / (samples.length + PRIOR_WEIGHT));
  }
  return lambda;
}

/**
 * p_model(tokens[i] | tokens[..i]) for i >= 1, scored in windows of the context: each window is
 * conditioned on the half-context before it.
 */
async function modelProbabilities(session: NativeSession, tokens: Int32Array, contextLength: number): Promise<Float64Array> {
  const out = new Float64Array(tokens.length);
  const half = Math.max(1, Math.floor(contextLength / 2));
  for (let start = 1; start < tokens.length; start += half) {
    const from = Math.max(0, start - half);
    const end = Math.min(tokens.length, start + half);
    const { logprobs } = await session.score(tokens.subarray(from, start), tokens.subarray(start, end));
    for (let i = start; i < end; i++) out[i] = Math.exp(logprobs[i - start]);
  }
  return out;
}
