/**
 * checkpointPolicy.ts: which weights a run keeps, and when it stops early. The checkpoint file always
 * holds the best model by validation loss: weights are saved only when they beat the best so far (the
 * starting point's loss is the first bar), and after EARLY_STOPPING_PATIENCE evaluations without
 * improvement the run stops. Without validation every checkpoint is kept.
 */
import type { TrainLog } from './trainHooks';
import { EARLY_STOPPING_PATIENCE } from './trainSettings';

export class CheckpointPolicy {
  private best = Infinity;
  private sinceBest = 0;

  constructor(private readonly log: TrainLog, private readonly patience = EARLY_STOPPING_PATIENCE) {}

  /** The starting point's validation loss: the bar the first checkpoint must clear. */
  setBaseline(valLoss: number): void {
    this.best = valLoss;
  }

  /** The best validation loss seen (undefined without validation). */
  get bestValLoss(): number | undefined {
    return Number.isFinite(this.best) ? this.best : undefined;
  }

  /** Whether the weights at `step`, with this validation loss, are worth saving; counts the misses. */
  admit(valLoss: number | undefined, step: number): boolean {
    if (valLoss === undefined) return true;
    if (!(valLoss < this.best)) {
      this.sinceBest++;
      this.log('info', `step ${step}: validation loss ${valLoss.toFixed(4)} did not improve on ` +
        `${this.best.toFixed(4)}; keeping the best checkpoint`);
      return false;
    }
    this.best = valLoss;
    this.sinceBest = 0;
    return true;
  }

  /** Evaluations in a row without improvement, once they reach the patience. */
  get earlyStop(): number | undefined {
    return this.sinceBest >= this.patience ? this.sinceBest : undefined;
  }
}
