/**
 * cursorTasks.ts: evaluation tasks of the three kinds people meet (cursorKind.ts), cut from held-out
 * files. Each task is the document as the editor would hold it at that moment (text before and after
 * the cursor) and what the person went on to write there.
 *  - end-of-line: the cursor inside a line's code; the rest of the line is gone, and so is the block the
 *    line opens (the deeper-indented lines after it). Target: the rest of the line, then that block.
 *  - mid-line: a span inside a line is gone; the text right of it stays. Target: the span.
 *  - new-line: the cursor at a line's indentation; the line and its block are gone. Target: them.
 */
import type { CursorKind } from '../shared/completion/cursorKind';
import { seededRandom, type SourceFile } from './evalTasks';

export interface CursorTask {
  kind: CursorKind;
  file: string;
  line: number;   // 0-based line of the cursor
  before: string; // the document before the cursor
  after: string;  // the document after the cursor
  target: string; // what was written there (lines joined with '\n')
}

/** A target longer than this many lines is cut: a suggestion is judged on its first lines. */
const MAX_TARGET_LINES = 8;
const MIN_TARGET_CHARS = 3;

interface Line { text: string; start: number; indent: number }

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (const t of text.split('\n')) {
    out.push({ text: t, start, indent: indentOf(t) });
    start += t.length + 1;
  }
  return out;
}

function indentOf(text: string): number {
  return text.length - text.trimStart().length;
}

/** Index of the first line after `i` that is not blank and not indented deeper than line i: the block's end. */
function blockEnd(lines: Line[], i: number): number {
  let j = i + 1;
  while (j < lines.length && (lines[j].text.trim() === '' || lines[j].indent > lines[i].indent)) j++;
  // Blank lines at the end of the block belong to what follows.
  while (j - 1 > i && lines[j - 1].text.trim() === '') j--;
  return j;
}

function cut(file: SourceFile, lines: Line[], i: number, column: number, kind: CursorKind, random: () => number): CursorTask | undefined {
  const text = file.text;
  const line = lines[i];
  const cursor = line.start + column;
  const lineEnd = line.start + line.text.length;
  if (kind === 'mid-line') {
    const rest = line.text.slice(column);
    // The span leaves at least one non-blank character right of it.
    const lastNonBlank = rest.trimEnd().length;
    if (lastNonBlank < MIN_TARGET_CHARS + 1) return undefined;
    const length = MIN_TARGET_CHARS + Math.floor(random() * Math.min(40, lastNonBlank - MIN_TARGET_CHARS));
    const target = rest.slice(0, length);
    if (target.trim().length < MIN_TARGET_CHARS || rest.slice(length).trim() === '') return undefined;
    return { kind, file: file.relativePath, line: i, before: text.slice(0, cursor), after: text.slice(cursor + length), target };
  }
  const end = Math.min(blockEnd(lines, i), i + MAX_TARGET_LINES);
  const blockLines = lines.slice(i + 1, end).map((l) => l.text);
  const first = line.text.slice(column).trimEnd();
  if (first.trim().length < MIN_TARGET_CHARS) return undefined;
  const target = [first, ...blockLines].join('\n').trimEnd();
  const afterStart = end < lines.length ? lines[end].start - 1 : text.length; // keep the newline that ends the cursor's line
  return { kind, file: file.relativePath, line: i, before: text.slice(0, cursor), after: text.slice(Math.max(afterStart, lineEnd)), target };
}

/** A task of this kind on line i, at a column chosen by `random`, if the line can carry one. */
function taskAtLine(file: SourceFile, lines: Line[], i: number, kind: CursorKind, random: () => number): CursorTask | undefined {
  const l = lines[i];
  if (l.text.trim().length < MIN_TARGET_CHARS + 1) return undefined;
  const codeLength = l.text.trimEnd().length - l.indent;
  // End-of-line and mid-line cursors sit after at least one character of code; new-line at the indentation.
  const column = kind === 'new-line' ? l.indent : l.indent + 1 + Math.floor(random() * Math.max(1, codeLength - MIN_TARGET_CHARS));
  return cut(file, lines, i, column, kind, random);
}

/**
 * Tasks on chosen lines of one file (0-based line numbers; for lines a commit added), one per line
 * for each kind that the line can carry.
 */
export function cursorTasksOnLines(file: SourceFile, lineNumbers: readonly number[], kinds: readonly CursorKind[], random: () => number): CursorTask[] {
  const lines = linesOf(file.text);
  const tasks: CursorTask[] = [];
  for (const kind of kinds) {
    for (const i of lineNumbers) {
      if (i < 0 || i >= lines.length) continue;
      const task = taskAtLine(file, lines, i, kind, random);
      if (task) tasks.push(task);
    }
  }
  return tasks;
}

/**
 * Up to `perKind` tasks of each kind, spread over the held-out files by a seeded random choice of
 * lines (and of columns inside them), so the same seed asks the same questions.
 */
export function sampleCursorTasks(heldOut: SourceFile[], perKind: number, seed = 1, kinds: readonly CursorKind[] = ['end-of-line', 'mid-line', 'new-line']): CursorTask[] {
  const random = seededRandom(seed);
  const candidates: { file: SourceFile; lines: Line[]; i: number }[] = [];
  for (const file of heldOut) {
    const lines = linesOf(file.text);
    lines.forEach((l, i) => {
      if (l.text.trim().length >= MIN_TARGET_CHARS + 1) candidates.push({ file, lines, i });
    });
  }
  const tasks: CursorTask[] = [];
  for (const kind of kinds) {
    const taken = new Set<number>();
    let found = 0;
    let tries = 0;
    while (found < perKind && taken.size < candidates.length && tries < candidates.length * 4) {
      tries++;
      const index = Math.floor(random() * candidates.length);
      if (taken.has(index)) continue;
      taken.add(index);
      const { file, lines, i } = candidates[index];
      const task = taskAtLine(file, lines, i, kind, random);
      if (!task) continue;
      tasks.push(task);
      found++;
    }
  }
  return tasks;
}
