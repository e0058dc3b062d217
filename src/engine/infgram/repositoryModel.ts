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
import { WorkspaceTokens, type RepositoryIndex } from './workspaceTokens';

export class RepositoryModel {
  /** Per loaded model (a reload makes a new tokenizer object): its vocabulary and fitted weights. */
  private model: { tokenizer: NativeTokenizer; vocabulary: Vocabulary; weights: MixtureWeights } | undefined;
  private readonly tokens = new WorkspaceTokens();

  for(workspace: WorkspaceContext, tokenizer: NativeTokenizer, checkpointPath: string | undefined): { vocabulary: Vocabulary; repository?: RepositoryIndex; weights: MixtureWeights } {
    if (this.model?.tokenizer !== tokenizer) {
      const fitted = checkpointPath ? readMixtureWeights(checkpointPath) : undefined;
      this.model = { tokenizer, vocabulary: new Vocabulary(tokenizer), weights: fitted ?? DEFAULT_WEIGHTS };
    }
    return { vocabulary: this.model.vocabulary, repository: this.tokens.indexFor(workspace, tokenizer), weights: this.model.weights };
  }
}
