/**
 * protocol.ts: the messages between the extension (or CLI) and the engine child process.
 *
 * The native engine never runs in the extension host: a crash in native code must not take VS Code
 * down. The parent forks `dist/engineProcess.js`, and they talk over Node's IPC channel:
 *   parent -> child   EngineRequest  { id, method, params }   and   CancelRequest { cancel: id }
 *   child  -> parent  EngineResponse { id, result } | { id, error }
 *                     EngineEvent    { event, id, data }  (progress of request `id`)
 * Every request carries an id; progress and cancellation refer to it.
 *
 * The channel uses Node's 'advanced' serialization (structured clone, engineClient.ts forks with it), not
 * JSON: typed arrays such as the attention weights travel as binary, NaN stays NaN (JSON made it null),
 * and a field set to undefined arrives as undefined. Messages must stay plain data: a function or a
 * class instance with private state cannot be cloned.
 */

import type { PresetName } from './presets';

export type { PresetName };

export interface ModelConfig {
  vocabSize: number;
  contextLength: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
}

export interface PingResult {
  version: string;
  kernel: string; // matmul kernel chosen at run time ("avx512", "avx2", "generic")
  threads: number;
  devices: string[]; // e.g. ["cpu"] or ["cpu", "cuda"]
}

export interface TrainParams {
  files: string[];            // absolute paths of the training documents (validation split done inside by file)
  validationFiles?: string[]; // explicit validation documents (else ~10% of files, by hash of the path)
  checkpointPath: string;     // where checkpoints are written (atomically)
  preset: PresetName;
  resume?: boolean;           // continue from checkpointPath if it holds training state
  baseModelPath?: string;     // fine-tune from this checkpoint (its tokenizer and weights)
  maxMinutes?: number;        // time budget of this run
  maxSteps?: number;          // step budget of this run
  threads?: number;
  device?: 'auto' | 'cpu' | 'cuda';
  seed?: number;
  learningRate?: number;      // peak learning rate (default: the preset's, for fine-tuning or from scratch)
  /** Evaluations without a better validation loss before the run stops (default 5; 0: never stop early,
   * for long pretraining runs whose loss rises for a while after a warm restart). */
  patience?: number;
  vocabSize?: number;         // tokenizer size when training from scratch (default: the preset's)
  evalEverySteps?: number;
  checkpointEverySteps?: number;
  samplePrompts?: string[];   // completed at each checkpoint so the user sees them improve
  /** Share of the training files (by path hash) trained as pieces preceded by related code from other
   * files, as completion prompts with retrieval show it (0 = off; default DEFAULT_CONTEXT_SHARE). */
  contextShare?: number;
  /** Share of training windows turned into fill-in-the-middle examples (default DEFAULT_FIM_RATE). */
  fimRate?: number;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;        // estimate when the budget is time
  tokensSeen: number;
  loss: number;
  valLoss?: number;          // present on evaluation steps
  learningRate: number;
  tokensPerSecond: number;
  elapsedMs: number;
  etaMs: number;
}

export interface CheckpointEvent {
  path: string;
  step: number;
  valLoss?: number;
  samples: { prompt: string; completion: string }[];
}

export interface TrainResult {
  checkpointPath: string;
  steps: number;
  tokensSeen: number;
  trainLoss: number;
  valLoss?: number;
  stoppedBy: 'budget' | 'cancelled' | 'early-stopping';
  config: ModelConfig;
  parameters: number;
  device: 'cpu' | 'cuda';     // where the run trained
}

export interface LoadModelParams {
  path: string;
  threads?: number;           // engine threads (applied when no training runs)
}
export interface LoadModelResult { config: ModelConfig; parameters: number; path: string }

/** How a completion is made (cursorCompletion.ts); omitted fields take the engine's defaults. */
export interface CompletionStrategy {
  promptMode?: 'fim' | 'prefix'; // fill-in-the-middle markers with the suffix, or the prefix alone
  heal?: boolean;                // token healing at the cursor
  retrieve?: boolean;            // related workspace code (indexFiles) into the prompt
}

export interface CompleteParams extends CompletionStrategy {
  prefix: string;
  suffix: string;
  path?: string;                 // the document's file (left out of retrieval and copying)
  /** More of the document than the prompt window holds, for copy candidates only: the text before
   * the cursor (ending with `prefix`) and after it (starting with `suffix`). Default: prefix, suffix. */
  copyBefore?: string;
  copyAfter?: string;
  maxTokens?: number;
  temperature?: number;
  /** Set only by measurements of the engine's own loop (seedling eval --variants, complete --raw):
   * the editor's requests leave it out, and the engine then shapes the suggestion by cursor kind. */
  stop?: string[];
  timeoutMs?: number;
  /** How the suggestion is written (default: by cursor kind, DEFAULT_DECODERS in the engine):
   * 'mixture' decodes from the GPT mixed token by token with the repository's ∞-gram; 'copy-switch'
   * (the line-level switch before the mixture) takes the best copied line where there is one, else the
   * model's text; 'copy-or-mixture' the best copied line, else the mixture; 'ranked' writes both the
   * copied line and the mixture's text and keeps the one the confidence prefers; 'model' the model alone. */
  decoder?: Decoder;
  /** Show nothing when the estimate that the suggestion is kept falls below this (0..1). */
  minConfidence?: number;
  /** The engine's text as generated, without the editor's post-processing. */
  raw?: boolean;
}
export type Decoder = 'mixture' | 'copy-switch' | 'copy-or-mixture' | 'ranked' | 'model';
/** Why a generation stopped: the engine's sl_stop_reason names (native/src/infer/stop_reason.c),
 * spelled once here for TypeScript; test/unit/stop-reasons.test.ts checks the two agree. */
