/**
 * metrics.ts: how a suggested rest-of-line is scored against what the file really says.
 * Trailing whitespace never counts: editors strip it and users don't see it.
 */

export interface LineScore {
  exact: boolean;
  editSimilarity: number; // 1 - Levenshtein / longer length, in [0, 1]
  prefixShare: number;    // share of the target's characters the suggestion gets right from its start
}

export function scoreLine(suggestion: string, target: string): LineScore {
  const s = suggestion.trimEnd();
  const t = target.trimEnd();
  const longer = Math.max(s.length, t.length);
  let common = 0;
  while (common < s.length && common < t.length && s[common] === t[common]) common++;
  return {
    exact: s === t,
    editSimilarity: longer === 0 ? 1 : 1 - levenshtein(s, t) / longer,
    prefixShare: t.length === 0 ? (s.length === 0 ? 1 : 0) : common / t.length,
  };
}

/** Edit distance with one row of memory: O(|a|·|b|) time, O(|b|) space. */
export function levenshtein(a: string, b: string): number {
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      next.push(Math.min(row[j] + 1, next[j - 1] + 1, substitution));
    }
    row = next;
  }
  return row[b.length];
}

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((x, y) => x - y);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Summary {
  n: number;
  exactMatch: number;
  editSimilarity: number;
  prefixShare: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
}

export function summarize(scores: LineScore[], latenciesMs: number[]): Summary {
  const n = scores.length;
  const mean = (f: (s: LineScore) => number) => (n ? scores.reduce((acc, s) => acc + f(s), 0) / n : 0);
  return {
    n,
    exactMatch: mean((s) => (s.exact ? 1 : 0)),
    editSimilarity: mean((s) => s.editSimilarity),
    prefixShare: mean((s) => s.prefixShare),
    latencyP50Ms: percentile(latenciesMs, 50),
    latencyP95Ms: percentile(latenciesMs, 95),
  };
}
