/**
 * mixedDecode.ts: greedy decoding from the mixture of the GPT and the repository's ∞-gram, token by
 * token. At each step the model's next-token distribution is mixed with the distribution of the
 * tokens that followed the longest match of the context in the document and the workspace:
 *
 *     p(t) = (1 - λ) p_gpt(t) + λ p_repo(t),   λ = weights.at(match length)
 *
 * so where the repository repeats itself the mixture copies, line after line, and where it does not
 * the model writes. The loop runs here rather than in C because the ∞-gram lives in this process;
 * each step asks the session for one more position's logits (its KV cache holds the rest).
 */
import type { StopReason } from '../../shared/protocol';
import type { NativeCancelToken, NativeSession } from '../addon';
import { documentNext, longerMatch } from './documentMatches';
import type { MixtureWeights } from './mixtureWeights';
import type { NextTokens, TokenSuffixArray } from './tokenSuffixArray';
import type { Vocabulary } from './vocabulary';

/** Where the ∞-gram looks: the open document around the cursor and the workspace's suffix array. */
export interface RepositoryView {
  /** The document's tokens: before the cursor (healed off), SEPARATOR, after it. */
  document: Int32Array;
  /** How many of `document`'s tokens lie before the cursor. */
  documentBefore: number;
  /** The workspace, less `skip` (the open document's saved copy). */
  workspace?: { array: TokenSuffixArray; skip?: readonly [number, number] };
}

export interface MixedDecodeInput {
  session: NativeSession;
  vocabulary: Vocabulary;
  /** The model's prompt (as the session built it, healed). */
  prompt: Int32Array;
  /** Text the answer must start with: what token healing took off the prompt. */
  healed: string;
  repository: RepositoryView;
  weights: MixtureWeights;
  maxTokens: number;
  /** Stop at the first newline (a one-line suggestion). */
  singleLine: boolean;
  cancel?: NativeCancelToken;
}

export interface MixedDecodeResult {
  /** The generated text, healed part included. */
  text: string;
  tokens: number[];
  /** log p(token) under the mixture, per generated token. */
  logProbs: number[];
  /** Per token: did the repository (rather than the model) contribute most of its probability? */
  copied: boolean[];
  /** Longest repository match at each step. */
  matchLengths: number[];
  stoppedBy: StopReason;
}

/** Special ids of the engine's tokenizer (native/include/seedling.h). */
const EOT = 256;
const FIRST_SPECIAL = 256;
const LAST_SPECIAL = 260;

export async function mixedDecode(input: MixedDecodeInput): Promise<MixedDecodeResult> {
  const { session, vocabulary, weights } = input;
  const required = Buffer.from(input.healed, 'utf8');
  const history = Array.from(input.repository.document.subarray(0, input.repository.documentBefore));
  const generated: number[] = [];
  const out: MixedDecodeResult = { text: '', tokens: generated, logProbs: [], copied: [], matchLengths: [], stoppedBy: 'budget' };
  const bytes: Buffer[] = [];
  let produced = 0;
  const prompt = new Int32Array(input.prompt.length + input.maxTokens);
  prompt.set(input.prompt);
  const probs = new Float64Array(vocabulary.size);

  for (let step = 0; step < input.maxTokens; step++) {
    if (input.cancel?.cancelled) {
      out.stoppedBy = 'cancelled';
      break;
    }
    const logits = await session.logits(prompt.subarray(0, input.prompt.length + step));
    softmaxInto(logits, probs);
    const repo = repositoryNext(input.repository, history);
    const lambda = repo.total > 0 ? weights.at(repo.matchLength, repo.total) : 0;
    const healing = produced < required.length ? required.subarray(produced) : undefined;
    let best = -1;
    let bestP = -1;
    for (let t = 0; t < probs.length; t++) {
      if (t >= FIRST_SPECIAL && t <= LAST_SPECIAL && t !== EOT) continue;
      if (healing && (t === EOT || !vocabulary.agreesWith(t, healing))) continue;
      const p = (1 - lambda) * probs[t] + lambda * (repo.probabilities.get(t) ?? 0);
      if (p > bestP) {
        bestP = p;
        best = t;
      }
    }
    if (best < 0) break;
    out.logProbs.push(Math.log(Math.max(bestP, 1e-30)));
    out.copied.push(lambda * (repo.probabilities.get(best) ?? 0) > (1 - lambda) * probs[best]);
    out.matchLengths.push(repo.matchLength);
    if (best === EOT) {
      out.stoppedBy = 'end-of-text';
      break;
    }
    generated.push(best);
    history.push(best);
    prompt[input.prompt.length + step] = best;
    const piece = vocabulary.bytes(best);
    bytes.push(piece);
    produced += piece.length;
    if (produced > required.length && input.singleLine && piece.includes(0x0a)) {
      out.stoppedBy = 'stop';
      break;
    }
    if (!input.singleLine && produced > required.length && endsWithBlankLines(bytes)) {
      out.stoppedBy = 'stop';
      break;
    }
  }
  out.text = Buffer.concat(bytes).toString('utf8');
  return out;
}

/** The ∞-gram's answer for a context: the longer of the document's and the workspace's matches. */
export function repositoryNext(view: RepositoryView, history: ArrayLike<number>): NextTokens {
  const inDocument = documentNext(view.document, history);
  if (!view.workspace) return inDocument;
  return longerMatch(inDocument, view.workspace.array.next(history, history.length, -1, view.workspace.skip));
}

function softmaxInto(logits: Float32Array, out: Float64Array): void {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < logits.length; i++) out[i] /= sum;
}

/** Two blank lines end any block (the same stop the block shape gives the engine's own loop). */
function endsWithBlankLines(pieces: Buffer[]): boolean {
  let newlines = 0;
  for (let i = pieces.length - 1; i >= 0 && newlines < 3; i--) {
    const b = pieces[i];
    for (let k = b.length - 1; k >= 0; k--) {
      if (b[k] === 0x0a) newlines++;
      else if (b[k] !== 0x20 && b[k] !== 0x09 && b[k] !== 0x0d) return false;
      if (newlines >= 3) return true;
    }
  }
  return newlines >= 3;
}
