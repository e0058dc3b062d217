/**
 * messages.ts: every message between the dashboard host (src/host/dashboard) and the webview UI
 * (webview/), with its schema. Imported by both sides (no `vscode` import here), so a field added on
 * one side is added on the other.
 */
import type { CorpusSummary } from '../corpus/types';
import type { CheckpointEvent, ModelConfig, TrainProgress } from '../protocol';
import { PREVIEW_MAX_SIZE } from './attentionPooling';
import { check, s, type Schema } from './schema';
import { OUTCOME_FIELDS, type SuggestionSummary } from '../suggestionCounts';

/** Facts about the model being trained, shown beside the curves. */
export interface ModelFacts {
  preset: string;
  parameters: number;   // 0 until the engine reports it
  device: string;       // "cpu (avx512)", "cuda"...
  threads: number;      // 0 = engine default
  config?: ModelConfig;
}

export interface RunInfo {
  runId: string;
  startedAt: number;    // ms since epoch
  model: ModelFacts;
  corpus?: CorpusSummary;
  resumed?: boolean;
}

export type RunStatus = 'finished' | 'cancelled' | 'failed';
export interface RunEnd {
  runId: string;
  finishedAt: number;
  status: RunStatus;
  steps?: number;
  tokensSeen?: number;
  trainLoss?: number | null;
  valLoss?: number | null;
  message?: string;     // why it failed, or how it stopped ("budget", "early-stopping")
}

/** One training step as the chart sees it: TrainProgress without the fields charts do not draw. */
export type ProgressPoint = Pick<TrainProgress, 'step' | 'totalSteps' | 'tokensSeen' | 'learningRate' | 'tokensPerSecond' | 'elapsedMs' | 'etaMs'> & {
  loss: number | null;      // null when the engine reported NaN/Infinity (JSON has no NaN)
  valLoss?: number | null;
};

export type CheckpointPoint = Pick<CheckpointEvent, 'step' | 'samples'> & { valLoss?: number | null; at: number };

export interface RunRecord {
  info: RunInfo;
  progress: ProgressPoint[];
  checkpoints: CheckpointPoint[];
  end?: RunEnd;
}

/**
 * What the inspector draws at first, made by attentionData.ts from the engine's answer (which the host
 * keeps): a few hundred kilobytes instead of every head's full matrix. T = tokens.length.
 */
export interface AttentionView {
  inspection: number;    // which answer this is; the webview's matrix requests name it
  tokens: string[];
  tokenOffsets: number[];
  layers: number;
  heads: number;
  /** lastRows[(layer * heads + head) * T + key]: the last token's weights (token colouring) */
  lastRows: Float32Array;
  previewSize: number;   // P = min(T, PREVIEW_MAX_SIZE = 64): each head's preview is P x P
  /** previews[(layer * heads + head) * P * P + y * P + x]: max-pooled weights as 0..255 intensities
   *  on the sqrt scale (attentionPooling.ts), for the layer x head grid */
  previews: Uint8Array;
  next: { token: string; probability: number }[];
  ms: number;            // engine time
  roundTripMs: number;   // request to answer, as the extension saw it
  documentName: string;
  truncated: boolean;    // the text was longer than the model's context; only its end is shown
}

/** Which matrix the inspector shows: one head, or (average) the mean over the layer's heads, in
 *  which case `head` is only the head picked before and does not change the matrix. */
export interface AttentionSelection {
  layer: number;
  head: number;
  average: boolean;
}

/** The full T x T matrix (row-major) of a selection, sent when the webview asks for it. */
export interface AttentionMatrix extends AttentionSelection {
  inspection: number;
  weights: Float32Array;
}

