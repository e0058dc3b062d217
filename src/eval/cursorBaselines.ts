/**
 * cursorBaselines.ts: the two non-neural baselines as systems of the cursor evaluation. Each writes
 * the rest of the line from the text before the cursor (copying the longest match from the training
 * files, or a character 12-gram model of them); at a mid-line cursor the text right of the cursor is
 * cut off its end, as the editor's post-processing does for the model.
 */
import { CopyBaseline } from './copyBaseline';
import type { SourceFile } from './evalTasks';
import { NgramBaseline } from './ngramBaseline';
import type { CursorSystem } from './runCursorEval';
import type { CursorTask } from './cursorTasks';

/** The text every baseline learns from: the training files joined as one stream. */
export function trainingText(train: SourceFile[]): string {
  return train.map((f) => f.text).join('\n');
}

/** A mid-line suggestion that re-types the rest of the line ends before it. */
export function withoutLineSuffixEcho(line: string, task: CursorTask): string {
  if (task.kind !== 'mid-line') return line;
  const nl = task.after.indexOf('\n');
  const rest = (nl < 0 ? task.after : task.after.slice(0, nl)).trimEnd();
  const at = rest.length > 0 ? line.lastIndexOf(rest) : -1;
  return at > 0 && at + rest.length >= line.trimEnd().length ? line.slice(0, at) : line;
}

export function baselineAnswers(train: SourceFile[]): CursorSystem[] {
  const text = trainingText(train);
  const copy = new CopyBaseline(text);
  const ngram = new NgramBaseline(text);
  return [
    { name: 'copy', answer: async (t) => ({ text: withoutLineSuffixEcho(copy.complete(t.before), t) }) },
    { name: 'char-12-gram', answer: async (t) => ({ text: withoutLineSuffixEcho(ngram.complete(t.before), t) }) },
  ];
}
