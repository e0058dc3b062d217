/**
 * mixtureStep.ts: the last step of a training run: fit the repository mixture's weights for the
 * checkpoint the run kept (infgram/fitMixture.ts), on the run's validation files, and save them beside
 * it. A failure here costs only the fitted weights (the defaults serve), never the run.
 */
import type { SeedlingAddon } from '../addon';
import { fitMixture } from '../infgram/fitMixture';
import { writeMixtureFile } from '../infgram/mixtureFile';
import type { TrainText } from './trainData';
import type { TrainHooks } from './trainHooks';

export async function fitMixtureForCheckpoint(addon: SeedlingAddon, checkpointPath: string, text: TrainText, hooks: TrainHooks): Promise<void> {
  if (text.validationDocs.length === 0) {
    hooks.log('info', 'no validation files: the repository mixture keeps its default weights');
    return;
  }
  let loaded: Awaited<ReturnType<SeedlingAddon['checkpointLoad']>> | undefined;
  try {
    loaded = await addon.checkpointLoad(checkpointPath, { trainer: false });
    const session = addon.Session.create(loaded.model);
    try {
      const fit = await fitMixture(session, loaded.tokenizer, loaded.model.config.contextLength, text.trainDocs, text.validationDocs,
        (tokens, depth) => addon.suffixSort(tokens, depth));
      await writeMixtureFile(checkpointPath, fit);
      hooks.log('info', `repository mixture fitted on ${fit.positions.reduce((a, b) => a + b, 0)} validation tokens in ` +
        `${(fit.ms / 1000).toFixed(1)} s: λ by match length ${fit.weights.lambdas.map((l) => l.toFixed(2)).join(' ')}; ` +
        `${fit.modelNats.toFixed(3)} -> ${fit.mixtureNats.toFixed(3)} nats/token on matched tokens`);
    } finally {
      session.dispose();
    }
  } catch (err) {
    hooks.log('warn', `could not fit the repository mixture (the defaults serve): ${(err as Error).message}`);
  } finally {
    loaded?.model.dispose();
    loaded?.tokenizer.dispose();
  }
}
