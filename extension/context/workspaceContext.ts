/**
 * workspaceContext.ts: what the completer knows of the workspace beyond the open document: the
 * retrieval index (repoIndex.ts) and the text that copy candidates come from (copyIndex.ts), kept
 * together so a file change updates both. Pure: the engine process feeds it file contents.
 */
import { bestCopy, copyCandidates, matchInPrefix, type CopyMatch } from './copyIndex';
import { RepoIndex } from './repoIndex';

/** An earlier match in the document shorter than this (a letter or two) is chance, not a repeat. */
const MIN_OWN_MATCH = 4;

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
   * The copy candidate at a cursor: the longest match in the document's own prefix or in the other
   * files. (The current file's indexed text is left out: it is the document being edited.)
   */
  copy(prefix: string, path?: string): CopyMatch {
    return bestCopy(this.corpusText(path), prefix);
  }

  /**
   * Up to `limit` distinct copy candidates for ranking: the document's own longest earlier match
   * first (when at least MIN_OWN_MATCH characters matched), then the other files' (copyCandidates).
   */
  candidates(prefix: string, limit: number, path?: string): CopyMatch[] {
    const own = matchInPrefix(prefix);
    const out = own.continuation.trim() !== '' && own.matchLength >= MIN_OWN_MATCH ? [own] : [];
    for (const c of copyCandidates(this.corpusText(path), prefix, limit)) {
      if (out.length >= limit) break;
      if (!out.some((o) => o.continuation.trimEnd() === c.continuation.trimEnd())) out.push(c);
    }
    return out;
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