export type HostMessage =
  | { type: 'snapshot'; runs: RunRecord[]; activeRunId: string | null }
  | { type: 'runStarted'; run: RunInfo }
  | { type: 'progress'; runId: string; points: ProgressPoint[] }
  | { type: 'checkpoint'; runId: string; checkpoint: CheckpointPoint }
  | { type: 'runFinished'; end: RunEnd }
  | { type: 'corpus'; runId: string; corpus: CorpusSummary }
  | { type: 'model'; runId: string; model: ModelFacts }
  | { type: 'attentionPending'; documentName: string; characters: number }
  | { type: 'attention'; view: AttentionView }
  | { type: 'attentionMatrix'; matrix: AttentionMatrix }
  | { type: 'attentionError'; message: string }
  | { type: 'suggestions'; summary: SuggestionSummary };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'revealToken'; index: number }
  | ({ type: 'requestAttentionMatrix'; inspection: number } & AttentionSelection)
  | { type: 'stopTraining' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

// ---- schemas ------------------------------------------------------------------------------------

const runId = s.string(200);
const count = s.int(0);
const real = s.number();

const modelConfig = s.object({ vocabSize: count, contextLength: count, dModel: count, nLayers: count, nHeads: count });
const modelFacts = s.object({ preset: s.string(64), parameters: count, device: s.string(200), threads: count, config: modelConfig }, ['config']);
const corpus = s.object({ files: count, bytes: count, skipped: s.record(count) });
const runInfo = s.object({ runId, startedAt: real, model: modelFacts, corpus, resumed: s.boolean() }, ['corpus', 'resumed']);
const runEnd = s.object({
  runId, finishedAt: real, status: s.literal('finished', 'cancelled', 'failed'),
  steps: count, tokensSeen: count, trainLoss: s.nullableNumber(), valLoss: s.nullableNumber(), message: s.string(4000),
}, ['steps', 'tokensSeen', 'trainLoss', 'valLoss', 'message']);
const progressPoint = s.object({
  step: count, totalSteps: count, tokensSeen: count, loss: s.nullableNumber(), valLoss: s.nullableNumber(),
  learningRate: s.nullableNumber(), tokensPerSecond: s.nullableNumber(), elapsedMs: real, etaMs: s.nullableNumber(),
}, ['valLoss']);
const sample = s.object({ prompt: s.string(20_000), completion: s.string(20_000) });
const checkpointPoint = s.object({ step: count, samples: s.array(sample, 64), valLoss: s.nullableNumber(), at: real }, ['valLoss']);
const runRecord = s.object({ info: runInfo, progress: s.array(progressPoint), checkpoints: s.array(checkpointPoint, 10_000), end: runEnd }, ['end']);
// Up to 8192 tokens and 256 x 256 heads; the webview checks that the sizes agree with each other.
const MAX_TOKENS = 8192;
const inspection = s.int(0);
const selection = { layer: s.int(0, 255), head: s.int(0, 255), average: s.boolean() };
const attentionView = s.object({
  inspection,
  tokens: s.array(s.string(4096), MAX_TOKENS),
  tokenOffsets: s.array(count, MAX_TOKENS),
  layers: s.int(1, 256),
  heads: s.int(1, 256),
  lastRows: s.float32array(),
  previewSize: s.int(0, PREVIEW_MAX_SIZE),
  previews: s.uint8array(),
  next: s.array(s.object({ token: s.string(4096), probability: s.number({ min: 0, max: 1 }) }), 100),
  ms: real,
  roundTripMs: real,
  documentName: s.string(4096),
  truncated: s.boolean(),
});
const outcomeCounts = s.object(Object.fromEntries(OUTCOME_FIELDS.map((f) => [f, count])));
const suggestionSummary = s.object({ bySource: s.record(outcomeCounts, 8), byLanguage: s.record(outcomeCounts, 256), total: outcomeCounts });
const attentionMatrix = s.object({ inspection, ...selection, weights: s.float32array(MAX_TOKENS * MAX_TOKENS) });

const hostSchemas: Record<HostMessage['type'], Schema> = {
  snapshot: s.object({ type: s.literal('snapshot'), runs: s.array(runRecord, 1000), activeRunId: s.nullableString(200) }),
  runStarted: s.object({ type: s.literal('runStarted'), run: runInfo }),
  progress: s.object({ type: s.literal('progress'), runId, points: s.array(progressPoint) }),
  checkpoint: s.object({ type: s.literal('checkpoint'), runId, checkpoint: checkpointPoint }),
  runFinished: s.object({ type: s.literal('runFinished'), end: runEnd }),
  corpus: s.object({ type: s.literal('corpus'), runId, corpus }),
  model: s.object({ type: s.literal('model'), runId, model: modelFacts }),
  attentionPending: s.object({ type: s.literal('attentionPending'), documentName: s.string(4096), characters: count }),
  attention: s.object({ type: s.literal('attention'), view: attentionView }),
  attentionMatrix: s.object({ type: s.literal('attentionMatrix'), matrix: attentionMatrix }),
  attentionError: s.object({ type: s.literal('attentionError'), message: s.string(4000) }),
  suggestions: s.object({ type: s.literal('suggestions'), summary: suggestionSummary }),
};

const webviewSchemas: Record<WebviewMessage['type'], Schema> = {
  ready: s.object({ type: s.literal('ready') }),
  revealToken: s.object({ type: s.literal('revealToken'), index: s.int(0, 1 << 20) }),
  requestAttentionMatrix: s.object({ type: s.literal('requestAttentionMatrix'), inspection, ...selection }),
  stopTraining: s.object({ type: s.literal('stopTraining') }),
  log: s.object({ type: s.literal('log'), level: s.literal('info', 'warn', 'error'), message: s.string(4000) }),
};

export type Validated<T> = { ok: true; message: T } | { ok: false; error: string };

function validate<T>(value: unknown, schemas: Record<string, Schema>): Validated<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'message is not an object' };
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(schemas, type)) {
    return { ok: false, error: `unknown message type ${JSON.stringify(type)?.slice(0, 80)}` };
  }
  const err = check(value, schemas[type]);
  return err ? { ok: false, error: err } : { ok: true, message: value as T };
}

/** Checks a message the webview received from the host. */
export function validateHostMessage(value: unknown): Validated<HostMessage> {
  return validate<HostMessage>(value, hostSchemas);
}

/** Checks a message the host received from the webview. */
export function validateWebviewMessage(value: unknown): Validated<WebviewMessage> {
  return validate<WebviewMessage>(value, webviewSchemas);
}

/** Copies the fields charts draw out of an engine event (extra fields would fail the strict schema). */
export function toProgressPoint(p: TrainProgress): ProgressPoint {
  const point: ProgressPoint = {
    step: p.step, totalSteps: p.totalSteps, tokensSeen: p.tokensSeen, loss: finiteOrNull(p.loss),
    learningRate: p.learningRate, tokensPerSecond: p.tokensPerSecond, elapsedMs: p.elapsedMs, etaMs: p.etaMs,
  };
  if (p.valLoss !== undefined) point.valLoss = finiteOrNull(p.valLoss);
  return point;
}

export function toCheckpointPoint(c: CheckpointEvent, at = Date.now()): CheckpointPoint {
  const point: CheckpointPoint = { step: c.step, samples: c.samples.map((x) => ({ prompt: x.prompt, completion: x.completion })), at };
  if (c.valLoss !== undefined) point.valLoss = finiteOrNull(c.valLoss);
  return point;
}

export function finiteOrNull(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
