/**
 * addon.ts: the types of the native binding (native/addon/*.cc) and how it is found.
 *
 * Only the engine child process loads the addon: a native crash must never take the extension host
 * (or the CLI's parent process) down with it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelConfig, StopReason } from '../shared/protocol';

/** A JS Error from the engine: `code` is the engine's status name ("invalid argument", "cancelled", "busy", ...). */
export interface NativeError extends Error { code: string }

export interface NativeTokenizer {
  readonly vocabSize: number;
  readonly disposed: boolean;
  encode(text: string | Uint8Array): Int32Array;
  decode(ids: Int32Array | number[]): string;
  decode(ids: Int32Array | number[], options: { bytes: true }): Buffer;
  tokenBytes(id: number): Buffer | null;
  serialize(): Buffer;
  dispose(): void;
}

export interface NativeModel {
  readonly config: ModelConfig;
  readonly numParams: number;
  readonly disposed: boolean;
  loss(inputs: Int32Array, targets: Int32Array, B: number, T: number): Promise<number>;
  /** weights: [layer][head][query][key] row-major, zero above the diagonal. */
  /** Every layer's and head's attention over tokens; `cancel` stops it between layers (rejects with code 'cancelled'). */
  attention(tokens: Int32Array, options?: { cancel?: NativeCancelToken }): Promise<{ weights: Float32Array; nextLogits: Float32Array }>;
  dispose(): void;
}

export interface NativeDataset { readonly numTokens: number; readonly disposed: boolean; dispose(): void }

export interface TrainOptions {
  batchSize: number; seqLen: number; gradAccumSteps: number;
  learningRate: number; minLrRatio: number; warmupSteps: number; totalSteps: number;
  weightDecay: number; beta1: number; beta2: number; eps: number; gradClip: number;
  fimRate: number; fimSpmRate: number; seed: number;
}

export interface StepStats { step: number; tokensSeen: number; loss: number; gradNorm: number; learningRate: number; seconds: number }

export interface NativeTrainer {
  readonly stepCount: number;
  readonly tokensSeen: number;
  readonly options: TrainOptions;
  readonly model: NativeModel;
  readonly disposed: boolean;
  step(data: NativeDataset): Promise<StepStats>;
  evaluate(data: NativeDataset, maxBatches: number): Promise<number>;
  setOptions(options: Partial<TrainOptions>): void;
  /** Where the trainer runs: "cpu" or "cuda". */
  readonly device: Device;
  /** Move the trainer with everything learnt so far; "auto" takes CUDA when it is usable. */
  setDevice(device: DeviceChoice): void;
  dispose(): void;
}

export type Device = 'cpu' | 'cuda';
export type DeviceChoice = Device | 'auto';

export interface NativeCancelToken { cancel(): void; reset(): void; readonly cancelled: boolean }

export interface GenerateOptions {
  maxTokens?: number; temperature?: number; topK?: number; topP?: number; seed?: number;
  stop?: string[]; requiredPrefix?: string; cancel?: NativeCancelToken;
  /** complete() only: cap on the prompt's tokens (default: context minus maxTokens). */
  maxPromptTokens?: number;
}

/** complete()'s prompt options (native/addon/session.cc CompletePrompt). */
export interface CompletePromptOptions extends GenerateOptions {
  promptMode?: 'fim' | 'prefix';
  /** Back up to the last pre-token's start, constrain generation to retype it, strip it from the text. */
  heal?: boolean;
  /** Related code put first, then FILE_SEP; capped at contextMaxTokens (required with context). */
  context?: string;
  contextMaxTokens?: number;
  /** Return the prompt tokens that were run (for score()). */
  returnPrompt?: boolean;
}

export interface CompleteResult extends GenerateResult {
  healed: string;        // the text healing removed from the prefix (and from the answer)
  prompt?: Int32Array;   // with returnPrompt
}

export interface GenerateResult {
  text: string;
  promptTokens: number; reusedTokens: number; generatedTokens: number;
  stoppedBy: StopReason;
  promptMs: number; decodeMs: number;
}

export interface NativeSession {
  readonly disposed: boolean;
  reset(): void;
  generate(tok: NativeTokenizer, prompt: Int32Array, options?: GenerateOptions): Promise<GenerateResult>;
  complete(tok: NativeTokenizer, prefix: string, suffix: string, options?: CompletePromptOptions): Promise<CompleteResult>;
  logits(prompt: Int32Array): Promise<Float32Array>;
  /** Log-probability of each candidate token after the prompt; with next, the logits after the candidate. */
  score(prompt: Int32Array, candidate: Int32Array, options?: { next?: boolean }): Promise<{ logprobs: Float32Array; next?: Float32Array }>;
  dispose(): void;
}

export interface SeedlingAddon {
  Tokenizer: {
    train(docs: (string | Uint8Array)[], vocabSize: number): Promise<NativeTokenizer>;
    bytes(): NativeTokenizer;
    deserialize(bytes: Uint8Array): NativeTokenizer;
  };
  Model: { create(config: ModelConfig, seed: number): Promise<NativeModel> };
  Dataset: { create(tok: NativeTokenizer, docs: (string | Uint8Array)[]): Promise<NativeDataset> };
  Trainer: { create(model: NativeModel, options?: Partial<TrainOptions>, device?: DeviceChoice): NativeTrainer };
  Session: { create(model: NativeModel): NativeSession };
  version(): string;
  kernelName(): string;
  /** Whether training can use CUDA, and the device's name or why not (loads the CUDA library). */
  cudaStatus(): { available: boolean; detail: string };
  getThreads(): number;
  /** Only while no other engine work runs. Returns the thread count now in effect. */
  setThreads(n: number): number;
  configPreset(name: string): ModelConfig;
  configNumParams(config: ModelConfig): number;
  trainOptionsDefault(): TrainOptions;
  newCancelToken(): NativeCancelToken;
  checkpointSave(path: string, model: NativeModel, tok: NativeTokenizer, trainer?: NativeTrainer | null): Promise<void>;
  /** The suffix array of a token stream by its suffixes' first `depth` tokens (sl_suffix_sort), on a worker thread. */
  suffixSort(tokens: Uint16Array, depth: number): Promise<Int32Array>;
  checkpointLoad(path: string, options?: { trainer?: boolean }): Promise<{
    model: NativeModel; tokenizer: NativeTokenizer; trainer: NativeTrainer | null;
  }>;
}

/**
 * Where the addon is: $SEEDLING_ADDON, else next to the running bundle (dist/seedling.node), else
 * the cmake-js output of a source checkout.
 */
export function addonCandidates(baseDir: string = __dirname): string[] {
  const list: string[] = [];
  if (process.env.SEEDLING_ADDON) list.push(path.resolve(process.env.SEEDLING_ADDON));
  list.push(path.join(baseDir, 'seedling.node'));
  list.push(path.join(baseDir, '..', 'dist', 'seedling.node'));
  list.push(path.join(baseDir, '..', 'build', 'addon', 'Release', 'seedling.node'));
  return list;
}

export function loadAddon(baseDir: string = __dirname): SeedlingAddon {
  const candidates = addonCandidates(baseDir);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(`the Seedling engine (seedling.node) was not found; looked in: ${candidates.join(', ')}. ` +
      'Run `npm run build` first.');
  }
  // A require of a computed path: bundlers leave it alone and Node loads the binary at run time.
  return require(found) as SeedlingAddon;
}