export const STOP_REASONS = ['budget', 'end-of-text', 'stop', 'cancelled'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export interface CompleteResult {
  completion: string;
  ms: number;
  promptTokens: number;
  reusedTokens: number;
  generatedTokens?: number;
  stoppedBy?: StopReason; // 'cancelled' here means timeoutMs ran out
  source?: 'model' | 'copy';  // which candidate was chosen (mostly copied tokens: 'copy')
  contextChars?: number;      // characters of related code put into the prompt
  /** Editor-shaped requests: the cursor kind, the suggestion before the confidence threshold, and the
   * estimate that it will be kept (absent where the decoder gives none: then it is always shown). */
  kind?: 'end-of-line' | 'mid-line' | 'new-line';
  candidate?: string;
  confidence?: number;
  /** The confidence's inputs (for fitting its calibration, scripts/fit-confidence.mjs). */
  lineScore?: LineScore;
  /** Share of the suggestion's tokens that the repository (not the model) contributed most to. */
  copiedShare?: number;
}

/**
 * What the engine measured of a suggestion's first line, from which confidence.ts estimates that it is
 * kept: the sum, the least and the count of its tokens' log-probabilities under the repository
 * mixture; the same under the GPT alone (a copied line the model also believes is kept far more often
 * than one it does not); and how long a suffix of the text before the line the repository matched,
 * with the share of those matches that went on as the line does (a unanimous long match copies well,
 * a split one does not).
 */
export interface LineScore {
  logP: number;
  minLogP: number;
  tokens: number;
  modelLogP: number;
  modelMinLogP: number;
  startMatch: number;
  startShare: number;
}

/** The workspace files retrieval and copying draw on (replacing any earlier set). */
export interface IndexFilesParams { files: string[] }
export interface IndexFilesResult { files: number; chunks: number; ms: number }
/** One file changed (text) or went away (text omitted). */
export interface UpdateFileParams { path: string; text?: string }

export interface AttentionParams { text: string; maxTokens?: number }
export interface AttentionResult {
  tokens: string[];           // the text of each token (decoded bytes, lossy UTF-8 for display)
  tokenOffsets: number[];     // start offset of each token in the text (UTF-16 units, for reveal in editor)
  layers: number;
  heads: number;
  /** Every head's attention probabilities, T = tokens.length, layer-major:
   *  weights[((layer * heads + head) * T + query) * T + key]; zero where key > query (causal).
   *  A Float32Array of layers * heads * T * T values (16 MB for 4 x 4 heads over 512 tokens), sent as
   *  binary over the advanced-serialization channel. */
  weights: Float32Array;
  next: { token: string; probability: number }[]; // top next-token candidates
  ms: number;
}

export interface EngineMethods {
  ping: { params: Record<string, never>; result: PingResult };
  train: { params: TrainParams; result: TrainResult };
  loadModel: { params: LoadModelParams; result: LoadModelResult };
  complete: { params: CompleteParams; result: CompleteResult };
  attention: { params: AttentionParams; result: AttentionResult };
  indexFiles: { params: IndexFilesParams; result: IndexFilesResult };
  updateFile: { params: UpdateFileParams; result: null };
  shutdown: { params: Record<string, never>; result: null };
}
export type MethodName = keyof EngineMethods;
export type MethodParams<M extends MethodName> = EngineMethods[M]['params'];
export type MethodResult<M extends MethodName> = EngineMethods[M]['result'];

export type LogLevel = 'info' | 'warn' | 'error';
export interface LogEvent { level: LogLevel; message: string }

/** What each event name carries. */
export interface EngineEvents {
  trainProgress: TrainProgress;
  checkpoint: CheckpointEvent;
  log: LogEvent;
}
export type EventName = keyof EngineEvents;

/**
 * A request message. A union over the method names (not one object with a wide `params`), so checking
 * `method` narrows `params`.
 */
export type EngineRequest<M extends MethodName = MethodName> = { [K in M]: { id: number; method: K; params: MethodParams<K> } }[M];
export interface CancelRequest { cancel: number }

export interface EngineError { message: string; code: string } // code: the engine's status name or 'cancelled'
export type EngineResponse<M extends MethodName = MethodName> =
  | { id: number; result: MethodResult<M> }
  | { id: number; error: EngineError };

/**
 * An event message (progress of request `id`; id 0 for events of no request). A union that ties each
 * event name to its data: after `if (e.event === 'checkpoint')`, `e.data` is a CheckpointEvent.
 */
export type EngineEvent<E extends EventName = EventName> = { [K in E]: { event: K; id: number; data: EngineEvents[K] } }[E];
