/**
 * mixtureFile.ts: the fitted mixture weights travel beside the checkpoint they were fitted for, as
 * `<checkpoint>.mixture.json`, written atomically (a fresh temporary name, then rename) and private to
 * the user (0600). A missing or malformed file means the defaults: the weights only tune a suggestion.
 */
import { readFileSync } from 'node:fs';
import { writePrivateFileAtomically } from '../../shared/privateFiles';
import { BUCKET_ENDS, MixtureWeights } from './mixtureWeights';
import type { MixtureFit } from './fitMixture';

export function mixtureFilePath(checkpointPath: string): string {
  return `${checkpointPath}.mixture.json`;
}

export async function writeMixtureFile(checkpointPath: string, fit: MixtureFit): Promise<void> {
  const body = {
    version: 1,
    bucketEnds: BUCKET_ENDS,
    lambdas: fit.weights.lambdas,
    positions: fit.positions,
    modelNats: fit.modelNats,
    mixtureNats: fit.mixtureNats,
  };
  await writePrivateFileAtomically(mixtureFilePath(checkpointPath), `${JSON.stringify(body, null, 1)}\n`);
}

/** The weights fitted for this checkpoint, or undefined (none, or not readable as ours). */
export function readMixtureWeights(checkpointPath: string): MixtureWeights | undefined {
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(mixtureFilePath(checkpointPath), 'utf8'));
  } catch {
    return undefined;
  }
  const lambdas = (body as { lambdas?: unknown })?.lambdas;
  const ends = (body as { bucketEnds?: unknown })?.bucketEnds;
  if (!Array.isArray(lambdas) || !Array.isArray(ends) || ends.join() !== BUCKET_ENDS.join()) return undefined;
  if (!lambdas.every((x) => typeof x === 'number' && x >= 0 && x < 1)) return undefined;
  return new MixtureWeights(lambdas as number[]);
}
