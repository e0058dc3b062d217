/**
 * brackets.ts: a deliberately small bracket scanner for completions. It knows strings (' " `, with
 * backslash escapes, ' and " ending at a newline) and line comments (// and "# "), which is enough to
 * avoid counting the brackets inside them in most languages; it does not try to be a parser.
 * Pure: no 'vscode' import.
 */

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

export interface ScanState {
  stack: string[]; // unclosed openers, innermost last
  quote: string | null; // the quote of the string we are inside, if any
  lineComment: boolean;
}

export function newScanState(): ScanState {
  return { stack: [], quote: null, lineComment: false };
}

/**
 * The scanner state at the end of `text` (the prefix before the cursor): its unclosed openers and
 * whether the cursor sits in a string or comment. Surplus closers are ignored.
 */
export function stateAfter(text: string): ScanState {
  const state = newScanState();
  scan(text, state, (closer) => {
    // The window may begin inside a structure whose opener we never saw: that closer is not an error.
    if (state.stack.length > 0 && state.stack[state.stack.length - 1] === CLOSERS[closer]) state.stack.pop();
    return true;
  });
  return state;
}

export function cloneState(state: ScanState): ScanState {
  return { stack: [...state.stack], quote: state.quote, lineComment: state.lineComment };
}

export type CloserHandler = (closer: string, index: number) => boolean; // false = stop scanning

/**
 * Feeds `text` through the scanner, updating `state`. Openers are pushed here; closers are handed to
 * `onCloser`, which decides what they match (so callers can track "closed a bracket of the prefix").
 * Returns the index where `onCloser` asked to stop, or -1.
 */
export function scan(text: string, state: ScanState, onCloser: CloserHandler, onOpener?: (index: number) => void): number {
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (state.lineComment) {
      if (ch === '\n') state.lineComment = false;
      continue;
    }
    if (state.quote !== null) {
      if (ch === '\\') i++;
      else if (ch === state.quote) state.quote = null;
      else if (ch === '\n' && state.quote !== '`') state.quote = null; // unterminated: don't poison later lines
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') {
      // An apostrophe between letters (don't, it's) in prose is not a string.
      if (ch === "'" && /\w/.test(text[i - 1] ?? '') && /\w/.test(text[i + 1] ?? '')) continue;
      state.quote = ch;
    } else if ((ch === '/' && text[i + 1] === '/') || (ch === '#' && (text[i + 1] === ' ' || text[i + 1] === '!'))) {
      state.lineComment = true;
    } else if (ch in OPENERS) {
      state.stack.push(ch);
      onOpener?.(i);
    } else if (ch in CLOSERS) {
      if (!onCloser(ch, i)) return i;
    }
  }
  return -1;
}

export function matches(opener: string | undefined, closer: string): boolean {
  return opener !== undefined && OPENERS[opener] === closer;
}
