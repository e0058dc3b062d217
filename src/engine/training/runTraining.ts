/**
 * runTraining.ts: one training run inside the engine process, put together from its parts: the text
 * and datasets (trainData.ts), the starting model and its device (modelSetup.ts), the optimizer loop
 * (trainLoop.ts), which checkpoints are kept (checkpointPolicy.ts, checkpointWriter.ts), and the
 * repository mixture's weights fitted for the kept checkpoint (mixtureStep.ts). Native
 * objects the run makes are freed here, whatever happens.
 */
import type { SeedlingAddon } from '../addon';
import { codedError } from '../../shared/engineErrors';
import { PRESET_NAMES } from '../../shared/presets';
import { cleanStaleTemporaries } from '../../shared/staleTemporaries';
import { mixtureFilePath } from '../infgram/mixtureFile';
import type { TrainParams, TrainResult } from '../../shared/protocol';
import { CheckpointPolicy } from './checkpointPolicy';
import { CheckpointWriter } from './checkpointWriter';
import { fitMixtureForCheckpoint } from './mixtureStep';
import { placeTrainer, prepareModel } from './modelSetup';
import { createDatasets, loadDocuments } from './trainData';
import type { TrainHooks } from './trainHooks';
import { TrainLoop } from './trainLoop';
import { PRESET_TRAINING } from './trainSettings';

interface Owned { dispose(): void; readonly disposed: boolean }

export async function runTraining(addon: SeedlingAddon, params: TrainParams, hooks: TrainHooks): Promise<TrainResult> {
  const preset = PRESET_TRAINING[params.preset];
  if (!preset) throw codedError('invalid argument', `unknown preset "${params.preset}" (${PRESET_NAMES.join(', ')})`);
  const startedAt = Date.now();
  const owned: Owned[] = [];
  // A run that was killed mid-save left its temporary beside the checkpoint; this run owns the file
  // now, so the leftovers go before anything new is written (they would otherwise pile up).
  const stale = await cleanStaleTemporaries([params.checkpointPath, mixtureFilePath(params.checkpointPath)]);
  if (stale.removed.length > 0) hooks.log('info', `removed ${stale.removed.length} temporary file(s) left by an interrupted save`);
  for (const f of stale.failed) hooks.log('warn', `could not remove the leftover temporary ${f.path}: ${f.reason}`);
  try {
    const text = await loadDocuments(params, hooks.log);
    const setup = await prepareModel(addon, params, text.trainDocs, hooks.log);
    // Order matters for dispose(): the trainer before the model it points at.
    owned.push(setup.trainer, setup.model, setup.tokenizer);
    const config = setup.model.config;
    const seqLen = Math.min(preset.seqLen, config.contextLength);
    const data = await createDatasets(addon, setup.tokenizer, text, seqLen, params.preset, hooks.log, (d) => owned.push(d));
    hooks.log('info', `training ${params.preset} (${setup.model.numParams} parameters, from ${setup.origin}) on ` +
      `${data.train.numTokens} tokens, validating on ${data.validation?.numTokens ?? 0}`);
    const device = placeTrainer(addon, setup.trainer, params.device ?? 'auto', hooks.log);
    const checkpoints = new CheckpointWriter({
      addon, setup, path: params.checkpointPath, samplePrompts: params.samplePrompts ?? [], onSaved: (e) => hooks.checkpoint(e),
    });
    const policy = new CheckpointPolicy(hooks.log, params.patience === 0 ? Infinity : params.patience);
    const outcome = await new TrainLoop({ params, setup, data, seqLen, startedAt, hooks, policy, checkpoints }).run();
    if (outcome.stoppedBy !== 'cancelled') await fitMixtureForCheckpoint(addon, outcome.checkpointPath, text, hooks);
    return { ...outcome, config, parameters: setup.model.numParams, device };
  } finally {
    for (const o of owned) if (!o.disposed) o.dispose();
  }
}
