/**
 * crashNotice.ts: what the user hears when the engine process dies. The supervisor restarts it; here
 * we forget the model it had loaded (the next completion reloads it), and say plainly what happened
 * and what still works. Training is not restarted behind the user's back: they choose to resume.
 */
import * as vscode from 'vscode';
import type { Log } from './log';
import type { ModelHost } from './modelHost';
import type { TrainingController } from './training/trainingController';

export interface CrashInfo {
  /** Exit code or signal, as the supervisor describes it (e.g. "signal SIGKILL"). */
  reason: string;
}

export class CrashNotice implements vscode.Disposable {
  private readonly notified = new vscode.EventEmitter<string>();
  /** Fires with the message shown (the test suite waits for it). */
  readonly onDidNotify = this.notified.event;

  constructor(
    private readonly model: ModelHost,
    private readonly training: TrainingController,
    private readonly log: Log,
  ) {}

  /** Called by the engine supervisor's crash event. */
  handle(info: CrashInfo): void {
    const wasTraining = this.training.isActive;
    this.model.forget();
    let message = `Seedling's engine stopped unexpectedly (${info.reason}). It was restarted; completions continue from the last checkpoint.`;
    if (wasTraining) message += ' Training was interrupted: choose Resume Training to continue from its last checkpoint.';
    this.log.error(message);
    const actions = wasTraining ? ['Resume Training', 'Show Log'] : ['Show Log'];
    void vscode.window.showWarningMessage(message, ...actions).then((choice) => {
      if (choice === 'Resume Training') void vscode.commands.executeCommand('seedling.resumeTraining');
      else if (choice === 'Show Log') this.log.show();
    });
    this.notified.fire(message);
  }

  dispose(): void {
    this.notified.dispose();
  }
}
