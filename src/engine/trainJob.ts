/**
 * trainJob.ts: one training run inside the engine process.
 *
 * Read the documents, split them by file, get a tokenizer and a model (resume, a base model, or from
 * scratch), then step the trainer until the budget (steps or minutes) runs out, cancellation, or
 * early stopping. Every step is an async call on a worker thread, so the engine process keeps
 * answering completion requests between steps. The checkpoint file always holds the best model by
 * validation loss (with its optimizer state, for resume); it is written atomically by the engine.
 */
import * as fs from 'node:fs';
import type { Document } from './trainData';
import type { Device, DeviceChoice, NativeDataset, NativeModel, NativeTokenizer, NativeTrainer, SeedlingAddon, StepStats } from './addon';
import { codedError } from '../shared/engineErrors';
import type { CheckpointEvent, ModelConfig, TrainParams, TrainProgress, TrainResult } from '../shared/protocol';
import { packWithContext } from '../shared/context/contextPacking';
import { DEFAULT_STRATEGY } from './cursorCompletion';
import { pathFraction, readDocuments, splitDocuments } from './trainData';
import {
  CONTEXT_PACKING_CHARS, DEFAULT_CONTEXT_SHARE, DEFAULT_FIM_RATE, DEFAULT_MAX_MINUTES, EARLY_STOPPING_PATIENCE, EVAL_BATCHES, FINETUNE_MAX_EPOCHS, PRESET_TRAINING, TOKENIZER_TRAIN_BYTES,
  evalIntervalFor, stepsForTime, warmupFor,
} from './trainSettings';

export interface TrainHooks {
  progress(p: TrainProgress): void;
  checkpoint(e: CheckpointEvent): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Polled between steps. */
  isCancelled(): boolean;
}

interface Setup {
  model: NativeModel;
  tokenizer: NativeTokenizer;
  trainer: NativeTrainer;
  origin: 'resumed' | 'base model' | 'scratch';
}

const PROGRESS_INTERVAL_MS = 200;
const SAMPLE_MAX_TOKENS = 32;

export async function runTraining(addon: SeedlingAddon, params: TrainParams, hooks: TrainHooks): Promise<TrainResult> {
  const preset = PRESET_TRAINING[params.preset];
  if (!preset) throw codedError('invalid argument', `unknown preset "${params.preset}" (tiny, small, medium, large)`);
  const startedAt = Date.now();
  const owned: { dispose(): void; disposed: boolean }[] = [];
  try {
    const { trainDocs, validationDocs } = await loadDocuments(params, hooks);
    const setup = await prepareModel(addon, params, trainDocs, hooks);
    // Order matters for dispose(): the trainer before the model it points at.
    owned.push(setup.trainer, setup.model, setup.tokenizer);
    const config = setup.model.config;
    const seqLen = Math.min(preset.seqLen, config.contextLength);

    const trainData = await addon.Dataset.create(setup.tokenizer, trainDocs);
    owned.push(trainData);
    if (trainData.numTokens < seqLen + 1) {
      const hint = params.preset === 'tiny' ? 'add more files' : 'add more files or use the tiny preset (--preset tiny)';
      throw codedError('invalid argument', `corpus too small: ${trainData.numTokens} tokens, but one training window of ` +
        `the ${params.preset} preset needs ${seqLen + 1}; ${hint}`);
    }
    let validationData: NativeDataset | undefined;
    if (validationDocs.length > 0) {
      const v = await addon.Dataset.create(setup.tokenizer, validationDocs);
      owned.push(v);
      if (v.numTokens >= seqLen + 1) validationData = v;
      else hooks.log('warn', `validation text too small (${v.numTokens} tokens < ${seqLen + 1}): training without validation loss`);
    }
    hooks.log('info', `training ${params.preset} (${setup.model.numParams} parameters, from ${setup.origin}) on ` +
      `${trainData.numTokens} tokens, validating on ${validationData?.numTokens ?? 0}`);
    const device = placeTrainer(addon, setup.trainer, params.device ?? 'auto', hooks);
    const loop = new TrainLoop(addon, params, hooks, setup, trainData, validationData, seqLen, startedAt);
    const outcome = await loop.run();
    return { ...outcome, config, parameters: setup.model.numParams, device };
  } finally {
    for (const o of owned) if (!o.disposed) o.dispose();
  }
}

