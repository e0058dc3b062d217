/**
 * ngramBaseline.ts: a character 12-gram model with backoff, completing greedily to the end of the
 * line. Counts are gathered on demand by scanning the training text for each context (capped), so
 * no index of millions of contexts has to live in memory; an evaluation asks for a few thousand
 * characters at most.
 */

const ORDER = 12;
const MAX_OCCURRENCES = 512; // enough to pick the most frequent next character of a context
const MAX_LINE = 160;

export class NgramBaseline {
  constructor(private readonly text: string) {}

  /** Most frequent character after the longest context (<= 12 chars) seen in training. */
  nextChar(history: string): string | undefined {
    for (let n = Math.min(ORDER, history.length); n >= 1; n--) {
      const best = this.mostFrequentAfter(history.slice(history.length - n));
      if (best !== undefined) return best;
    }
    return this.text.length ? '\n' : undefined;
  }

  complete(prefix: string): string {
    let out = '';
    while (out.length < MAX_LINE) {
      const c = this.nextChar(prefix + out);
      if (c === undefined || c === '\n') break;
      out += c;
    }
    return out;
  }

  private mostFrequentAfter(context: string): string | undefined {
    const counts = new Map<string, number>();
    let from = 0;
    for (let seen = 0; seen < MAX_OCCURRENCES; seen++) {
      const at = this.text.indexOf(context, from);
      if (at < 0 || at + context.length >= this.text.length) break;
      const next = this.text[at + context.length];
      counts.set(next, (counts.get(next) ?? 0) + 1);
      from = at + 1;
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [c, count] of counts) {
      // ties go to the smaller character so results never depend on Map order quirks
      if (count > bestCount || (count === bestCount && best !== undefined && c < best)) {
        best = c;
        bestCount = count;
      }
    }
    return best;
  }
}
