/**
 * repositoryModel.ts: what the completion path needs of the repository as a language model, for the
 * model that serves: the vocabulary's bytes, the workspace's token suffix array, and the mixture
 * weights. Each is derived once per tokenizer and workspace version and reused across requests.
 */
import type { NativeTokenizer } from '../addon';
import type { WorkspaceContext } from '../../shared/context/workspaceContext';
import { DEFAULT_WEIGHTS, type MixtureWeights } from './mixtureWeights';
import { Vocabulary } from './vocabulary';
import { WorkspaceTokens, type RepositoryIndex } from './workspaceTokens';

export class RepositoryModel {
  private vocabulary: { tokenizer: NativeTokenizer; vocabulary: Vocabulary } | undefined;
  private readonly tokens = new WorkspaceTokens();
  weights: MixtureWeights = DEFAULT_WEIGHTS;

  for(workspace: WorkspaceContext, tokenizer: NativeTokenizer): { vocabulary: Vocabulary; repository?: RepositoryIndex; weights: MixtureWeights } {
    if (this.vocabulary?.tokenizer !== tokenizer) this.vocabulary = { tokenizer, vocabulary: new Vocabulary(tokenizer) };
    return { vocabulary: this.vocabulary.vocabulary, repository: this.tokens.indexFor(workspace, tokenizer), weights: this.weights };
  }
}
