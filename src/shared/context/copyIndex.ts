/**
 * copyIndex.ts: longest-match copying. Find the longest suffix of the text before the cursor (up to
 * MAX_MATCH characters) that occurs elsewhere, and propose what followed it there, to the end of
 * that line. Strong on repetitive code; the evaluation's "copy" baseline (matchInText), and the
 * completer's copy candidates (rankedCopies), which look in three places: earlier in the document,
 * later in the document, and the rest of the workspace. Pure: no I/O.
 */
import { gramProbes, type GramFilter } from './gramFilter';

export const MAX_MATCH = 64;

export interface CopyMatch {
  continuation: string; // the rest of the line after the match ("" if it ended there)
  matchLength: number;  // characters of context that matched (0: nothing did)
  agreesBelow?: boolean; // the line after it equals the line below the cursor (rankedCopies only)
}

const NO_MATCH: CopyMatch = { continuation: '', matchLength: 0 };

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end < 0 ? text.length : end;
}

function restOfLine(text: string, start: number): string {
  return text.slice(start, lineEnd(text, start));
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

/** Matches against a fixed corpus text (the training files): the evaluation's copy baseline. */
export function matchInText(text: string, prefix: string): CopyMatch {
  const { length, at } = longest(prefix, (needle) => text.indexOf(needle));
  if (length === 0) return NO_MATCH;
  return { continuation: restOfLine(text, at + length), matchLength: length };
}

/** One place a context occurs: the text it was found in, and where. */
interface Occurrence {
  text: string;
  at: number;
}

/**
 * A place copies come from: whether a context occurs in it, and its occurrences in order (nearest
 * first for the document's own earlier text, in text order elsewhere).
 */
export interface CopySource {
  has(needle: string): boolean;
  occurrences(needle: string): Iterable<Occurrence>;
}

/** One text, searched from its start. */
export function textSource(text: string): CopySource {
  return {
    has: (n) => text.indexOf(n) >= 0,
    *occurrences(n) {
      for (let at = text.indexOf(n); at >= 0; at = text.indexOf(n, at + 1)) yield { text, at };
    },
  };
}

/**
 * Many files, searched in order as if joined (a context never spans two files). Each file's
 * GramFilter skips the files that cannot hold the context, which in a large workspace is nearly all.
 */
export function filesSource(files: readonly { text: string; filter: GramFilter }[]): CopySource {
  const candidates = (n: string) => {
    const probes = gramProbes(n);
    return files.filter((f) => f.filter.mayContain(probes));
  };
  return {
    has: (n) => candidates(n).some((f) => f.text.indexOf(n) >= 0),
    *occurrences(n) {
      for (const f of candidates(n)) yield* textSource(f.text).occurrences(n);
    },
  };
}

/** The document before the cursor: occurrences that end before the cursor (its own end says nothing). */
function earlierSource(before: string): CopySource {
  const first = (n: string) => before.lastIndexOf(n, before.length - n.length - 1);
  return {
    has: (n) => first(n) >= 0,
    *occurrences(n) {
      for (let at = first(n); at >= 0; at = at === 0 ? -1 : before.lastIndexOf(n, at - 1)) yield { text: before, at };
    },
  };
}

/** Occurrences of one context examined per source (enough to see which continuations are common). */
const MAX_OCCURRENCES = 256;
/** Contexts shorter than this (a letter or three) match by chance, not because code repeats. */
const MIN_MATCH = 4;
/**
 * A copy whose next line also equals the line below the cursor sits in the same surroundings on
 * both sides: that counts as much as this many more characters of matched context. (Measured on
 * the evaluation code bases: docs/quality.md, "Copying from both sides".)
 */
const AGREEMENT_BONUS = 32;

interface Ranked extends Required<CopyMatch> {
  score: number;
  source: number;
  count: number;
}

/**
 * Copy candidates at a cursor, best first, distinct by their trimmed text. Sources, most specific
 * first (they win ties), each searched for contexts of at least MIN_MATCH characters: the document before the cursor (`before`), the document below the
 * cursor's line (`after`, the text after the cursor), and `corpus` (other files). In each, the
 * continuations after the longest matching context and after half of it are collected; each is
 * scored by its matched length plus AGREEMENT_BONUS when the line after it equals the line after
 * the cursor's. Ties: the more specific source, then the more frequent continuation.
 */
export function rankedCopies(before: string, after: string, corpus: CopySource, limit: number): CopyMatch[] {
  const newline = after.indexOf('\n');
  const below = newline < 0 ? '' : after.slice(newline);
  const lineBelow = restOfLine(below, 1).trim();
  const sources = [earlierSource(before), textSource(below), corpus];
  const byText = new Map<string, Ranked>();
  sources.forEach((source, sourceIndex) => {
    const longestLength = longest(before, (needle) => (source.has(needle) ? 0 : -1)).length;
    if (longestLength < MIN_MATCH) return;
    const half = Math.ceil(longestLength / 2);
    const lengths = half >= MIN_MATCH && half < longestLength ? [longestLength, half] : [longestLength];
    for (const length of lengths) {
      const needle = before.slice(before.length - length);
      let n = 0;
      for (const { text, at } of source.occurrences(needle)) {
        if (n++ >= MAX_OCCURRENCES) break;
        const end = lineEnd(text, at + length);
        const continuation = text.slice(at + length, end);
        const key = continuation.trimEnd();
        if (key.trim() === '') continue;
        const agrees = lineBelow !== '' && end < text.length && restOfLine(text, end + 1).trim() === lineBelow;
        const score = length + (agrees ? AGREEMENT_BONUS : 0);
        const seen = byText.get(key);
        if (!seen) byText.set(key, { continuation, matchLength: length, agreesBelow: agrees, score, source: sourceIndex, count: 1 });
        else {
          seen.count++;
          if (score > seen.score) Object.assign(seen, { continuation, matchLength: length, agreesBelow: agrees, score, source: sourceIndex });
        }
      }
    }
  });
  return [...byText.values()]
    .sort((a, b) => b.score - a.score || a.source - b.source || b.count - a.count)
    .slice(0, limit)
    .map(({ continuation, matchLength, agreesBelow }) => ({ continuation, matchLength, agreesBelow }));
}

/** The best copy candidate (rankedCopies), or no match; the corpus may be given as one text. */
export function bestCopy(before: string, after: string, corpus: string | CopySource): CopyMatch {
  return rankedCopies(before, after, typeof corpus === 'string' ? textSource(corpus) : corpus, 1)[0] ?? NO_MATCH;
}
