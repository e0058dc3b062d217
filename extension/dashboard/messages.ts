/**
 * messages.ts: every message between the dashboard host (extension/dashboard) and the webview UI
 * (webview/), with its schema. Imported by both sides (no `vscode` import here), so a field added on
 * one side is added on the other.
 */
import type { CheckpointEvent, CorpusSummary, ModelConfig, TrainProgress } from '../engine/protocol';
import { check, s, type Schema } from './schema';

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

/** The inspector's data: the engine's AttentionResult with the weights decoded to float32. */
export interface AttentionView {
  tokens: string[];
  tokenOffsets: number[];
  layers: number;
  heads: number;
  /** weights[layer * heads + head] = T x T row-major */
  weights: Float32Array[];
  next: { token: string; probability: number }[];
  ms: number;            // engine time
  roundTripMs: number;   // request to answer, as the extension saw it
  documentName: string;
  truncated: boolean;    // the text was longer than the model's context; only its end is shown
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
  | { type: 'attentionError'; message: string };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'revealToken'; index: number }
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
const attentionView = s.object({
  tokens: s.array(s.string(4096), 8192),
  tokenOffsets: s.array(count, 8192),
  layers: s.int(1, 256),
  heads: s.int(1, 256),
  weights: s.array(s.float32array(), 65_536),
  next: s.array(s.object({ token: s.string(4096), probability: s.number({ min: 0, max: 1 }) }), 100),
  ms: real,
  roundTripMs: real,
  documentName: s.string(4096),
  truncated: s.boolean(),
});

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
  attentionError: s.object({ type: s.literal('attentionError'), message: s.string(4000) }),
};

const webviewSchemas: Record<WebviewMessage['type'], Schema> = {
  ready: s.object({ type: s.literal('ready') }),
  revealToken: s.object({ type: s.literal('revealToken'), index: s.int(0, 1 << 20) }),
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
