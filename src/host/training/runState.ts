/**
 * runState.ts: a small JSON file beside the checkpoint that says what the last training run was doing.
 * A run that is still marked "running" when the extension starts was interrupted (VS Code closed, the
 * machine slept, the engine crashed), and the user is offered "Resume Training".
 * Node-only (fs/promises); no 'vscode' import.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writePrivateFileAtomically } from '../../shared/privateFiles';
import type { PresetName } from '../../shared/protocol';

export type RunStatus = 'running' | 'finished' | 'stopped' | 'failed';

export interface RunState {
  version: 1;
  runId: string;
  status: RunStatus;
  preset: PresetName;
  fromScratch: boolean;
  startedAt: number;
  updatedAt: number;
  step: number;
  totalSteps: number;
  lastCheckpointStep?: number;
  message?: string;
}

export const RUN_STATE_FILE = 'run.json';

export async function readRunState(dir: string): Promise<RunState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, RUN_STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<RunState>;
    const ok = value.version === 1 && typeof value.runId === 'string' && typeof value.status === 'string' && typeof value.preset === 'string';
    return ok ? (value as RunState) : undefined;
  } catch {
    return undefined; // a torn or hand-edited file means "no known run", never an error
  }
}

/** Written whole and atomically, readable by the user only (it names the workspace's folders). */
export async function writeRunState(dir: string, state: RunState): Promise<void> {
  await writePrivateFileAtomically(path.join(dir, RUN_STATE_FILE), JSON.stringify(state, null, 2));
}

/** Serialises writes: progress events arrive faster than the disk, and the last state must win. */
export class RunStateWriter {
  private chain: Promise<void> = Promise.resolve();
  private latest: RunState | undefined;
  private scheduled = false;

  constructor(private readonly dir: string, private readonly onError: (err: unknown) => void) {}

  write(state: RunState): Promise<void> {
    this.latest = { ...state, updatedAt: Date.now() };
    if (!this.scheduled) {
      this.scheduled = true;
      this.chain = this.chain.then(async () => {
        this.scheduled = false;
        const snapshot = this.latest!;
        await writeRunState(this.dir, snapshot).catch(this.onError);
      });
    }
    return this.chain;
  }
}