async function loadDocuments(params: TrainParams, hooks: TrainHooks): Promise<{ trainDocs: Buffer[]; validationDocs: Buffer[] }> {
  const unique = [...new Set(params.files)];
  const read = await readDocuments(unique);
  for (const u of read.unreadable) hooks.log('warn', `skipped unreadable file ${u.path}: ${u.reason}`);
  if (read.documents.length === 0) {
    const detail = unique.length ? ` (${unique.length} given, none readable and non-empty)` : '';
    throw codedError('invalid argument', `no training text: 0 files${detail}`);
  }
  if (params.validationFiles && params.validationFiles.length > 0) {
    const validation = await readDocuments([...new Set(params.validationFiles)]);
    for (const u of validation.unreadable) hooks.log('warn', `skipped unreadable validation file ${u.path}: ${u.reason}`);
    return { trainDocs: read.documents.map((d) => d.text), validationDocs: validation.documents.map((d) => d.text) };
  }
  const split = splitDocuments(read.documents);
  hooks.log('info', `split: ${split.description}`);
  return { trainDocs: withContext(params, read.documents, split.train, hooks), validationDocs: split.validation };
}

/**
 * Some training files become "related code FILE_SEP piece" documents (contextPacking.ts), so the
 * model learns to copy from retrieved code. Validation stays plain text: its loss stays comparable
 * across runs with and without packing.
 */
function withContext(params: TrainParams, all: Document[], train: Buffer[], hooks: TrainHooks): Buffer[] {
  const share = params.contextShare ?? DEFAULT_CONTEXT_SHARE;
  if (!(share > 0) || train.length < 2) return train;
  const pathOf = new Map(all.map((d) => [d.text, d.path]));
  const files = train.map((text) => ({ path: pathOf.get(text) ?? '', text: text.toString('utf8') }));
  const packed = packWithContext(files, (p) => pathFraction(p) < share, CONTEXT_PACKING_CHARS);
  hooks.log('info', `context packing: ${packed.packedPieces} pieces with ${packed.contextChars} characters of related code ` +
    `(share ${share})`);
  return packed.documents.map((d) => Buffer.from(d, 'utf8'));
}

/**
 * Put the trainer where the user asked ("cuda" without a usable GPU is a clear error) and say where
 * it runs; on the CPU, also why CUDA is not used (no library, no device, a failed parity probe).
 */
function placeTrainer(addon: SeedlingAddon, trainer: NativeTrainer, choice: DeviceChoice, hooks: TrainHooks): Device {
  if (choice !== 'cpu') trainer.setDevice(choice);
  const cuda = choice === 'cpu' ? undefined : addon.cudaStatus();
  hooks.log('info', trainer.device === 'cuda' ? `training on the GPU (${cuda!.detail})`
    : `training on the CPU${cuda ? ` (CUDA: ${cuda.detail})` : ''}`);
  return trainer.device;
}

