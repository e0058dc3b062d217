/**
 * workspaceTokens.ts: the workspace's ∞-gram index, kept in step with the workspace the engine
 * serves (indexFiles, updateFile) and with the tokenizer of the model that serves: both change, and
 * the suffix array is rebuilt on the next completion after either did.
 */
import type { NativeTokenizer } from '../addon';
import type { WorkspaceContext } from '../../shared/context/workspaceContext';
import { TokenSuffixArray } from './tokenSuffixArray';

export interface RepositoryIndex {
  array: TokenSuffixArray;
  /** Token range of each file in the array, to leave the open document's saved copy out. */
  ranges: Map<string, [number, number]>;
  buildMs: number;
}

export class WorkspaceTokens {
  private built: { workspace: WorkspaceContext; version: number; tokenizer: NativeTokenizer; index: RepositoryIndex } | undefined;
  /** Tokens per file, reused across rebuilds while the file's text and the tokenizer stay the same. */
  private readonly encoded = new Map<string, { text: string; tokens: Int32Array }>();
  private encodedWith: NativeTokenizer | undefined;

  /** The index for this workspace and tokenizer, (re)built if either changed since the last call. */
  indexFor(workspace: WorkspaceContext, tokenizer: NativeTokenizer): RepositoryIndex | undefined {
    if (workspace.fileCount === 0) return undefined;
    const b = this.built;
    if (b && b.workspace === workspace && b.version === workspace.version && b.tokenizer === tokenizer) return b.index;
    const started = performance.now();
    if (this.encodedWith !== tokenizer) {
      this.encoded.clear();
      this.encodedWith = tokenizer;
    }
    const paths: string[] = [];
    const files: Int32Array[] = [];
    const seen = new Set<string>();
    for (const [path, text] of workspace.files()) {
      let e = this.encoded.get(path);
      if (!e || e.text !== text) {
        e = { text, tokens: tokenizer.encode(text) };
        this.encoded.set(path, e);
      }
      seen.add(path);
      paths.push(path);
      files.push(e.tokens);
    }
    for (const path of this.encoded.keys()) if (!seen.has(path)) this.encoded.delete(path);
    const array = TokenSuffixArray.fromFiles(files);
    const starts = TokenSuffixArray.fileStarts(files);
    const ranges = new Map<string, [number, number]>();
    paths.forEach((p, i) => ranges.set(p, [starts[i], starts[i + 1]]));
    const index = { array, ranges, buildMs: performance.now() - started };
    this.built = { workspace, version: workspace.version, tokenizer, index };
    return index;
  }
}
