/**
 * modelSetup.ts: the model a run starts from and where it trains. Resume continues the checkpoint with
 * its optimizer state; a base model is fine-tuned with a fresh optimizer; from scratch trains a
 * tokenizer on the workspace and initialises a model of the preset. Then the trainer is placed on the
 * device the user chose.
 */
import * as fs from 'node:fs';
import type { Device, DeviceChoice, NativeModel, NativeTokenizer, NativeTrainer, SeedlingAddon } from '../addon';
import type { ModelConfig, TrainParams } from '../../shared/protocol';
import type { TrainLog } from './trainHooks';
import { PRESET_TRAINING, TOKENIZER_TRAIN_BYTES } from './trainSettings';

export type ModelOrigin = 'resumed' | 'base model' | 'scratch';

export interface ModelSetup {
  model: NativeModel;
  tokenizer: NativeTokenizer;
  trainer: NativeTrainer;
  origin: ModelOrigin;
}

const DEFAULT_SEED = 1337;

export async function prepareModel(addon: SeedlingAddon, params: TrainParams, trainDocs: Buffer[], log: TrainLog): Promise<ModelSetup> {
  const preset = PRESET_TRAINING[params.preset];
  const optionsAt = (presetRate: number) => ({ learningRate: params.learningRate ?? presetRate, seed: params.seed ?? DEFAULT_SEED });
  if (params.resume && fs.existsSync(params.checkpointPath)) {
    const loaded = await addon.checkpointLoad(params.checkpointPath, { trainer: true });
    if (loaded.trainer) {
      log('info', `resuming from ${params.checkpointPath} at step ${loaded.trainer.stepCount}`);
      return { model: loaded.model, tokenizer: loaded.tokenizer, trainer: loaded.trainer, origin: 'resumed' };
    }
    log('warn', `${params.checkpointPath} has no training state; continuing from its weights with a fresh optimizer`);
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
    const model = await addon.Model.create({ ...presetConfig, vocabSize: tokenizer.vocabSize }, params.seed ?? DEFAULT_SEED);
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

/**
 * Put the trainer where the user asked ("cuda" without a usable GPU is a clear error) and say where
 * it runs; on the CPU, also why CUDA is not used (no library, no device, a failed parity probe).
 */
export function placeTrainer(addon: SeedlingAddon, trainer: NativeTrainer, choice: DeviceChoice, log: TrainLog): Device {
  if (choice !== 'cpu') trainer.setDevice(choice);
  const cuda = choice === 'cpu' ? undefined : addon.cudaStatus();
  log('info', trainer.device === 'cuda' ? `training on the GPU (${cuda!.detail})`
    : `training on the CPU${cuda ? ` (CUDA: ${cuda.detail})` : ''}`);
  return trainer.device;
}
