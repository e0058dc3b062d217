/**
 * suggestion.ts: what is shown at a cursor. The one function the inline provider, `seedling
 * complete` and `seedling eval` all reach (through the engine's `complete` method, with the request
 * the editor sends): it tells the cursor kind from the text, shapes the generation (one line inside
 * a line, else up to the end of the block), writes the suggestion with the kind's decoder, cuts it as
 * the editor shows it (postprocess.ts), and withholds it when the estimate that it is kept is low.
 */
import { takeHead, takeTail, type Prompt } from '../shared/completion/promptBuilder';
import { cursorKind, type CursorKind } from '../shared/completion/cursorKind';
import { firstLine, generationShape, postprocess } from '../shared/completion/postprocess';
import type { CompleteParams, Decoder, StopReason } from '../shared/protocol';
import type { CompleteResult, NativeCancelToken } from './addon';
import { completeAtCursor, copiesAt, type CompletionDeps } from './cursorCompletion';
import { keptProbability } from '../shared/completion/confidence';
import { lineConfidence, type LineScore } from './infgram/lineConfidence';
import { mixedDecode, type RepositoryView } from './infgram/mixedDecode';
import type { MixtureWeights } from './infgram/mixtureWeights';
import { SEPARATOR } from './infgram/tokenSuffixArray';
import type { Vocabulary } from './infgram/vocabulary';
import type { RepositoryIndex } from './infgram/workspaceTokens';

/**
 * The decoder each kind of cursor gets by default, chosen by `seedling eval` on code bases outside
 * the evaluation targets (asyncio, rxjs; docs/quality.md): the line copied from the best match on both
 * sides of the cursor beat the token-level mixture at every kind, so the mixture writes only where
 * nothing can be copied (and judges every line, lineConfidence.ts).
 */
export const DEFAULT_DECODERS: Record<CursorKind, Decoder> = {
  'end-of-line': 'copy-or-mixture',
  'mid-line': 'copy-or-mixture',
  'new-line': 'copy-or-mixture',
};

/**
 * The mixture decodes in this process, one engine call per token (about 1-2 ms each on two threads):
 * past this many tokens a suggestion would cost more than the latency budget allows, and lines beyond
 * the first two are rarely right (docs/quality.md, "lines right").
 */
const MIXTURE_MAX_TOKENS = 24;

/** How much of the document around the cursor the ∞-gram searches (characters, cut at lines). */
const DOCUMENT_BEFORE_CHARS = 24_000;
const DOCUMENT_AFTER_CHARS = 8_000;

export interface SuggestionDeps extends CompletionDeps {
  vocabulary: Vocabulary;
  repository?: RepositoryIndex;
  weights: MixtureWeights;
}

export interface Suggestion {
  kind: CursorKind;
  /** What the editor shows ('' for nothing). */
  text: string;
  /** The suggestion before the confidence threshold. */
  candidate: string;
  confidence?: number;
  /** What the mixture says of the first line (the confidence's inputs). */
  lineScore?: LineScore;
  source: 'model' | 'copy';
  copiedShare?: number;
  promptTokens: number;
  reusedTokens: number;
  generatedTokens: number;
  stoppedBy: StopReason;
}

export async function suggestAtCursor(
  deps: SuggestionDeps,
  params: CompleteParams,
  generation: { maxTokens: number; temperature: number; cancel: NativeCancelToken },
): Promise<Suggestion> {
  const prompt: Prompt = { prefix: params.prefix ?? '', suffix: params.suffix ?? '' };
  const kind = cursorKind(prompt);
  const shape = generationShape(prompt, generation.maxTokens);
  const decoder = params.decoder ?? DEFAULT_DECODERS[kind];
  // The session builds the model's prompt (prefix mode, healed) and runs it: the mixture decodes on
  // from there, and every decoder's line is judged from there.
  const built = await deps.session.complete(deps.tokenizer, prompt.prefix, prompt.suffix, {
    maxTokens: 0, maxPromptTokens: deps.contextLength - shape.maxTokens, promptMode: 'prefix', heal: true, returnPrompt: true,
    cancel: generation.cancel,
  });
  const repository = repositoryView(deps, params, prompt, built.healed);
  const context: WriteContext = { deps, params, prompt, kind, shape, generation, built, repository };
  // Every candidate the decoder writes is cut as the editor shows it and judged by the same mixture;
  // the most confident one is the suggestion.
  let best: Judged | undefined;
  for (const write of WRITERS[decoder]) {
    const written = await write(context);
    if (!written) continue;
    const judged = await judge(context, written);
    if (!best || (judged.confidence ?? -1) > (best.confidence ?? -1)) best = judged;
    if (generation.cancel.cancelled) break;
  }
  const { written, text, confidence, lineScore } = best ?? { written: emptyWritten(built), text: '', confidence: undefined, lineScore: undefined };
  // Shown when there is something to show and it clears the threshold (a line judged with no
  // confidence, as when the request was cancelled mid-way, is not held back).
  const shown = text.trim() !== '' && (confidence === undefined || confidence >= (params.minConfidence ?? 0)) ? text : '';
  return { ...written, kind, text: shown, candidate: text, confidence, lineScore };
}

