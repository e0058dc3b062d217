/**
 * repositoryModel.ts: what the completion path needs of the repository as a language model, for the
 * model that serves: the vocabulary's bytes, the workspace's token suffix array, and the mixture
 * weights (fitted after training, mixtureFile.ts; the defaults otherwise). Each is derived once per
 * loaded model and workspace version and reused across requests.
 */
import type { NativeTokenizer } from '../addon';
import type { WorkspaceContext } from '../../shared/context/workspaceContext';
import { readMixtureWeights } from './mixtureFile';
import { DEFAULT_WEIGHTS, type MixtureWeights } from './mixtureWeights';
import { Vocabulary } from './vocabulary';
import { WorkspaceTokens, type RepositoryIndex, type SuffixSorter } from './workspaceTokens';

export class RepositoryModel {
  /** Per loaded model (a reload makes a new tokenizer object): its vocabulary and fitted weights. */
  private model: { tokenizer: NativeTokenizer; vocabulary: Vocabulary; weights: MixtureWeights } | undefined;
  private readonly tokens: WorkspaceTokens;

  constructor(sort: SuffixSorter, private readonly log: (message: string) => void) {
    this.tokens = new WorkspaceTokens(sort);
  }

  /**
   * What a completion needs now. A stale workspace index (files saved since) serves while its rebuild
   * runs in the background; only with no index at all for this vocabulary does the completion wait
   * for the first build, so that what a request gets does not depend on timing.
   */
  async for(workspace: WorkspaceContext, tokenizer: NativeTokenizer, checkpointPath: string | undefined): Promise<{ vocabulary: Vocabulary; repository?: RepositoryIndex; weights: MixtureWeights }> {
    if (this.model?.tokenizer !== tokenizer) {
      const fitted = checkpointPath ? readMixtureWeights(checkpointPath) : undefined;
      this.model = { tokenizer, vocabulary: new Vocabulary(tokenizer), weights: fitted ?? DEFAULT_WEIGHTS };
    }
    const { vocabulary, weights } = this.model;
    if (!this.tokens.isCurrent(workspace, tokenizer)) {
      const building = this.index(workspace, tokenizer);
      if (!this.tokens.latest(tokenizer)) await building;
    }
    return { vocabulary, repository: this.tokens.latest(tokenizer), weights };
  }

  /** Builds (or joins the build of) the index of this workspace state; resolves when it serves. */
  async index(workspace: WorkspaceContext, tokenizer: NativeTokenizer): Promise<RepositoryIndex | undefined> {
    try {
      const index = await this.tokens.refresh(workspace, tokenizer);
      if (index) this.log(`repository index: ${index.array.size} tokens of ${index.ranges.size} files in ${index.buildMs.toFixed(0)} ms`);
      return index;
    } catch (err) {
      this.log(`repository index failed (completions search the open document only): ${(err as Error).message}`);
      return undefined;
    }
  }
}
