/**
 * copyBaseline.ts: the "longest-match copy" baseline. Find the longest suffix of the prefix (up to
 * 64 characters) that occurs somewhere in the training text and copy what follows it there, to the
 * end of that line. Strong on repetitive code, and exactly what a model must beat to be worth its
 * cost. (The matching itself lives in context/copyIndex.ts: the completer ranks the same candidate.)
 */
import { matchInText } from '../shared/context/copyIndex';

export class CopyBaseline {
  constructor(private readonly text: string) {}

  /** The rest of the line after the longest matching context, or "" when nothing matches. */
  complete(prefix: string): string {
    return matchInText(this.text, prefix).continuation;
  }
}
