/**
 * workspaceContext.ts: what the completer knows of the workspace beyond the open document: the
 * retrieval index (repoIndex.ts) and the text that copy candidates come from (copyIndex.ts), kept
 * together so a file change updates both. Pure: the engine process feeds it file contents.
 */
import { bestCopy, filesSource, rankedCopies, textSource, type CopyMatch, type CopySource } from './copyIndex';
import { GramFilter } from './gramFilter';
import { RepoIndex } from './repoIndex';

/** From this size on (characters of all files), the copy search goes file by file behind filters. */
export const FILTERED_SEARCH_MIN_CHARS = 2_000_000;

export class WorkspaceContext {
  readonly index = new RepoIndex();
  private readonly texts = new Map<string, string>();
  private joined: string | undefined = '';
  private joinedWithout: { path: string; text: string } | undefined;
  /** Per-file window filters (see corpusSource), built with each file: in the engine process that is
   * while indexing, off the serving lane. */
  private readonly filters = new Map<string, GramFilter>();
  private totalChars = 0;

  /** Goes up with every change, so derived indexes (the engine's token suffix array) know when to rebuild. */
  private changes = 0;

  get fileCount(): number { return this.texts.size; }

  get version(): number { return this.changes; }

  /** Every file's path and text. */
  files(): IterableIterator<[string, string]> { return this.texts.entries(); }

  setFile(path: string, text: string): void {
    this.index.setFile(path, text);
    this.totalChars += text.length - (this.texts.get(path)?.length ?? 0);
    this.texts.set(path, text);
    this.filters.set(path, new GramFilter(text));
    this.changed();
  }

  removeFile(path: string): void {
    this.index.removeFile(path);
    const text = this.texts.get(path);
    if (text === undefined) return;
    this.totalChars -= text.length;
    this.texts.delete(path);
    this.filters.delete(path);
    this.changed();
  }

  private changed(): void {
    this.changes++;
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
    return bestCopy(before, after, this.corpusSource(path));
  }

  /** Up to `limit` distinct copy candidates for ranking, best first (copyIndex.ts rankedCopies). */
  candidates(before: string, after: string, limit: number, path?: string): CopyMatch[] {
    return rankedCopies(before, after, this.corpusSource(path), limit);
  }

  /**
   * The other files as a copy source. A small workspace is searched as one joined text; a large one
   * file by file, each behind a GramFilter, so a search touches only the files that may hold the
   * context (seedling bench copy: the joined text costs about 2.6 ms per MB and search).
   */
  private corpusSource(excludePath?: string): CopySource {
    if (this.totalChars < FILTERED_SEARCH_MIN_CHARS) return textSource(this.corpusText(excludePath));
    const files: { text: string; filter: GramFilter }[] = [];
    for (const [path, text] of this.texts) if (path !== excludePath) files.push({ text, filter: this.filters.get(path)! });
    return filesSource(files);
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
