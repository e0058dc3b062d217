/**
 * cursorMetrics.ts: how a suggestion at a cursor is judged against what was written there, the way
 * a person accepting it would: is its first line right, how many lines are right in a row (accepting
 * line by line stops at the first wrong one), how many characters that saves, and was anything shown.
 */
import { percentile, scoreLine } from './metrics';

export interface CursorScore {
  shown: boolean;
  firstLineExact: boolean;
  editSimilarity: number;   // of the first line
  linesRight: number;       // lines right in a row from the first
  charsSaved: number;       // characters of those lines (what accepting line by line saves)
  targetChars: number;
}

function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trimEnd());
}

export function scoreSuggestion(suggestion: string, target: string): CursorScore {
  const s = suggestion.trim() === '' ? [] : lines(suggestion);
  const t = lines(target);
  const first = scoreLine(s[0] ?? '', t[0]);
  let linesRight = 0;
  let charsSaved = 0;
  while (linesRight < s.length && linesRight < t.length && s[linesRight] === t[linesRight]) {
    charsSaved += t[linesRight].length + (linesRight > 0 ? 1 : 0);
    linesRight++;
  }
  return {
    shown: s.length > 0,
    firstLineExact: s.length > 0 && first.exact,
    editSimilarity: s.length > 0 ? first.editSimilarity : 0,
    linesRight,
    charsSaved,
    targetChars: t.join('\n').length,
  };
}

export interface CursorSummary {
  n: number;
  firstLineExact: number;
  editSimilarity: number;
  linesRight: number;           // mean
  charsSavedShare: number;      // characters saved / characters of the targets
  shownShare: number;           // share of cursors that got a suggestion
  exactAmongShown: number;      // first-line exact match among the cursors that got one
  latencyP50Ms: number;
  latencyP95Ms: number;
}

export function summarizeCursor(scores: CursorScore[], latenciesMs: number[]): CursorSummary {
  const n = scores.length;
  const mean = (f: (s: CursorScore) => number) => (n ? scores.reduce((a, s) => a + f(s), 0) / n : 0);
  const shown = scores.filter((s) => s.shown);
  const targetChars = scores.reduce((a, s) => a + s.targetChars, 0);
  return {
    n,
    firstLineExact: mean((s) => Number(s.firstLineExact)),
    editSimilarity: mean((s) => s.editSimilarity),
    linesRight: mean((s) => s.linesRight),
    charsSavedShare: targetChars ? scores.reduce((a, s) => a + s.charsSaved, 0) / targetChars : 0,
    shownShare: n ? shown.length / n : 0,
    exactAmongShown: shown.length ? shown.filter((s) => s.firstLineExact).length / shown.length : 0,
    latencyP50Ms: percentile(latenciesMs, 50),
    latencyP95Ms: percentile(latenciesMs, 95),
  };
}

/** Exact match among the suggestions shown against the share shown, for each threshold on the confidence. */
export function thresholdTable(rows: { confidence?: number; exact: boolean; candidate: boolean }[], thresholds: readonly number[]) {
  return thresholds.map((threshold) => {
    const shown = rows.filter((r) => r.candidate && (r.confidence === undefined || r.confidence >= threshold));
    return {
      threshold,
      shownShare: rows.length ? shown.length / rows.length : 0,
      exactAmongShown: shown.length ? shown.filter((r) => r.exact).length / shown.length : 0,
      exactOfAll: rows.length ? shown.filter((r) => r.exact).length / rows.length : 0,
    };
  });
}