async function prepareModel(addon: SeedlingAddon, params: TrainParams, trainDocs: Buffer[], hooks: TrainHooks): Promise<Setup> {
  const preset = PRESET_TRAINING[params.preset];
  const optionsAt = (presetRate: number) => ({ learningRate: params.learningRate ?? presetRate, seed: params.seed ?? 1337 });
  if (params.resume && fs.existsSync(params.checkpointPath)) {
    const loaded = await addon.checkpointLoad(params.checkpointPath, { trainer: true });
    if (loaded.trainer) {
      hooks.log('info', `resuming from ${params.checkpointPath} at step ${loaded.trainer.stepCount}`);
      return { model: loaded.model, tokenizer: loaded.tokenizer, trainer: loaded.trainer, origin: 'resumed' };
    }
    hooks.log('warn', `${params.checkpointPath} has no training state; continuing from its weights with a fresh optimizer`);
    const trainer = addon.Trainer.create(loaded.model, optionsAt(preset.lrFinetune));
    return { model: loaded.model, tokenizer: loaded.tokenizer, trainer, origin: 'base model' };
  }
  if (params.baseModelPath) {
    const base = await addon.checkpointLoad(params.baseModelPath, { trainer: false });
    const trainer = addon.Trainer.create(base.model, optionsAt(preset.lrFinetune));
    return { model: base.model, tokenizer: base.tokenizer, trainer, origin: 'base model' };
  }
  const presetConfig: ModelConfig = addon.configPreset(params.preset);
  const vocab = params.vocabSize ?? presetConfig.vocabSize;
  const tokenizer = await addon.Tokenizer.train(capDocuments(trainDocs, TOKENIZER_TRAIN_BYTES), vocab);
  try {
    const model = await addon.Model.create({ ...presetConfig, vocabSize: tokenizer.vocabSize }, params.seed ?? 1337);
    const trainer = addon.Trainer.create(model, optionsAt(preset.lrScratch));
    return { model, tokenizer, trainer, origin: 'scratch' };
  } catch (err) {
    tokenizer.dispose();
    throw err;
  }
}

/** The first documents up to a byte cap (the tokenizer needs a sample, not everything). */
function capDocuments(docs: Buffer[], cap: number): Buffer[] {
  const out: Buffer[] = [];
  let total = 0;
  for (const d of docs) {
    if (total >= cap) break;
    const take = d.subarray(0, Math.min(d.length, cap - total));
    out.push(take);
    total += take.length;
  }
  return out;
}

type Outcome = Omit<TrainResult, 'config' | 'parameters' | 'device'>;

class TrainLoop {
  private readonly trainer: NativeTrainer;
  private readonly tokensPerStep: number;
  private readonly startStep: number;
  private readonly deadline: number | undefined;
  private readonly stepBudget: number | undefined;
  private readonly stepCap: number | undefined;  // fine-tuning under a time budget: FINETUNE_MAX_EPOCHS
  private plannedSteps: number;     // steps of this run (an estimate under a time budget)
  private evalEvery: number;
  private bestVal = Infinity;
  private evalsSinceBest = 0;
  private savedThisRun = false;
  private lastProgressAt = 0;
  private tokensPerSecond = 0;
  private recentLosses: number[] = [];
  private lastEval: { step: number; loss: number } | undefined;
  private lastProgressStep = -1;

  constructor(
    private readonly addon: SeedlingAddon, private readonly params: TrainParams, private readonly hooks: TrainHooks,
    private readonly setup: Setup, private readonly trainData: NativeDataset,
    private readonly validationData: NativeDataset | undefined, seqLen: number, private readonly startedAt: number,
  ) {
    this.trainer = setup.trainer;
    this.startStep = this.trainer.stepCount;
    const minutes = params.maxMinutes ?? (params.maxSteps === undefined ? DEFAULT_MAX_MINUTES : undefined);
    this.deadline = minutes !== undefined ? startedAt + minutes * 60_000 : undefined;
    this.stepBudget = params.maxSteps;
    const preset = PRESET_TRAINING[params.preset];
    const resumed = setup.origin === 'resumed';
    const batchSize = resumed ? this.trainer.options.batchSize : preset.batchSize;
    const windowLength = resumed ? Math.min(this.trainer.options.seqLen, seqLen) : seqLen;
    this.tokensPerStep = batchSize * windowLength * this.trainer.options.gradAccumSteps;
    if (setup.origin === 'base model' && this.stepBudget === undefined) {
      this.stepCap = Math.max(1, Math.ceil(FINETUNE_MAX_EPOCHS * trainData.numTokens / this.tokensPerStep));
      hooks.log('info', `fine-tuning plan: at most ${this.stepCap} steps (${FINETUNE_MAX_EPOCHS} passes over ${trainData.numTokens} tokens)`);
    }
    // Under a time budget, start from a guess; the first measured steps replace it.
    this.plannedSteps = this.stepBudget ?? Math.min(this.stepCap ?? Infinity, 1000);
    this.evalEvery = params.evalEverySteps ?? evalIntervalFor(this.plannedSteps);
    this.trainer.setOptions({
      fimRate: params.fimRate ?? DEFAULT_FIM_RATE,
      batchSize,
      seqLen: windowLength,
      totalSteps: this.startStep + this.plannedSteps,
      ...(resumed ? {} : { warmupSteps: warmupFor(this.plannedSteps) }),
    });
  }

