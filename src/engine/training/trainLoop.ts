/**
 * trainLoop.ts: the optimizer steps of one run. Each step is an async worker-thread call, so the engine
 * keeps answering completions between steps. The loop stops when the budget (steps, minutes, or the
 * fine-tuning cap) is spent, on cancellation, or early (checkpointPolicy.ts); under a time budget it
 * re-sizes the learning-rate schedule to the steps that fit, at the pace measured so far.
 */
import type { NativeTrainer, StepStats } from '../addon';
import type { TrainParams, TrainResult } from '../../shared/protocol';
import type { CheckpointPolicy } from './checkpointPolicy';
import type { CheckpointWriter } from './checkpointWriter';
import type { ModelSetup } from './modelSetup';
import type { TrainDatasets } from './trainData';
import type { TrainHooks } from './trainHooks';
import {
  DEFAULT_FIM_RATE, DEFAULT_MAX_MINUTES, EVAL_BATCHES, FINETUNE_MAX_EPOCHS, PRESET_TRAINING, evalIntervalFor, stepsForTime, warmupFor,
} from './trainSettings';

const PROGRESS_INTERVAL_MS = 200;
/** Training loss reported at the end: the mean of the last few steps. */
const RECENT_LOSSES = 10;

export interface TrainLoopOptions {
  /** Budgets, evaluation and checkpoint intervals, FIM rate. */
  params: TrainParams;
  setup: ModelSetup;
  data: TrainDatasets;
  /** Window length for this model (the preset's, capped by the model's context). */
  seqLen: number;
  /** When the run began (time budgets and the ETA count from here). */
  startedAt: number;
  hooks: TrainHooks;
  policy: CheckpointPolicy;
  checkpoints: CheckpointWriter;
}

/** The loop's part of the TrainResult (runTraining.ts adds the model facts). */
export type LoopOutcome = Omit<TrainResult, 'config' | 'parameters' | 'device'>;

export class TrainLoop {
  private readonly trainer: NativeTrainer;
  private readonly tokensPerStep: number;
  private readonly startStep: number;
  private readonly deadline: number | undefined;
  private readonly stepBudget: number | undefined;
  private readonly stepCap: number | undefined;  // fine-tuning under a time budget: FINETUNE_MAX_EPOCHS
  private plannedSteps: number;     // steps of this run (an estimate under a time budget)
  private evalEvery: number;
  private lastProgressAt = 0;
  private tokensPerSecond = 0;
  private recentLosses: number[] = [];
  private lastEval: { step: number; loss: number } | undefined;
  private lastProgressStep = -1;

