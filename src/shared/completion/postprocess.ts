/**
 * postprocess.ts: turns what the model generated into what the editor shows. A small model rambles:
 * it runs past the end of the statement, repeats lines, re-types the text after the cursor and leaves
 * brackets open. Each rule below cuts the text; none ever adds to it. Pure: no 'vscode' import.
 *
 * Modes: when non-whitespace text sits right of the cursor the user is editing inside a line, so we
 * offer one line; otherwise up to the end of the block: stop at a line indented less than the cursor's
 * line, or at a blank line once a statement is complete.
 */
import { cloneState, matches, scan, stateAfter, type ScanState } from './brackets';
import { cursorKind } from './cursorKind';
import { cursorLine, type Prompt } from './promptBuilder';

const TAB_WIDTH = 4;
/** A line ending with one of these continues onto the next one, so a blank line after it does not end the block. */
const CONTINUATION = /[,([{=+\-*/%&|\\:.<>!?]$/;

export function isSingleLineMode(prompt: Prompt): boolean {
  return cursorKind(prompt) === 'mid-line';
}

/** Tokens a one-line suggestion may take: a line rarely needs more, and fewer keep typing fast. */
const SINGLE_LINE_MAX_TOKENS = 32;

/**
 * What to ask the engine for at this cursor: one line when text sits right of the cursor, else a
 * block. Generation past these stops could not survive postprocess, so the engine may stop early.
 */
export function generationShape(prompt: Prompt, maxTokens: number): { maxTokens: number; stop: string[] } {
  return isSingleLineMode(prompt)
    ? { maxTokens: Math.min(maxTokens, SINGLE_LINE_MAX_TOKENS), stop: ['\n'] }
    : { maxTokens, stop: ['\n\n\n'] };
}

export function postprocess(raw: string, prompt: Prompt): string {
  const prefixState = stateAfter(prompt.prefix);
  const singleLine = isSingleLineMode(prompt);
  let text = raw.replace(/\r\n?/g, '\n');
  text = singleLine ? firstLine(text) : cutAtBlockEnd(text, prompt, prefixState);
  text = cutRepeatedLines(text, prompt);
  text = cutStutter(text);
  const wholeEcho = singleLine ? cutTrailingSuffixEcho(text, prompt) : undefined;
  if (wholeEcho !== undefined) text = wholeEcho;
  else {
    text = singleLine ? cutLineSuffixEcho(text, prompt, prefixState) : cutSuffixLineEcho(text, prompt);
    text = cutUnbalancedBrackets(text, prefixState, singleLine);
    // Cutting an unclosed bracket can uncover an echo: "a, b) {" before ");" became "a, b)".
    if (singleLine) text = cutLineSuffixEcho(text, prompt, prefixState);
  }
  text = text.trimEnd();
  return text.trim() === '' ? '' : text;
}

/** The text up to its first newline. */
export function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl === -1 ? text : text.slice(0, nl);
}

export function indentWidth(line: string): number {
  let width = 0;
  for (const ch of line) {
    if (ch === ' ') width++;
    else if (ch === '\t') width += TAB_WIDTH - (width % TAB_WIDTH);
    else break;
  }
  return width;
}

/** Block mode: keep lines until a dedent below the cursor line, or a blank line after a complete statement. */
export function cutAtBlockEnd(text: string, prompt: Prompt, prefixState: ScanState): string {
  const { linePrefix } = cursorLine(prompt);
  const lines = text.split('\n');
  const firstFull = linePrefix + lines[0];
  const baseIndent = indentWidth(firstFull.trim() !== '' ? firstFull : linePrefix);

  const state = cloneState(prefixState);
  const startDepth = state.stack.length;
  const feed = (line: string) =>
    scan(line + '\n', state, (closer) => {
      if (matches(state.stack[state.stack.length - 1], closer)) state.stack.pop();
      return true;
    });

  feed(lines[0]);
  const kept = [lines[0]];
  let lastContent = lines[0].trim() === '' ? '' : firstFull;
  for (let k = 1; k < lines.length; k++) {
    const line = lines[k];
    if (line.trim() === '') {
      // Blank lines before any content are just spacing the model chose; after a finished
      // statement they end the block.
      const finished = lastContent !== '' && state.stack.length <= startDepth && !CONTINUATION.test(lastContent.trimEnd());
      if (finished) break;
      kept.push(line);
      continue;
    }
    if (indentWidth(line) < baseIndent) break;
    kept.push(line);
    feed(line);
    lastContent = line;
  }
  return kept.join('\n');
}

/**
 * Small models loop. Cut at the first line that repeats the line before it, or a run of up to four lines
 * that repeats the run before it. A first line that merely re-types the line above the cursor goes too.
 */
export function cutRepeatedLines(text: string, prompt: Prompt): string {
  const lines = text.split('\n');
  const { linePrefix } = cursorLine(prompt);
  if (linePrefix.trim() === '' && lines[0].trim() !== '') {
    const before = prompt.prefix.slice(0, prompt.prefix.length - linePrefix.length).replace(/\n$/, '');
    const lineAbove = before.slice(before.lastIndexOf('\n') + 1);
    if (linePrefix + lines[0] === lineAbove) return '';
  }
  for (let k = 1; k < lines.length; k++) {
    for (let run = 1; run <= 4 && k + 1 >= 2 * run; run++) {
      let same = true;
      let substantial = false;
      for (let j = 0; j < run && same; j++) {
        same = lines[k - j] === lines[k - run - j];
        substantial ||= lines[k - j].trim().length >= 3;
      }
      // Repeated short closers ("}" at two depths look different anyway) are not loops.
      if (same && (substantial || run === 1) && lines[k].trim() !== '') return lines.slice(0, k - run + 1).join('\n');
    }
  }
  return text;
}

/**
 * A unit of up to 12 characters four times in a row, or of 4 to 12 characters three times in a row
 * ("entries.entries.entries."), spanning at least this much, is a stutter, not code. Short units
 * three times over are ordinary code ("[0, 0, 0]").
 */
const STUTTER_MIN_SPAN = 8;
const STUTTER_WORD_UNIT = 4;
/** Repetition of these is normal: indentation, rulers ("-----", "====="), numbers ("1000000"). */
const LEGIT_REPEAT = /^[\s\-=*#/_~+0-9]+$/;

/** Cuts the repeats of the first stutter (",,,,,,,,", ", this.y, this.y, this.y, this.y") — a small model's loop inside a line. */
export function cutStutter(text: string): string {
  const re = /(.{1,12}?)\1{2,}/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const copies = m[0].length / m[1].length;
    const stutter = copies >= 4 || (copies >= 3 && m[1].length >= STUTTER_WORD_UNIT);
    // Keep the first copy: it is what the model believes comes next; the repeats are the loop.
    if (stutter && m[0].length >= STUTTER_MIN_SPAN && !LEGIT_REPEAT.test(m[1])) return text.slice(0, m.index + m[1].length);
    re.lastIndex = m.index + 1;
  }
  return text;
}

/**
 * Single-line mode: the model often re-types what already follows the cursor (`foo(a, b)` before an
 * existing `)`). A line that ends with all of that text loses it; otherwise cut at the first point where
 * the rest of the line repeats (or begins) the text right of the cursor, provided the part we keep has
 * closed every bracket it opened.
 */
export function cutLineSuffixEcho(line: string, prompt: Prompt, prefixState: ScanState): string {
  const needle = cursorLine(prompt).lineSuffix.trim();
  if (needle === '') return line;
  const ownDepthAt = ownDepthProfile(line, prefixState);
  for (let i = 0; i < line.length; i++) {
    if (ownDepthAt[i] !== 0) continue;
    const rest = line.slice(i).trim();
    if (rest === '') break;
    if (rest.startsWith(needle) || needle.startsWith(rest)) return line.slice(0, i);
  }
  return line;
}

/**
 * Single-line mode: a line that ends by re-typing all of the text right of the cursor, words included,
 * means exactly its first part: that part and the text already there make the line it wrote, brackets
 * and all (so its open brackets are left open). Undefined when the line does not end so. Only
 * brackets and punctuation, like a lone ')', may be the line's own: cutLineSuffixEcho decides those.
 */
export function cutTrailingSuffixEcho(line: string, prompt: Prompt): string | undefined {
  const needle = cursorLine(prompt).lineSuffix.trim();
  const trimmed = line.trimEnd();
  if (!/\w/.test(needle) || trimmed.length <= needle.length || !trimmed.endsWith(needle)) return undefined;
  return trimmed.slice(0, trimmed.length - needle.length);
}

/** Block mode: cut where a completion line is the next non-blank line already after the cursor. */
export function cutSuffixLineEcho(text: string, prompt: Prompt): string {
  const afterCursorLine = prompt.suffix.slice(prompt.suffix.indexOf('\n') + 1);
  if (prompt.suffix.indexOf('\n') === -1) return text;
  const nextLine = afterCursorLine.split('\n').find((l) => l.trim() !== '')?.trimEnd();
  if (nextLine === undefined) return text;
  const lines = text.split('\n');
  const { linePrefix } = cursorLine(prompt);
  for (let k = 0; k < lines.length; k++) {
    const full = (k === 0 ? linePrefix + lines[0] : lines[k]).trimEnd();
    if (full.trim() !== '' && full === nextLine) return lines.slice(0, k).join('\n');
  }
  return text;
}

/**
 * For every index of `text`, how many brackets opened inside `text` itself are still open before that
 * character. Closing a bracket of the prefix does not count (that is what the user wants).
 */
function ownDepthProfile(text: string, prefixState: ScanState): number[] {
  const state = cloneState(prefixState);
  let prefixOpen = state.stack.length;
  const depth = new Array<number>(text.length + 1).fill(0);
  let last = 0;
  const mark = (upTo: number) => {
    for (; last <= upTo; last++) depth[last] = state.stack.length - prefixOpen;
  };
  scan(
    text,
    state,
    (closer, i) => {
      mark(i);
      if (matches(state.stack[state.stack.length - 1], closer)) {
        state.stack.pop();
        prefixOpen = Math.min(prefixOpen, state.stack.length);
      }
      return true;
    },
    (i) => {
      // The opener was already pushed: depth before index i excludes it.
      state.stack.pop();
      mark(i);
      state.stack.push(text[i]);
    },
  );
  mark(text.length);
  return depth;
}

/**
 * A closer that matches nothing open (in the completion or the prefix) is a mistake: cut there. Brackets
 * the completion opens and never closes are trimmed back to the last point where they were all closed
 * (in block mode at a line end, and never below the first line: `function f() {` alone is useful).
 */
export function cutUnbalancedBrackets(text: string, prefixState: ScanState, singleLine: boolean): string {
  const state = cloneState(prefixState);
  let prefixOpen = state.stack.length;
  const stray = scan(text, state, (closer) => {
    if (!matches(state.stack[state.stack.length - 1], closer)) return false;
    state.stack.pop();
    prefixOpen = Math.min(prefixOpen, state.stack.length);
    return true;
  });
  if (stray !== -1) return text.slice(0, stray).trimEnd();
  if (state.stack.length <= prefixOpen) return text;

  const depth = ownDepthProfile(text, prefixState);
  if (singleLine) {
    for (let i = text.length; i > 0; i--) if (depth[i] === 0) return text.slice(0, i).trimEnd();
    return text;
  }
  const firstNl = text.indexOf('\n');
  if (firstNl === -1) return text;
  for (let i = text.lastIndexOf('\n'); ; i = text.lastIndexOf('\n', i - 1)) {
    if (depth[i] === 0) return text.slice(0, i);
    if (i <= firstNl) break;
  }
  return text;
}
