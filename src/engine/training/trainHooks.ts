/**
 * trainHooks.ts: how a training run talks back to the engine server (engineProcess.ts), which turns
 * these calls into protocol events of the train request.
 */
import type { CheckpointEvent, LogLevel, TrainProgress } from '../../shared/protocol';

export type TrainLog = (level: LogLevel, message: string) => void;

export interface TrainHooks {
  progress(p: TrainProgress): void;
  checkpoint(e: CheckpointEvent): void;
  log: TrainLog;
  /** Polled between steps. */
  isCancelled(): boolean;
}