  async run(): Promise<Outcome> {
    // The starting point's validation loss is the bar the first checkpoint must clear; for a resumed
    // run that is the saved (best) model itself.
    if (this.validationData) {
      this.bestVal = await this.evaluate();
      this.hooks.log('info', `validation loss at start: ${this.bestVal.toFixed(4)}`);
    }
    let stoppedBy: TrainResult['stoppedBy'] = 'budget';
    let last: StepStats | undefined;
    for (;;) {
      if (this.hooks.isCancelled()) { stoppedBy = 'cancelled'; break; }
      if (this.budgetSpent()) break;
      last = await this.trainer.step(this.trainData);
      this.record(last);
      const done = this.trainer.stepCount - this.startStep;
      if (this.deadline !== undefined && this.stepBudget === undefined && (done === 3 || done % this.evalEvery === 0)) {
        this.replanForTime(done);
      }
      const checkpointEvery = this.params.checkpointEverySteps ?? this.evalEvery;
      let valLoss: number | undefined;
      if (this.validationData && done % this.evalEvery === 0) valLoss = await this.evaluate();
      this.emitProgress(last, valLoss, valLoss !== undefined);
      if (done % checkpointEvery === 0 && !this.budgetSpent() && !this.hooks.isCancelled()) {
        await this.maybeCheckpoint(valLoss ?? (this.validationData ? await this.evaluate() : undefined));
      }
      if (valLoss !== undefined && this.evalsSinceBest >= EARLY_STOPPING_PATIENCE) {
        this.hooks.log('info', `early stopping: validation loss has not improved for ${this.evalsSinceBest} evaluations`);
        stoppedBy = 'early-stopping';
        break;
      }
    }
    if (stoppedBy !== 'early-stopping') {
      const finalVal = this.validationData ? await this.evaluate() : undefined;
      if (last && this.lastProgressStep !== last.step) this.emitProgress(last, finalVal, true);
      await this.maybeCheckpoint(finalVal);
    }
    if (!this.savedThisRun && this.setup.origin !== 'resumed') {
      this.hooks.log('warn', 'validation loss never improved on the starting model; saving the final weights anyway');
      await this.save(undefined);
    }
    return {
      checkpointPath: this.params.checkpointPath,
      steps: this.trainer.stepCount,
      tokensSeen: this.trainer.tokensSeen,
      trainLoss: mean(this.recentLosses),
      valLoss: Number.isFinite(this.bestVal) ? this.bestVal : undefined,
      stoppedBy,
    };
  }

  private budgetSpent(): boolean {
    const done = this.trainer.stepCount - this.startStep;
    if (this.stepBudget !== undefined && done >= this.stepBudget) return true;
    if (this.stepCap !== undefined && done >= this.stepCap) return true;
    return this.deadline !== undefined && Date.now() >= this.deadline;
  }

  private record(s: StepStats): void {
    this.recentLosses.push(s.loss);
    if (this.recentLosses.length > 10) this.recentLosses.shift();
    const rate = s.seconds > 0 ? this.tokensPerStep / s.seconds : 0;
    this.tokensPerSecond = this.tokensPerSecond === 0 ? rate : 0.8 * this.tokensPerSecond + 0.2 * rate;
  }

