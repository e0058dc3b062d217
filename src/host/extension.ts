/**
 * extension.ts: activation wires the parts together and returns. It must stay well under 200 ms: no
 * engine start (the engine process forks on its first request: the first completion or training run),
 * no file reads beyond what VS Code already did, no corpus scan. Slower work is scheduled after.
 */
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { ConfigService } from './config';
import { collectCorpus } from '../shared/corpus';
import { CrashNotice } from './crashNotice';
import { registerDashboard } from './dashboard';
import { EngineClient } from '../shared/engineClient';
import { WorkspaceIndexer } from './completion/workspaceIndexer';
import { OutcomeTracking } from './completion/outcomeTracking';
import { describeAcceptance } from './completion/suggestionOutcomes';
import { SeedlingInlineProvider, type CompleteOptions, type CompletionAnswer } from './completion/inlineProvider';
import { Log } from './log';
import { ModelHost } from './modelHost';
import type { SeedlingServices } from './services';
import { SeedlingStatusBar } from './training/statusBar';
import { storagePaths } from './training/storagePaths';
import { TrainingController } from './training/trainingController';
import type { SuggestionOutcome, TrainSuggestion } from './training/trainSuggestion';
import { startTrainSuggestion } from './training/trainSuggestionHost';

/** What activate() returns: for other extensions and, mostly, for the test suite. */
export interface SeedlingApi {
  services: SeedlingServices;
  provider: SeedlingInlineProvider;
  crashNotice: CrashNotice;
  /** The workspace index completions copy from (tests wait for it before comparing with the CLI). */
  workspaceIndexer: WorkspaceIndexer;
  /** The completion pipeline at a position (no `vscode.execute…` command exists for inline completions). */
  complete(document: vscode.TextDocument, position: vscode.Position, options?: CompleteOptions): Promise<CompletionAnswer | undefined>;
  /** The first-run nudge to train, and the outcome of its check after start-up. */
  trainSuggestion: TrainSuggestion;
  trainSuggestionAtStartup: Promise<SuggestionOutcome>;
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): SeedlingApi {
  const started = performance.now();
  const log = new Log();
  const config = new ConfigService();
  // Per-workspace storage; with no folder open, the global storage (training then says "open a folder").
  const paths = storagePaths((context.storageUri ?? context.globalStorageUri).fsPath);
  const engine = new EngineClient({ extensionPath: context.extensionPath, log: (level, message) => log.write(level, `engine: ${message}`) });
  const model = new ModelHost(engine, paths.checkpoint, log, () => config.current.threads || undefined);
  const training = new TrainingController({ engine, model, config, log, paths, collectCorpus, extensionPath: context.extensionPath });
  const outcomes = new OutcomeTracking(paths.suggestionOutcomes, log);
  const services: SeedlingServices = { context, engine, training, model, config, log, paths, outcomes };

  const provider = new SeedlingInlineProvider(engine, model, config, log, outcomes);
  const workspaceIndexer = new WorkspaceIndexer(engine, model, config, log);
  const crashNotice = new CrashNotice(model, training, log);
  const statusBar = new SeedlingStatusBar();
  const renderStatus = () =>
    statusBar.render({
      training: training.phase === 'idle' ? 'idle' : training.phase,
      progress: training.progress,
      corpusText: training.corpusText,
      model: model.current,
      completionsEnabled: config.current.completion.enabled,
      interruptedRun: training.interruptedRun !== undefined,
      acceptance: describeAcceptance(outcomes.outcomes.summary().total),
    });

  context.subscriptions.push(
    log, config, { dispose: () => void engine.dispose() }, model, training, provider, workspaceIndexer, crashNotice, statusBar, outcomes,
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
    ...registerCommands(services),
    engine.onCrash((info) => {
      if (info.stderr.trim()) log.error(`engine stderr before it stopped:\n${info.stderr.trim()}`);
      crashNotice.handle({ reason: info.signal ? `signal ${info.signal}` : `exit code ${info.code}`, crashes: info.crashes, gaveUp: info.gaveUp });
    }),
    training.onDidChangeState(renderStatus),
    model.onDidChange(renderStatus),
    config.onDidChange(renderStatus),
    outcomes.onDidChange(renderStatus),
  );
  renderStatus();
  registerDashboard(context, services);

  // After start-up settles: offer to resume a run that VS Code's exit interrupted.
  setTimeout(() => void training.offerResumeOfInterruptedRun().catch((err) => log.error('Checking for an interrupted run failed', err)), 1000);

  const { trainSuggestion, atStartup: trainSuggestionAtStartup } = startTrainSuggestion(context, training, paths.checkpoint, log);

  const activationMs = performance.now() - started;
  log.info(`Seedling activated in ${activationMs.toFixed(1)} ms; storage ${paths.dir}`);
  return { services, provider, crashNotice, workspaceIndexer, complete: (d, p, o) => provider.complete(d, p, o), trainSuggestion, trainSuggestionAtStartup, activationMs };
}

