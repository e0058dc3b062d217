/**
 * cache.ts: answers without the engine when we can.
 *  1. Exact: an LRU keyed by a hash of (prefix, suffix) — not by document version, so undo, re-typing
 *     the same text, or the same code in another file hits.
 *  2. Typing: while the user types the suggested text, the new prefix is the old prefix plus the start
 *     of the last suggestion; the rest of that suggestion is still the answer.
 * Cleared whenever the model changes. Pure: node's crypto only, no 'vscode' import.
 */
import { createHash } from 'node:crypto';

/** How much of the old prefix is compared for a typing match. */
const ANCHOR_CHARS = 256;
/**
 * When the prompt window has dropped its first line to make room for the typed text, at least this
 * much of the old prefix must still match (same document, same offset arithmetic: enough to be sure).
 */
const MIN_ANCHOR_CHARS = 32;
/** How many recent suggestions are candidates for typing reuse (the user may flip between two spots). */
const TYPING_CANDIDATES = 4;

export interface CacheRequest {
  /** Identifies the document (its URI); offsets are only comparable within one document. */
  documentKey: string;
  /** Offset of the cursor in the document. */
  offset: number;
  prefix: string;
  suffix: string;
  /** The suffix window was cut by the prompt budget (more of the document follows it). */
  suffixClipped?: boolean;
}

export interface CacheHit {
  completion: string;
  kind: 'exact' | 'typing';
  /** Whether the engine copied it or the model wrote it (for the suggestion counts). */
  source?: 'copy' | 'model';
}

interface Entry extends CacheRequest {
  completion: string;
  source?: 'copy' | 'model';
}

/** The source where one is known (absent, not undefined, where none is). */
function sourceOf(x: { source?: 'copy' | 'model' }): { source?: 'copy' | 'model' } {
  return x.source ? { source: x.source } : {};
}

export function promptKey(prefix: string, suffix: string): string {
  // Lengths first, so no choice of text can make two different splits hash the same input.
  return createHash('sha1').update(`${prefix.length}:${suffix.length}:`).update(prefix).update(suffix).digest('base64');
}

export class CompletionCache {
  private readonly entries = new Map<string, Entry>(); // insertion order = recency, oldest first

  constructor(readonly capacity = 128) {
    if (capacity < 1) throw new Error('CompletionCache capacity must be at least 1');
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(request: CacheRequest): CacheHit | undefined {
    const key = promptKey(request.prefix, request.suffix);
    const exact = this.entries.get(key);
    if (exact !== undefined) {
      // Re-anchor at this request (the same text may sit elsewhere, or in another document), so
      // typing the suggestion from here on is recognised.
      this.touch(key, { ...request, completion: exact.completion, ...sourceOf(exact) });
      return { completion: exact.completion, kind: 'exact', ...sourceOf(exact) };
    }
    const typed = this.typingMatch(request);
    return typed === undefined ? undefined : { completion: typed.rest, kind: 'typing', ...sourceOf(typed) };
  }

  store(request: CacheRequest, completion: string, source?: 'copy' | 'model'): void {
    const key = promptKey(request.prefix, request.suffix);
    this.touch(key, { ...request, completion, ...sourceOf({ source }) });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private typingMatch(request: CacheRequest): { rest: string; source?: 'copy' | 'model' } | undefined {
    let checked = 0;
    for (const entry of [...this.entries.values()].reverse()) {
      if (checked++ >= TYPING_CANDIDATES) break;
      const rest = remainderAfterTyping(entry, request);
      if (rest !== undefined) return { rest, source: entry.source };
    }
    return undefined;
  }
}

/**
 * If `now` is `then` after the user typed the first k characters of `then.completion` (0 < k < its
 * length), the remaining characters; otherwise undefined.
 */
export function remainderAfterTyping(then: Entry, now: CacheRequest): string | undefined {
  if (then.documentKey !== now.documentKey) return undefined;
  const k = now.offset - then.offset;
  if (k <= 0 || k >= then.completion.length) return undefined;
  const typed = then.completion.slice(0, k);
  if (!now.prefix.endsWith(typed)) return undefined;
  // The prompt window may have moved its start by a line; compare the text just before the typed part.
  const before = now.prefix.slice(0, now.prefix.length - k);
  const anchor = Math.min(ANCHOR_CHARS, then.prefix.length, before.length);
  if (before.slice(before.length - anchor) !== then.prefix.slice(then.prefix.length - anchor)) return undefined;
  if (anchor < Math.min(MIN_ANCHOR_CHARS, then.prefix.length)) return undefined; // too little left to be sure
  const head = Math.min(ANCHOR_CHARS, then.suffix.length, now.suffix.length);
  if (now.suffix.slice(0, head) !== then.suffix.slice(0, head)) return undefined;
  // A suffix that reached the end of the document cannot grow while the user only types at the
  // cursor: growth means the document changed after it. A clipped window may grow when the prompt
  // budget does (it follows the measured characters per token).
  if (!then.suffixClipped && then.suffix.length < ANCHOR_CHARS && now.suffix.length > then.suffix.length) return undefined;
  return then.completion.slice(k);
}
