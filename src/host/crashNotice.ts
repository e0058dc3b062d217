/**
 * crashNotice.ts: what the user hears when the engine process dies. The supervisor restarts it (with
 * backoff, and not at all after repeated crashes: restartPolicy.ts); here we forget the model it had
 * loaded (the next completion reloads it), and say plainly what happened and what still works, once
 * per episode of crashes (crashNoticePolicy.ts). Training is not restarted behind the user's back:
 * they choose to resume.
 */
import * as vscode from 'vscode';
import { crashNoticeKind } from './crashNoticePolicy';
import type { Log } from './log';
import type { ModelHost } from './modelHost';
import type { TrainingController } from './training/trainingController';

export interface CrashInfo {
  /** Exit code or signal, as the supervisor describes it (e.g. "signal SIGKILL"). */
  reason: string;
  /** Crashes in a row, this one included (1 when unknown). */
  crashes?: number;
  /** Restarts stopped with this crash. */
  gaveUp?: boolean;
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
    const kind = crashNoticeKind({ crashes: info.crashes ?? 1, gaveUp: info.gaveUp ?? false });
    if (kind === 'log-only') {
      this.log.error(`Seedling's engine stopped unexpectedly again (${info.reason}; ${info.crashes} crashes in a row); restarting it after a pause.`);
      return;
    }
    if (kind === 'gave-up') {
      const message = `Seedling's engine crashed ${info.crashes} times in a row (last: ${info.reason}), so it is no longer restarted; ` +
        'completions are off until you restart it.';
      this.log.error(message);
      void vscode.window.showErrorMessage(message, 'Restart Engine', 'Show Log').then((choice) => {
        if (choice === 'Restart Engine') void vscode.commands.executeCommand('seedling.restartEngine');
        else if (choice === 'Show Log') this.log.show();
      });
      this.notified.fire(message);
      return;
    }
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
