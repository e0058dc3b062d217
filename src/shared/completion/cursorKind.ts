/**
 * cursorKind.ts: the three places people ask for a suggestion, told apart by the text around the
 * cursor alone, so the editor, the CLI and the evaluation agree on them.
 *  - end-of-line: code before the cursor on its line, nothing after it (typing new code);
 *  - mid-line: code after the cursor on its line (editing inside a line);
 *  - new-line: only indentation before the cursor, nothing after it (starting a line).
 */
import { cursorLine, type Prompt } from './promptBuilder';

export type CursorKind = 'end-of-line' | 'mid-line' | 'new-line';
export const CURSOR_KINDS: readonly CursorKind[] = ['end-of-line', 'mid-line', 'new-line'];

export function cursorKind(prompt: Prompt): CursorKind {
  const { linePrefix, lineSuffix } = cursorLine(prompt);
  if (lineSuffix.trim() !== '') return 'mid-line';
  return linePrefix.trim() === '' ? 'new-line' : 'end-of-line';
}
