/**
 * trainingEvents.ts: what the training controller tells the rest of the extension (status bar,
 * dashboard, tests). One event stream, in the order things happen within a run:
 * runStart, corpus, progress*, checkpoint*, runEnd. Pure types: no 'vscode' import.
 */
import type { Corpus, CorpusSummary } from '../../shared/corpus/types';
import type { CheckpointEvent, PresetName, TrainProgress, TrainResult } from '../../shared/protocol';

export type RunEndStatus = 'finished' | 'cancelled' | 'failed';

export type TrainingEvent =
  | { type: 'runStart'; runId: string; startedAt: number; preset: PresetName; resumed: boolean; fromScratch: boolean; threads: number; device: string }
  | { type: 'corpus'; runId: string; summary: CorpusSummary; text: string }
  | { type: 'progress'; runId: string; progress: TrainProgress }
  | { type: 'checkpoint'; runId: string; checkpoint: CheckpointEvent }
  | { type: 'runEnd'; runId: string; finishedAt: number; status: RunEndStatus; result?: TrainResult; message?: string };

/** What a call to start/resume training came to; returned by the seedling.train command (tests await it). */
export interface TrainOutcome {
  status: RunEndStatus | 'not-started';
  result?: TrainResult;
  message?: string;
}

export type CollectCorpus = (roots: string[], excludeGlobs: string[], signal: AbortSignal) => Promise<Corpus>;