interface WriteContext {
  deps: SuggestionDeps;
  params: CompleteParams;
  prompt: Prompt;
  kind: CursorKind;
  shape: { maxTokens: number; stop: string[] };
  generation: { maxTokens: number; temperature: number; cancel: NativeCancelToken };
  built: CompleteResult;
  repository: RepositoryView;
}

type Writer = (c: WriteContext) => Promise<Written | undefined>;
interface Judged { written: Written; text: string; confidence?: number; lineScore?: LineScore }

/** The line copied from the best match of the text around the cursor (copyIndex.ts), if any. */
const writeCopy: Writer = async ({ deps, params, built }) => {
  const copies = copiesAt(deps, params, 1);
  if (copies.length === 0 || copies[0].continuation.trim() === '') return undefined;
  return { text: copies[0].continuation, source: 'copy', copiedShare: 1, promptTokens: built.promptTokens, reusedTokens: built.reusedTokens, generatedTokens: 0, stoppedBy: 'stop' };
};

/** Greedy decoding from the GPT mixed with the repository's ∞-gram (mixedDecode.ts). */
const writeMixture: Writer = async ({ deps, kind, shape, generation, built, repository }) => {
  const r = await mixedDecode({
    session: deps.session, vocabulary: deps.vocabulary, prompt: built.prompt!, healed: built.healed, repository,
    weights: deps.weights, maxTokens: Math.min(shape.maxTokens, MIXTURE_MAX_TOKENS), singleLine: kind === 'mid-line', cancel: generation.cancel,
  });
  const copied = r.copied.filter(Boolean).length;
  return {
    // The healed text was the end of the prefix: the suggestion is what follows it.
    text: r.text.startsWith(built.healed) ? r.text.slice(built.healed.length) : r.text,
    source: copied * 2 > r.tokens.length ? 'copy' : 'model', copiedShare: r.tokens.length ? copied / r.tokens.length : 0,
    promptTokens: built.promptTokens, reusedTokens: built.reusedTokens, generatedTokens: r.tokens.length, stoppedBy: r.stoppedBy,
  };
};

/** The model alone, by the engine's own decoding loop. */
const writeModel: Writer = async ({ deps, params, shape, generation }) => {
  const r = await completeAtCursor(deps, { ...params, stop: shape.stop }, { ...generation, maxTokens: shape.maxTokens });
  return { text: r.text, source: r.source, copiedShare: 0, promptTokens: r.promptTokens, reusedTokens: r.reusedTokens, generatedTokens: r.generatedTokens, stoppedBy: r.stoppedBy };
};

/** The copy where there is one, else the next writer. */
function orElse(first: Writer, second: Writer): Writer {
  return async (c) => (await first(c)) ?? second(c);
}

/** What each decoder writes: one candidate, or several that the confidence ranks. */
const WRITERS: Record<Decoder, Writer[]> = {
  mixture: [writeMixture],
  'copy-switch': [orElse(writeCopy, writeModel)],
  'copy-or-mixture': [orElse(writeCopy, writeMixture)],
  ranked: [writeCopy, writeMixture],
  model: [writeModel],
};

async function judge(c: WriteContext, written: Written): Promise<Judged> {
  const text = c.params.raw ? written.text : postprocess(written.text, c.prompt);
  const line = firstLine(text);
  if (line.trim() === '' || c.generation.cancel.cancelled) return { written, text };
  const lineScore = await lineConfidence({
    session: c.deps.session, tokenizer: c.deps.tokenizer, prompt: c.built.prompt!, healed: c.built.healed, line,
    endsLine: c.kind !== 'mid-line', repository: c.repository, weights: c.deps.weights,
  });
  return { written, text, lineScore, confidence: keptProbability(c.kind, lineScore) };
}

function emptyWritten(built: CompleteResult): Written {
  return { text: '', source: 'model', copiedShare: 0, promptTokens: built.promptTokens, reusedTokens: built.reusedTokens, generatedTokens: 0, stoppedBy: 'stop' };
}

type Written = Omit<Suggestion, 'kind' | 'text' | 'candidate' | 'confidence' | 'lineScore'> & { text: string };

/** The document around the cursor in tokens (the text healing took off left out) and the workspace. */
function repositoryView(deps: SuggestionDeps, params: CompleteParams, prompt: Prompt, healed: string): RepositoryView {
  const before = params.copyBefore ?? prompt.prefix;
  const after = params.copyAfter ?? prompt.suffix;
  const beforeTokens = deps.tokenizer.encode(takeTail(before.slice(0, before.length - healed.length), DOCUMENT_BEFORE_CHARS));
  const afterTokens = deps.tokenizer.encode(takeHead(after, DOCUMENT_AFTER_CHARS));
  const document = new Int32Array(beforeTokens.length + 1 + afterTokens.length);
  document.set(beforeTokens);
  document[beforeTokens.length] = SEPARATOR;
  document.set(afterTokens, beforeTokens.length + 1);
  const r = deps.repository;
  return {
    document, documentBefore: beforeTokens.length,
    ...(r ? { workspace: { array: r.array, skip: params.path ? r.ranges.get(params.path) : undefined } } : {}),
  };
}
