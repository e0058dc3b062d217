/**
 * checkpointWriter.ts: saving a checkpoint during a run: the engine writes the file atomically (with
 * the optimizer state, for resume), then a few prompts from the workspace are completed with the new
 * weights so the user sees the model improve, and the run's checkpoint hook hears about it.
 */
import type { SeedlingAddon } from '../addon';
import { DEFAULT_STRATEGY } from '../cursorCompletion';
import type { CheckpointEvent } from '../../shared/protocol';
import type { ModelSetup } from './modelSetup';

const MAX_SAMPLES = 4;
const SAMPLE_MAX_TOKENS = 32;

export interface CheckpointWriterOptions {
  addon: SeedlingAddon;
  setup: ModelSetup;
  path: string;
  samplePrompts: readonly string[];
  onSaved(event: CheckpointEvent): void;
}

export class CheckpointWriter {
  private saved = false;

  constructor(private readonly options: CheckpointWriterOptions) {}

  /** Whether this run has written the file at least once. */
  get savedThisRun(): boolean {
    return this.saved;
  }

  async save(valLoss: number | undefined): Promise<void> {
    const { addon, setup, path } = this.options;
    await addon.checkpointSave(path, setup.model, setup.tokenizer, setup.trainer);
    this.saved = true;
    const samples = await this.sampleCompletions();
    this.options.onSaved({ path, step: setup.trainer.stepCount, ...(valLoss !== undefined ? { valLoss } : {}), samples });
  }

  private async sampleCompletions(): Promise<CheckpointEvent['samples']> {
    const prompts = this.options.samplePrompts.slice(0, MAX_SAMPLES);
    if (prompts.length === 0) return [];
    const { addon, setup } = this.options;
    const session = addon.Session.create(setup.model);
    try {
      const samples: CheckpointEvent['samples'] = [];
      for (const prompt of prompts) {
        const r = await session.complete(setup.tokenizer, prompt, '', {
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
