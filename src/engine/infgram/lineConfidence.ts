/**
 * lineConfidence.ts: what the mixture of the GPT and the repository's ∞-gram says of a suggested line,
 * token by token, the line's end included (at a mid-line cursor the span stops where the kept text
 * begins, so no end is scored). Whichever decoder wrote the line, the same measure judges it, so one
 * threshold means the same thing for copied and written lines; confidence.ts turns it into the
 * estimate that the line is kept.
 */
import type { NativeSession, NativeTokenizer } from '../addon';
import type { LineScore } from '../../shared/protocol';
import { repositoryNext, type RepositoryView } from './mixedDecode';
import type { MixtureWeights } from './mixtureWeights';

export interface LineConfidenceInput {
  session: NativeSession;
  tokenizer: NativeTokenizer;
  /** The model's prompt, healed (what mixedDecode started from). */
  prompt: Int32Array;
  healed: string;
  line: string;
  endsLine: boolean;
  repository: RepositoryView;
  weights: MixtureWeights;
}


export type { LineScore };

export async function lineConfidence(input: LineConfidenceInput): Promise<LineScore> {
  const candidate = input.tokenizer.encode(input.healed + input.line + (input.endsLine ? '\n' : ''));
  if (candidate.length === 0) return { logP: 0, minLogP: 0, tokens: 0, modelLogP: 0, modelMinLogP: 0, startMatch: 0, startShare: 0 };
  const { logprobs } = await input.session.score(input.prompt, candidate);
  const history = Array.from(input.repository.document.subarray(0, input.repository.documentBefore));
  const score: LineScore = { logP: 0, minLogP: 0, tokens: candidate.length, modelLogP: 0, modelMinLogP: 0, startMatch: 0, startShare: 0 };
  for (let i = 0; i < candidate.length; i++) {
    const repo = repositoryNext(input.repository, history);
    const q = repo.probabilities.get(candidate[i]) ?? 0;
    if (i === 0 && repo.total > 0) {
      score.startMatch = repo.matchLength;
      score.startShare = q;
    }
    const lambda = repo.total > 0 ? input.weights.at(repo.matchLength, repo.total) : 0;
    const p = (1 - lambda) * Math.exp(logprobs[i]) + lambda * q;
    const lp = Math.log(Math.max(p, 1e-30));
    score.logP += lp;
    score.minLogP = Math.min(score.minLogP, lp);
    score.modelLogP += logprobs[i];
    score.modelMinLogP = Math.min(score.modelMinLogP, logprobs[i]);
    history.push(candidate[i]);
  }
  return score;
}