  /** Size the cosine schedule to the steps that fit in the time left, at the pace measured so far. */
  private replanForTime(done: number): void {
    const msPerStep = (Date.now() - this.startedAt) / done;  // includes evaluations and checkpoints
    const planned = Math.min(done + stepsForTime(this.deadline! - Date.now(), msPerStep), this.stepCap ?? Infinity);
    if (Math.abs(planned - this.plannedSteps) < Math.max(2, this.plannedSteps * 0.05)) return;
    this.plannedSteps = planned;
    if (this.params.evalEverySteps === undefined) this.evalEvery = evalIntervalFor(planned);
    this.trainer.setOptions({
      totalSteps: this.startStep + planned,
      ...(this.setup.origin === 'resumed' ? {} : { warmupSteps: warmupFor(planned) }),
    });
  }

  /** Validation loss of the current weights (cached per step: the final pass often repeats the last). */
  private async evaluate(): Promise<number> {
    const step = this.trainer.stepCount;
    if (this.lastEval?.step !== step) this.lastEval = { step, loss: await this.trainer.evaluate(this.validationData!, EVAL_BATCHES) };
    return this.lastEval.loss;
  }

  private emitProgress(s: StepStats, valLoss: number | undefined, force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    this.lastProgressAt = now;
    this.lastProgressStep = s.step;
    const done = this.trainer.stepCount - this.startStep;
    const msPerStep = done > 0 ? (now - this.startedAt) / done : 0;
    const bySteps = Math.max(0, this.plannedSteps - done) * msPerStep;
    const byTime = this.deadline !== undefined ? Math.max(0, this.deadline - now) : Infinity;
    this.hooks.progress({
      step: s.step,
      totalSteps: this.startStep + this.plannedSteps,
      tokensSeen: s.tokensSeen,
      loss: s.loss,
      ...(valLoss !== undefined ? { valLoss } : {}),
      learningRate: s.learningRate,
      tokensPerSecond: this.tokensPerSecond,
      elapsedMs: now - this.startedAt,
      etaMs: Math.round(Math.min(bySteps, byTime)),
    });
  }

  /** Save when validation improved (or there is no validation); count evaluations without improvement. */
  private async maybeCheckpoint(valLoss: number | undefined): Promise<void> {
    if (valLoss !== undefined) {
      if (!(valLoss < this.bestVal)) {
        this.evalsSinceBest++;
        this.hooks.log('info', `step ${this.trainer.stepCount}: validation loss ${valLoss.toFixed(4)} did not improve on ` +
          `${this.bestVal.toFixed(4)}; keeping the best checkpoint`);
        return;
      }
      this.bestVal = valLoss;
      this.evalsSinceBest = 0;
    }
    await this.save(valLoss);
  }

  private async save(valLoss: number | undefined): Promise<void> {
    const { model, tokenizer } = this.setup;
    await this.addon.checkpointSave(this.params.checkpointPath, model, tokenizer, this.trainer);
    this.savedThisRun = true;
    const samples = await this.sampleCompletions();
    this.hooks.checkpoint({
      path: this.params.checkpointPath, step: this.trainer.stepCount,
      ...(valLoss !== undefined ? { valLoss } : {}), samples,
    });
  }

  private async sampleCompletions(): Promise<{ prompt: string; completion: string }[]> {
    const prompts = (this.params.samplePrompts ?? []).slice(0, 4);
    if (prompts.length === 0) return [];
    const session = this.addon.Session.create(this.setup.model);
    try {
      const samples: { prompt: string; completion: string }[] = [];
      for (const prompt of prompts) {
        const r = await session.complete(this.setup.tokenizer, prompt, '', {
          maxTokens: SAMPLE_MAX_TOKENS, temperature: 0, promptMode: DEFAULT_STRATEGY.promptMode, heal: DEFAULT_STRATEGY.heal,
        });
        samples.push({ prompt, completion: r.text });
      }
      return samples;
    } finally {
      session.dispose();
    }
  }
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
