/**
 * suggestionCounts.ts: the counts of what became of Seedling's suggestions (the host keeps them,
 * src/host/completion/suggestionOutcomes.ts; the dashboard and the status bar show them).
 */
export interface OutcomeCounts {
  shown: number;
  /** Accepted all at once (Tab). */
  whole: number;
  /** Accepted in pieces, at least one ending a line. */
  line: number;
  /** Accepted in pieces of words. */
  word: number;
  /** Typed out to its end by hand: right, but not taken. */
  typed: number;
  dismissed: number;
}

export const OUTCOME_FIELDS = ['shown', 'whole', 'line', 'word', 'typed', 'dismissed'] as const satisfies readonly (keyof OutcomeCounts)[];

export interface SuggestionSummary {
  /** By 'copy' (the repository's text) and 'model' (written by the GPT). */
  bySource: Record<string, OutcomeCounts>;
  byLanguage: Record<string, OutcomeCounts>;
  total: OutcomeCounts;
}

export function emptyCounts(): OutcomeCounts {
  return { shown: 0, whole: 0, line: 0, word: 0, typed: 0, dismissed: 0 };
}

export function acceptedOf(c: OutcomeCounts): number {
  return c.whole + c.line + c.word;
}

/** "12 of 40 suggestions accepted (30%)", or undefined before anything was shown. */
export function describeAcceptance(total: OutcomeCounts): string | undefined {
  if (total.shown === 0) return undefined;
  return `${acceptedOf(total)} of ${total.shown} suggestions accepted (${Math.round((100 * acceptedOf(total)) / total.shown)}%)`;
}
