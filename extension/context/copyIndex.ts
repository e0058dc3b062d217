/**
 * copyIndex.ts: longest-match copying. Find the longest suffix of the text before the cursor (up to
 * MAX_MATCH characters) that occurs elsewhere, and propose what followed it there, to the end of
 * that line. Strong on repetitive code; the evaluation's "copy" baseline, and one of the candidates
 * the completer ranks against the model's own. Pure: no I/O.
 */

export const MAX_MATCH = 64;

export interface CopyMatch {
  continuation: string; // the rest of the line after the match ("" if it ended there)
  matchLength: number;  // characters of context that matched (0: nothing did)
}

const NO_MATCH: CopyMatch = { continuation: '', matchLength: 0 };

function restOfLine(text: string, start: number): string {
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? text.length : end);
}

/**
 * The longest suffix of `prefix` (<= MAX_MATCH) for which find(needle) gives an occurrence. An
 * occurring string's suffixes occur too, so the length can be found by binary search.
 */
function longest(prefix: string, find: (needle: string) => number): { length: number; at: number } {
  let lo = 0;
  let hi = Math.min(MAX_MATCH, prefix.length);
  let bestAt = -1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const at = find(prefix.slice(prefix.length - mid));
    if (at >= 0) {
      lo = mid;
      bestAt = at;
    } else {
      hi = mid - 1;
    }
  }
  return { length: lo, at: bestAt };
}

/** Matches against a fixed corpus text (the training files, the workspace). */
export function matchInText(text: string, prefix: string): CopyMatch {
  const { length, at } = longest(prefix, (needle) => text.indexOf(needle));
  if (length === 0) return NO_MATCH;
  return { continuation: restOfLine(text, at + length), matchLength: length };
}

/**
 * Matches earlier in the same document: the nearest occurrence that ends before the cursor (the
 * prefix's own end always matches itself and says nothing).
 */
export function matchInPrefix(prefix: string): CopyMatch {
  const { length, at } = longest(prefix, (needle) => prefix.lastIndexOf(needle, prefix.length - needle.length - 1));
  if (length === 0) return NO_MATCH;
  return { continuation: restOfLine(prefix, at + length), matchLength: length };
}

/** The longer of the two matches (the same document wins ties: it is the more specific source). */
export function bestCopy(corpusText: string, prefix: string): CopyMatch {
  const own = matchInPrefix(prefix);
  const corpus = matchInText(corpusText, prefix);
  return corpus.matchLength > own.matchLength ? corpus : own;
}

/** Occurrences of one context examined for candidates (enough to see which continuations are common). */
const MAX_OCCURRENCES = 256;
/** Shorter contexts still worth copying from. */
const MIN_CANDIDATE_MATCH = 6;

/**
 * Several copy candidates for ranking: the distinct line continuations after occurrences of the
 * longest matching context, most frequent first, then (if fewer than `limit`) after occurrences of
 * shorter contexts (about half, then a quarter of the longest). Blank continuations are skipped.
 */
export function copyCandidates(text: string, prefix: string, limit: number): CopyMatch[] {
  const longestLength = longest(prefix, (needle) => text.indexOf(needle)).length;
  const out: CopyMatch[] = [];
  const seen = new Set<string>();
  for (const length of [longestLength, Math.ceil(longestLength / 2), Math.ceil(longestLength / 4)]) {
    if (out.length >= limit || length < MIN_CANDIDATE_MATCH) break;
    const needle = prefix.slice(prefix.length - length);
    const counts = new Map<string, number>();
    for (let at = text.indexOf(needle), n = 0; at >= 0 && n < MAX_OCCURRENCES; at = text.indexOf(needle, at + 1), n++) {
      const continuation = restOfLine(text, at + length);
      if (continuation.trim() !== '') counts.set(continuation, (counts.get(continuation) ?? 0) + 1);
    }
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [continuation] of ranked) {
      if (out.length >= limit) break;
      const key = continuation.trimEnd();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ continuation, matchLength: length });
    }
  }
  return out;
}
