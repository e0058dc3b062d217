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
export type SuggestionSource = 'copy' | 'model';
export type Outcome = 'whole' | 'line' | 'word' | 'typed' | 'dismissed';

export interface OutcomeCounts {
  shown: number;
  whole: number;
  line: number;
  word: number;
  typed: number;
  dismissed: number;
}

export interface TextChange {
  offset: number;
  removedLength: number;
  text: string;
}

interface Pending {
  offset: number;
  remaining: string;
  key: string;
  accepted: 'none' | 'word' | 'line';
}

const emptyCounts = (): OutcomeCounts => ({ shown: 0, whole: 0, line: 0, word: 0, typed: 0, dismissed: 0 });

export class SuggestionOutcomes {
  private readonly counts = new Map<string, OutcomeCounts>();
  private readonly pending = new Map<string, Pending>();
  private changed = false;

  constructor(private readonly onChange: () => void = () => undefined) {}

  /** A suggestion offered at `offset` of a document. The same text still pending there is not counted twice. */
  shown(document: string, offset: number, text: string, source: SuggestionSource, language: string): void {
    if (text === '') return;
    const current = this.pending.get(document);
    if (current && current.offset === offset && current.remaining === text) return;
    if (current) this.finish(document, current);
    const key = `${source}\u0000${language}`;
    this.bump(key, 'shown');
    this.pending.set(document, { offset, remaining: text, key, accepted: 'none' });
  }

  documentChanged(document: string, changes: readonly TextChange[]): void {
    const p = this.pending.get(document);
    if (!p) return;
    const [c] = changes;
    const insertsPrefix = changes.length === 1 && c.offset === p.offset && c.removedLength === 0 && c.text !== '' && p.remaining.startsWith(c.text);
    if (!insertsPrefix) {
      this.finish(document, p);
      return;
    }
    p.offset += c.text.length;
    p.remaining = p.remaining.slice(c.text.length);
    if (p.remaining === '') {
      this.finish(document, p, p.accepted !== 'none' ? undefined : c.text.length > 1 ? 'whole' : 'typed');
      return;
    }
    if (c.text.length > 1) {
      const endsLine = c.text.endsWith('\n') || p.remaining.startsWith('\n') || p.remaining.startsWith('\r\n');
      p.accepted = endsLine || p.accepted === 'line' ? 'line' : 'word';
    }
  }

  /** The cursor is at `offset`: anywhere but the suggestion's place ends it. */
  cursorMoved(document: string, offset: number): void {
    const p = this.pending.get(document);
    if (p && offset !== p.offset) this.finish(document, p);
  }

  documentClosed(document: string): void {
    const p = this.pending.get(document);
    if (p) this.finish(document, p);
  }

  /** Counts per source and language, and all together. */
  summary(): { bySource: Record<string, OutcomeCounts>; byLanguage: Record<string, OutcomeCounts>; total: OutcomeCounts } {
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
      for (const k of Object.keys(valid) as (keyof OutcomeCounts)[]) {
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
  for (const k of Object.keys(into) as (keyof OutcomeCounts)[]) into[k] += from[k];
}

/** "12 of 40 accepted (30%)", or undefined before anything was shown. */
export function describeAcceptance(total: OutcomeCounts): string | undefined {
  if (total.shown === 0) return undefined;
  const accepted = total.whole + total.line + total.word;
  return `${accepted} of ${total.shown} suggestions accepted (${Math.round((100 * accepted) / total.shown)}%)`;
}
