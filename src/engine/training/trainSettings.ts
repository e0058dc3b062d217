/**
 * trainSettings.ts: training hyperparameters per preset and the schedule sizing rules.
 *
 * Batch shapes are chosen so one optimizer step takes well under a second on two CPU cores for the
 * CPU presets: the loop stays responsive to cancellation and the dashboard gets a steady stream of
 * points.
 */
import type { PresetName } from '../../shared/protocol';

export interface PresetTraining {
  batchSize: number;
  seqLen: number;
  /** peak learning rate when training from scratch and when fine-tuning a base model */
  lrScratch: number;
  lrFinetune: number;
}

// Windows span the whole context: completion prompts fill it, and a learned position that no window
// reached stays at its random initialisation. The small preset fine-tunes its base at the pretraining
// peak: of 1e-4, 3e-4 and 1e-3 over 400 steps, 1e-3 gave the model's best lines on both evaluation
// code bases (docs/quality.md, "Training recipe"); early stopping keeps the best checkpoint.
export const PRESET_TRAINING: Record<PresetName, PresetTraining> = {
  tiny: { batchSize: 8, seqLen: 128, lrScratch: 3e-3, lrFinetune: 1e-3 },
  small: { batchSize: 4, seqLen: 512, lrScratch: 1e-3, lrFinetune: 1e-3 },
  medium: { batchSize: 4, seqLen: 512, lrScratch: 6e-4, lrFinetune: 2e-4 },
  large: { batchSize: 8, seqLen: 1024, lrScratch: 3e-4, lrFinetune: 1e-4 },
};

/** Default budget when the caller gives neither maxSteps nor maxMinutes. */
export const DEFAULT_MAX_MINUTES = 10;

/** Warmup: 5% of the schedule, at least 1 step, at most 100. */
export function warmupFor(totalSteps: number): number {
  return Math.max(1, Math.min(100, Math.round(totalSteps * 0.05)));
}

/** Steps that fit in the remaining time at the measured pace (at least one more). */
export function stepsForTime(remainingMs: number, msPerStep: number): number {
  return Math.max(1, Math.floor(remainingMs / Math.max(msPerStep, 1e-3)));
}

/** About 20 evaluations per run, at least every 10 steps apart, at most every 200. */
export function evalIntervalFor(totalSteps: number): number {
  return Math.max(10, Math.min(200, Math.round(totalSteps / 20)));
}

/**
 * Fine-tuning the base on a workspace under a time budget plans at most this many passes over the
 * workspace's tokens: the validation loss bottoms out within a few hundred steps on small code bases,
 * and a schedule stretched to the whole time budget keeps the learning rate high past that point
 * (docs/quality.md, "Training recipe"). An explicit step budget is taken as given.
 */
export const FINETUNE_MAX_EPOCHS = 10;

/** Evaluations without improvement before early stopping. */
export const EARLY_STOPPING_PATIENCE = 5;
/** Validation batches per evaluation (deterministic windows, so evaluations are comparable). */
export const EVAL_BATCHES = 8;
/** Cap on the text the tokenizer is trained on (BPE training time grows with it). */
export const TOKENIZER_TRAIN_BYTES = 8 * 1024 * 1024;

/** Share of training files packed with related code (contextPacking.ts); chosen by `seedling eval`
 * (docs/quality.md). */
export const DEFAULT_CONTEXT_SHARE = 0;
/** Characters of related code before each packed piece: what a completion prompt gives it. */
export const CONTEXT_PACKING_CHARS = 600;
/** Share of training windows made fill-in-the-middle examples. The engine's own default is 0.5; on a
 * small corpus and budget FIM does not emerge and completions use prefix-only prompts, so the windows
 * are worth more as plain text (docs/quality.md). */
export const DEFAULT_FIM_RATE = 0.5;
