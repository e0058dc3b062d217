/**
 * workspaceTokens.ts: the workspace's ∞-gram index, kept in step with the workspace the engine
 * serves (indexFiles, updateFile) and the tokenizer of the model that serves. Builds run off the
 * serving lane: files are encoded in slices that yield to waiting requests, and the suffix sort runs
 * on a worker thread (sl_suffix_sort). Completions use the latest finished index meanwhile (the open
 * document itself is always searched live, documentMatches.ts).
 */
import { createHash } from 'node:crypto';
import type { NativeTokenizer } from '../addon';
import type { WorkspaceContext } from '../../shared/context/workspaceContext';
import { MAX_DEPTH, TokenSuffixArray } from './tokenSuffixArray';

export interface RepositoryIndex {
  array: TokenSuffixArray;
  /** Token range of each file in the array, to leave the open document's saved copy out. */
  ranges: Map<string, [number, number]>;
  /** Which workspace state it was built from. */
  workspace: WorkspaceContext;
  version: number;
  buildMs: number;
}

export type SuffixSorter = (tokens: Uint16Array, depth: number) => Promise<Int32Array>;

/** Encoding yields to waiting requests after this much work (ms). */
const ENCODE_SLICE_MS = 8;

/**
 * Tokenizers by what they are, not which object holds them: a reloaded checkpoint (training writes one
 * every few minutes) brings the same vocabulary in a new object, and must not cost a rebuild.
 */
const tokenizerKeys = new WeakMap<NativeTokenizer, string>();
function tokenizerKey(tokenizer: NativeTokenizer): string {
  let key = tokenizerKeys.get(tokenizer);
  if (key === undefined) {
    key = createHash('sha256').update(tokenizer.serialize()).digest('hex');
    tokenizerKeys.set(tokenizer, key);
  }
  return key;
}

export class WorkspaceTokens {
  private built: { tokenizer: string; index: RepositoryIndex } | undefined;
  private building: { workspace: WorkspaceContext; version: number; tokenizer: string; done: Promise<RepositoryIndex | undefined> } | undefined;
  /** Tokens per file, reused across rebuilds while the file's text and the tokenizer stay the same. */
  private readonly encoded = new Map<string, { text: string; tokens: Int32Array }>();
  private encodedWith: string | undefined;

  constructor(private readonly sort: SuffixSorter) {}

  /** The latest finished index for this tokenizer, whichever workspace state it was built from. */
  latest(tokenizer: NativeTokenizer): RepositoryIndex | undefined {
    return this.built?.tokenizer === tokenizerKey(tokenizer) ? this.built.index : undefined;
  }

  isCurrent(workspace: WorkspaceContext, tokenizer: NativeTokenizer): boolean {
    const index = this.latest(tokenizer);
    return index !== undefined && index.workspace === workspace && index.version === workspace.version;
  }

  /** An index of this workspace state for this tokenizer: the finished one, the one being built, or a new build. */
  refresh(workspace: WorkspaceContext, tokenizer: NativeTokenizer): Promise<RepositoryIndex | undefined> {
    if (this.isCurrent(workspace, tokenizer)) return Promise.resolve(this.latest(tokenizer));
    const key = tokenizerKey(tokenizer);
    const b = this.building;
    if (b && b.workspace === workspace && b.version === workspace.version && b.tokenizer === key) return b.done;
    const done = this.build(workspace, workspace.version, tokenizer, key);
    this.building = { workspace, version: workspace.version, tokenizer: key, done };
    return done;
  }

  private async build(workspace: WorkspaceContext, version: number, tokenizer: NativeTokenizer, key: string): Promise<RepositoryIndex | undefined> {
    if (workspace.fileCount === 0) return undefined;
    const started = performance.now();
    if (this.encodedWith !== key) {
      this.encoded.clear();
      this.encodedWith = key;
    }
    const paths: string[] = [];
    const files: Int32Array[] = [];
    let slice = performance.now();
    for (const [path, text] of [...workspace.files()]) {
      let e = this.encoded.get(path);
      if (!e || e.text !== text) {
        e = { text, tokens: tokenizer.encode(text) };
        this.encoded.set(path, e);
      }
      paths.push(path);
      files.push(e.tokens);
      if (performance.now() - slice > ENCODE_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = performance.now();
      }
    }
    const kept = new Set(paths);
    for (const path of this.encoded.keys()) if (!kept.has(path)) this.encoded.delete(path);
    const tokens = TokenSuffixArray.join(files);
    const array = TokenSuffixArray.fromSorted(tokens, await this.sort(tokens, MAX_DEPTH));
    const starts = TokenSuffixArray.fileStarts(files);
    const ranges = new Map<string, [number, number]>();
    paths.forEach((p, i) => ranges.set(p, [starts[i], starts[i + 1]]));
    const index: RepositoryIndex = { array, ranges, workspace, version, buildMs: performance.now() - started };
    // A slower, older build must not replace a newer one.
    const current = this.latest(tokenizer);
    if (!current || current.workspace !== workspace || current.version <= version) this.built = { tokenizer: key, index };
    return index;
  }
}
