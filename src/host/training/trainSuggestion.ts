/**
 * trainSuggestion.ts: the one nudge a new user gets. Once the open folder has source files and no
 * model, a single information message offers to train, with "Train" and "Don't ask again". It is
 * shown at most once per workspace (workspaceState), nowhere ever again after "Don't ask again"
 * (globalState), and never for an empty folder, an untrusted one, or while a model exists or a run is
 * going. Everything it does is asynchronous and cheap: one stat and one file search capped at one hit
 * (VS Code runs the search outside the extension host thread). No vscode import at run time, so the
 * decision is unit-tested with fakes; the vscode side is wired in extension.ts.
 */
import type * as vscode from 'vscode';

export const SUGGESTED_KEY = 'seedling.trainSuggestion.shown';
export const NEVER_KEY = 'seedling.trainSuggestion.never';
export const TRAIN_ITEM = 'Train';
export const NEVER_ITEM = "Don't ask again";

/** Why the suggestion was or was not shown (the suite and the log read it). */
export type SuggestionOutcome =
  | 'shown'
  | 'asked-before'
  | 'declined-forever'
  | 'no-folder'
  | 'untrusted'
  | 'training'
  | 'has-model'
  | 'no-sources'
  | 'error';

export interface TrainSuggestionDeps {
  workspaceState: vscode.Memento;
  globalState: vscode.Memento;
  folder: () => vscode.Uri | undefined;
  isTrusted: () => boolean;
  isTraining: () => boolean;
  hasModel: () => Promise<boolean>;
  hasSources: (folder: vscode.Uri) => Promise<boolean>;
  /** vscode.window.showInformationMessage in the extension; resolves when the user picks or dismisses. */
  show: (message: string, ...items: string[]) => Thenable<string | undefined>;
  train: () => Thenable<unknown>;
  log: (message: string) => void;
}

export const SUGGESTION_MESSAGE = 'Seedling can learn this workspace\'s code and suggest completions from it. Train a model now? It runs in the background, on this machine.';

export class TrainSuggestion {
  /** The message last shown, for tests; undefined until one is. */
  lastShown: string | undefined;
  /** Settles when the user has answered the shown message (tests await it after answering). */
  answered: Promise<string | undefined> = Promise.resolve(undefined);
  private checking: Promise<SuggestionOutcome> | undefined;

  constructor(private readonly deps: TrainSuggestionDeps) {}

  /**
   * Decides, and shows the message when every condition holds. Resolves once the message is up (not
   * when it is answered), so a caller never waits on the user. Concurrent calls share one check: two
   * overlapping checks must not show the message twice.
   */
  check(): Promise<SuggestionOutcome> {
    this.checking ??= this.decideAndShow().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async decideAndShow(): Promise<SuggestionOutcome> {
    const d = this.deps;
    // Cheapest facts first; the file search runs only when everything else says yes.
    const folder = d.folder();
    let outcome: SuggestionOutcome | undefined;
    if (d.globalState.get<boolean>(NEVER_KEY)) outcome = 'declined-forever';
    else if (d.workspaceState.get<boolean>(SUGGESTED_KEY)) outcome = 'asked-before';
    else if (!folder) outcome = 'no-folder';
    else if (!d.isTrusted()) outcome = 'untrusted';
    else if (d.isTraining()) outcome = 'training';
    else if (await d.hasModel()) outcome = 'has-model';
    else if (!(await d.hasSources(folder))) outcome = 'no-sources';
    // The facts took time to gather: a run may have started meanwhile.
    else if (d.isTraining()) outcome = 'training';
    if (outcome) {
      d.log(`Train suggestion not shown: ${outcome}`);
      return outcome;
    }
    // Remembered before showing: a window reload while the message is up must not show it again.
    await d.workspaceState.update(SUGGESTED_KEY, true);
    this.lastShown = SUGGESTION_MESSAGE;
    d.log('Train suggestion shown');
    this.answered = Promise.resolve(d.show(SUGGESTION_MESSAGE, TRAIN_ITEM, NEVER_ITEM)).then(async (choice) => {
      // The run reports its own outcome (notifications, status bar); only a failure to start is ours.
      if (choice === TRAIN_ITEM) void Promise.resolve(d.train()).catch((err) => d.log(`Training from the suggestion did not start: ${err}`));
      else if (choice === NEVER_ITEM) await d.globalState.update(NEVER_KEY, true);
      return choice;
    });
    return 'shown';
  }
}
