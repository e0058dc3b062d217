/**
 * suggestionOutcomes.ts: what became of the suggestions Seedling offered, counted per source (copied
 * from the repository or written by the model) and per language, on this machine only.
 *
 * VS Code's stable API says when a suggestion is offered but not when it is accepted in part or
 * dismissed, so the outcome is read from the document: text inserted at the suggestion's place that
 * is a prefix of it was accepted (all of it at once: "whole"; a piece ending at a line's end: "line";
 * another piece of more than one character: "word"; single characters are the person typing it out,
 * which keeps the suggestion alive but accepts nothing, and typed to its end it was right but not
 * taken: "typed"). Any other edit in the document, or the cursor leaving the place, ends it:
 * "dismissed" if nothing was accepted. No vscode import: the extension
 * feeds it events (inlineProvider.ts, outcomeTracking.ts) and the unit tests do the same.
 */
import { OUTCOME_FIELDS, emptyCounts, type OutcomeCounts, type SuggestionSummary } from '../../shared/suggestionCounts';

export { describeAcceptance } from '../../shared/suggestionCounts';
export type SuggestionSource = 'copy' | 'model';
export type Outcome = 'whole' | 'line' | 'word' | 'typed' | 'dismissed';

export interface TextChange {
  offset: number;
  removedLength: number;
  text: string;
}

/**
 * A suggestion still on screen: offered at `origin`, of which the document now holds `written` (what
 * was typed or accepted since, always a prefix of `text`). VS Code accepts by replacing what was typed
 * since the offer with the accepted part, so edits are followed as edits of that span.
 */
interface Pending {
  origin: number;
  text: string;
  written: string;
  key: string;
  accepted: 'none' | 'word' | 'line';
}

const endOf = (p: Pending) => p.origin + p.written.length;

export class SuggestionOutcomes {
  private readonly counts = new Map<string, OutcomeCounts>();
  private readonly pending = new Map<string, Pending>();
  private changed = false;

  constructor(private readonly onChange: () => void = () => undefined) {}

  /** A suggestion offered at `offset` of a document. The same text still pending there is not counted twice. */
  shown(document: string, offset: number, text: string, source: SuggestionSource, language: string): void {
    if (text === '') return;
    const current = this.pending.get(document);
    if (current && endOf(current) === offset && current.text.slice(current.written.length) === text) return;
    if (current) this.finish(document, current);
    const key = `${source}\u0000${language}`;
    this.bump(key, 'shown');
    this.pending.set(document, { origin: offset, text, written: '', key, accepted: 'none' });
  }

  documentChanged(document: string, changes: readonly TextChange[]): void {
    const p = this.pending.get(document);
    if (!p) return;
    const [c] = changes;
    // One edit inside the span written since the offer, reaching its end (the cursor's place)...
    const inSpan = changes.length === 1 && c.offset >= p.origin && c.offset + c.removedLength === endOf(p);
    const written = inSpan ? p.written.slice(0, c.offset - p.origin) + c.text : undefined;
    // ...that leaves more of the suggestion written than before, and nothing else.
    if (written === undefined || written.length <= p.written.length || !p.text.startsWith(written)) {
      this.finish(document, p);
      return;
    }
    const step = written.length - p.written.length;
    p.written = written;
    const rest = p.text.slice(written.length);
    if (rest === '') {
      this.finish(document, p, p.accepted !== 'none' ? undefined : step > 1 ? 'whole' : 'typed');
      return;
    }
    // One character is the person typing; more is an accept (by word, or up to a line's end).
    if (step > 1) {
      const endsLine = written.endsWith('\n') || rest.startsWith('\n') || rest.startsWith('\r\n');
      p.accepted = endsLine || p.accepted === 'line' ? 'line' : 'word';
    }
  }

  /**
   * The cursor is at `offset`: before the suggestion's place or past its end ends it. Inside it, the
   * move is an accept whose edit is still to come: VS Code may report the cursor before the text.
   */
  cursorMoved(document: string, offset: number): void {
    const p = this.pending.get(document);
    if (p && (offset < endOf(p) || offset > p.origin + p.text.length)) this.finish(document, p);
  }

  documentClosed(document: string): void {
    const p = this.pending.get(document);
    if (p) this.finish(document, p);
  }

  /** Counts per source and language, and all together. */
  summary(): SuggestionSummary {
    const bySource: Record<string, OutcomeCounts> = {};
    const byLanguage: Record<string, OutcomeCounts> = {};
    const total = emptyCounts();
    for (const [key, counts] of this.counts) {
      const [source, language] = key.split('\u0000');
      add(bySource[source] ??= emptyCounts(), counts);
      add(byLanguage[language] ??= emptyCounts(), counts);
      add(total, counts);
    }
    return { bySource, byLanguage, total };
  }

  /** What is saved: the counts only (never the text of a suggestion). */
  toJSON(): { version: 1; counts: { source: string; language: string; counts: OutcomeCounts }[] } {
    return {
      version: 1,
      counts: [...this.counts].map(([key, counts]) => {
        const [source, language] = key.split('\u0000');
        return { source, language, counts: { ...counts } };
      }),
    };
  }

  /** Counts read back from toJSON's shape; anything else is ignored (and the counts start again). */
  load(saved: unknown): void {
    const rows = (saved as { version?: unknown; counts?: unknown })?.version === 1 ? (saved as { counts: unknown }).counts : undefined;
    if (!Array.isArray(rows)) return;
    for (const row of rows) {
      const { source, language, counts } = (row ?? {}) as { source?: unknown; language?: unknown; counts?: Record<string, unknown> };
      if ((source !== 'copy' && source !== 'model') || typeof language !== 'string' || !counts) continue;
      const valid = emptyCounts();
      for (const k of OUTCOME_FIELDS) {
        const n = counts[k];
        if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) valid[k] = n;
      }
      this.counts.set(`${source}\u0000${language}`, valid);
    }
  }

  clear(): void {
    this.counts.clear();
    this.pending.clear();
    this.onChange();
  }

  /** True once since the last call if any count changed (the store saves then). */
  takeChanged(): boolean {
    const was = this.changed;
    this.changed = false;
    return was;
  }

  private finish(document: string, p: Pending, outcome?: Outcome): void {
    this.pending.delete(document);
    this.bump(p.key, outcome ?? (p.accepted === 'none' ? 'dismissed' : p.accepted));
  }

  private bump(key: string, field: keyof OutcomeCounts): void {
    const counts = this.counts.get(key) ?? emptyCounts();
    counts[field]++;
    this.counts.set(key, counts);
    this.changed = true;
    this.onChange();
  }
}

function add(into: OutcomeCounts, from: OutcomeCounts): void {
  for (const k of OUTCOME_FIELDS) into[k] += from[k];
}
