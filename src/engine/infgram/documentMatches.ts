/**
 * documentMatches.ts: the ∞-gram over the open document. The document changes with every keystroke,
 * and its window is a few thousand tokens, so a direct scan answers faster than a suffix array could
 * be rebuilt: for every earlier place where the context's last token occurs, extend the match
 * backwards, and keep the places with the longest match.
 */
import { MAX_DEPTH, SEPARATOR, type NextTokens } from './tokenSuffixArray';

/**
 * The longest suffix of context[0..end) that also occurs in `document` and what followed it there.
 * The document is the text before the cursor, SEPARATOR, the text after it: the context's own place
 * (at the end of the text before) is followed by the separator, so it never counts as a match.
 */
export function documentNext(document: ArrayLike<number>, context: ArrayLike<number>, end = context.length): NextTokens {
  const probabilities = new Map<number, number>();
  if (end === 0) return { matchLength: 0, total: 0, probabilities };
  const last = context[end - 1];
  let best = 0;
  let places: number[] = [];
  for (let j = 0; j + 1 < document.length; j++) {
    if (document[j] !== last || document[j + 1] === SEPARATOR) continue;
    let len = 1;
    while (len < MAX_DEPTH && len < end && j - len >= 0 && document[j - len] === context[end - 1 - len]) len++;
    if (len > best) {
      best = len;
      places = [j + 1];
    } else if (len === best) places.push(j + 1);
  }
  for (const at of places) probabilities.set(document[at], (probabilities.get(document[at]) ?? 0) + 1);
  for (const [t, c] of probabilities) probabilities.set(t, c / places.length);
  return { matchLength: best, total: places.length, probabilities };
}

/** The longer of two matches; at equal length, their places pooled. */
export function longerMatch(a: NextTokens, b: NextTokens): NextTokens {
  if (a.matchLength !== b.matchLength || a.total === 0 || b.total === 0) return a.matchLength >= b.matchLength ? a : b;
  const total = a.total + b.total;
  const probabilities = new Map<number, number>();
  for (const [t, p] of a.probabilities) probabilities.set(t, (p * a.total) / total);
  for (const [t, p] of b.probabilities) probabilities.set(t, (probabilities.get(t) ?? 0) + (p * b.total) / total);
  return { matchLength: a.matchLength, total, probabilities };
}
