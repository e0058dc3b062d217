/**
 * workspaceContext.ts: what the completer knows of the workspace beyond the open document: the
 * retrieval index (repoIndex.ts) and the text that copy candidates come from (copyIndex.ts), kept
 * together so a file change updates both. Pure: the engine process feeds it file contents.
 */
import { bestCopy, rankedCopies, type CopyMatch } from './copyIndex';
import { RepoIndex } from './repoIndex';

export class WorkspaceContext {
  readonly index = new RepoIndex();
  private readonly texts = new Map<string, string>();
  private joined: string | undefined = '';
  private joinedWithout: { path: string; text: string } | undefined;

  get fileCount(): number { return this.texts.size; }

  setFile(path: string, text: string): void {
    this.index.setFile(path, text);
    this.texts.set(path, text);
    this.changed();
  }

  removeFile(path: string): void {
    this.index.removeFile(path);
    if (this.texts.delete(path)) this.changed();
  }

  private changed(): void {
    this.joined = undefined;
    this.joinedWithout = undefined;
  }

  /** Related code for the prompt (see RepoIndex.contextFor). */
  related(prefix: string, suffix: string, maxChars: number, path?: string): string {
    return this.index.contextFor(prefix, suffix, maxChars, path);
  }

  /**
   * The best copy at a cursor: the longest match earlier or later in the document (`before` and
   * `after` the cursor) or in the other files. (The edited file's indexed text is left out: the
   * document's live text comes with the request.)
   */
  copy(before: string, after: string, path?: string): CopyMatch {
    return bestCopy(before, after, this.corpusText(path));
  }

  /** Up to `limit` distinct copy candidates for ranking, best first (copyIndex.ts rankedCopies). */
  candidates(before: string, after: string, limit: number, path?: string): CopyMatch[] {
    return rankedCopies(before, after, this.corpusText(path), limit);
  }

  /** All files joined, rebuilt after changes (at most once per change burst: on the next request). */
  private corpusText(excludePath?: string): string {
    if (excludePath !== undefined && this.texts.has(excludePath)) {
      if (this.joinedWithout?.path !== excludePath) {
        const text = [...this.texts].filter(([p]) => p !== excludePath).map(([, t]) => t).join('\n');
        this.joinedWithout = { path: excludePath, text };
      }
      return this.joinedWithout.text;
    }
    if (this.joined === undefined) this.joined = [...this.texts.values()].join('\n');
    return this.joined;
  }
}