  constructor(private readonly options: TrainLoopOptions) {
    const { params, setup, data, seqLen, startedAt, hooks } = options;
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
      this.stepCap = Math.max(1, Math.ceil(FINETUNE_MAX_EPOCHS * data.train.numTokens / this.tokensPerStep));
      hooks.log('info', `fine-tuning plan: at most ${this.stepCap} steps (${FINETUNE_MAX_EPOCHS} passes over ${data.train.numTokens} tokens)`);
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

  async run(): Promise<LoopOutcome> {
    const { params, data, hooks, policy, checkpoints } = this.options;
    // The starting point's validation loss is the bar the first checkpoint must clear; for a resumed
    // run that is the saved (best) model itself.
    if (data.validation) {
      const start = await this.evaluate();
      policy.setBaseline(start);
      hooks.log('info', `validation loss at start: ${start.toFixed(4)}`);
    }
    let stoppedBy: TrainResult['stoppedBy'] = 'budget';
    let last: StepStats | undefined;
    for (;;) {
      if (hooks.isCancelled()) { stoppedBy = 'cancelled'; break; }
      if (this.budgetSpent()) break;
      last = await this.trainer.step(data.train);
      this.record(last);
      const done = this.trainer.stepCount - this.startStep;
      if (this.deadline !== undefined && this.stepBudget === undefined && (done === 3 || done % this.evalEvery === 0)) {
        this.replanForTime(done);
      }
      const checkpointEvery = params.checkpointEverySteps ?? this.evalEvery;
      let valLoss: number | undefined;
      if (data.validation && done % this.evalEvery === 0) valLoss = await this.evaluate();
      this.emitProgress(last, valLoss, valLoss !== undefined);
      if (done % checkpointEvery === 0 && !this.budgetSpent() && !hooks.isCancelled()) {
        await this.maybeCheckpoint(valLoss ?? (data.validation ? await this.evaluate() : undefined));
      }
      const patienceSpent = valLoss !== undefined ? policy.earlyStop : undefined;
      if (patienceSpent !== undefined) {
        hooks.log('info', `early stopping: validation loss has not improved for ${patienceSpent} evaluations`);
        stoppedBy = 'early-stopping';
        break;
      }
    }
    if (stoppedBy !== 'early-stopping') {
      const finalVal = data.validation ? await this.evaluate() : undefined;
      if (last && this.lastProgressStep !== last.step) this.emitProgress(last, finalVal, true);
      await this.maybeCheckpoint(finalVal);
    }
    if (!checkpoints.savedThisRun && this.options.setup.origin !== 'resumed') {
      hooks.log('warn', 'validation loss never improved on the starting model; saving the final weights anyway');
      await checkpoints.save(undefined);
    }
    return {
      checkpointPath: params.checkpointPath,
      steps: this.trainer.stepCount,
      tokensSeen: this.trainer.tokensSeen,
      trainLoss: mean(this.recentLosses),
      valLoss: policy.bestValLoss,
      stoppedBy,
    };
  }

  private async maybeCheckpoint(valLoss: number | undefined): Promise<void> {
    if (this.options.policy.admit(valLoss, this.trainer.stepCount)) await this.options.checkpoints.save(valLoss);
  }

  private budgetSpent(): boolean {
    const done = this.trainer.stepCount - this.startStep;
    if (this.stepBudget !== undefined && done >= this.stepBudget) return true;
    if (this.stepCap !== undefined && done >= this.stepCap) return true;
    return this.deadline !== undefined && Date.now() >= this.deadline;
  }

  private record(s: StepStats): void {
    this.recentLosses.push(s.loss);
    if (this.recentLosses.length > RECENT_LOSSES) this.recentLosses.shift();
    const rate = s.seconds > 0 ? this.tokensPerStep / s.seconds : 0;
    this.tokensPerSecond = this.tokensPerSecond === 0 ? rate : 0.8 * this.tokensPerSecond + 0.2 * rate;
  }

  /** Size the cosine schedule to the steps that fit in the time left, at the pace measured so far. */
  private replanForTime(done: number): void {
    const msPerStep = (Date.now() - this.options.startedAt) / done;  // includes evaluations and checkpoints
    const planned = Math.min(done + stepsForTime(this.deadline! - Date.now(), msPerStep), this.stepCap ?? Infinity);
    if (Math.abs(planned - this.plannedSteps) < Math.max(2, this.plannedSteps * 0.05)) return;
    this.plannedSteps = planned;
    if (this.options.params.evalEverySteps === undefined) this.evalEvery = evalIntervalFor(planned);
    this.trainer.setOptions({
      totalSteps: this.startStep + planned,
      ...(this.options.setup.origin === 'resumed' ? {} : { warmupSteps: warmupFor(planned) }),
    });
  }

  /** Validation loss of the current weights (cached per step: the final pass often repeats the last). */
  private async evaluate(): Promise<number> {
    const step = this.trainer.stepCount;
    if (this.lastEval?.step !== step) this.lastEval = { step, loss: await this.trainer.evaluate(this.options.data.validation!, EVAL_BATCHES) };
    return this.lastEval.loss;
  }

  private emitProgress(s: StepStats, valLoss: number | undefined, force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    this.lastProgressAt = now;
    this.lastProgressStep = s.step;
    const done = this.trainer.stepCount - this.startStep;
    const msPerStep = done > 0 ? (now - this.options.startedAt) / done : 0;
    const bySteps = Math.max(0, this.plannedSteps - done) * msPerStep;
    const byTime = this.deadline !== undefined ? Math.max(0, this.deadline - now) : Infinity;
    this.options.hooks.progress({
      step: s.step,
      totalSteps: this.startStep + this.plannedSteps,
      tokensSeen: s.tokensSeen,
      loss: s.loss,
      ...(valLoss !== undefined ? { valLoss } : {}),
      learningRate: s.learningRate,
      tokensPerSecond: this.tokensPerSecond,
      elapsedMs: now - this.options.startedAt,
      etaMs: Math.round(Math.min(bySteps, byTime)),
    });
  }
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
