/**
 * mixtureWeights.ts: how much the repository's ∞-gram is trusted against the GPT, by the length of
 * the match it found. A one-token match says little (every `(` is followed by something); twenty
 * matching tokens mean the code is being written again. The table is fitted on held-in text after
 * training (fitMixture.ts); DEFAULT_WEIGHTS serve until then.
 */

/** Upper ends of the match-length buckets; a length past the last uses the last bucket. */
export const BUCKET_ENDS = [1, 2, 3, 5, 7, 11, 15, 23, 31, 64] as const;

export function bucketOf(matchLength: number): number {
  for (let b = 0; b < BUCKET_ENDS.length; b++) if (matchLength <= BUCKET_ENDS[b]) return b;
  return BUCKET_ENDS.length - 1;
}

export class MixtureWeights {
  /** λ per bucket, each in [0, 1). */
  constructor(readonly lambdas: readonly number[]) {
    if (lambdas.length !== BUCKET_ENDS.length) throw new Error(`mixture weights need ${BUCKET_ENDS.length} buckets, got ${lambdas.length}`);
  }

  at(matchLength: number, _total: number): number {
    return matchLength <= 0 ? 0 : this.lambdas[bucketOf(matchLength)];
  }
}

/** Before fitting: trust grows with the match length. */
export const DEFAULT_WEIGHTS = new MixtureWeights([0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.85]);
