/**
 * engineProcess.ts: the engine child process (bundled to dist/engineProcess.js).
 *
 * Loads the native addon and serves protocol.ts requests over the IPC channel. Two lanes:
 *  - training: one run at a time; each optimizer step is an async worker-thread call, so the event
 *    loop stays free between steps;
 *  - serving (loadModel, complete, attention): one request at a time, on a model loaded separately
 *    from the checkpoint file. Completions interleave with training steps.
 * Cancellation stops training between steps (it saves a checkpoint first) and aborts a generation
 * between tokens. When the parent goes away, training is stopped the same way and the process exits.
 */
import * as os from 'node:os';
import { loadAddon, type NativeCancelToken, type SeedlingAddon } from './addon';
import { WorkspaceContext } from '../shared/context/workspaceContext';
import { attentionTokenLimit, checkAttentionText } from './attentionLimits';
import { buildAttentionResult } from './attentionMaps';
import { CompletionModel } from './completionModel';
import { completeAtCursor } from './cursorCompletion';
import { RepositoryModel } from './infgram/repositoryModel';
import { suggestAtCursor } from './suggestion';
import { ENGINE_UNAVAILABLE, codedError, toEngineError } from '../shared/engineErrors';
import type {
  AttentionParams, AttentionResult, CancelRequest, CompleteParams, CompleteResult, EngineEvent,
  EngineRequest, EngineResponse, IndexFilesParams, IndexFilesResult, LoadModelParams, LoadModelResult,
  MethodName, MethodParams, MethodResult, PingResult, TrainParams, TrainResult, UpdateFileParams,
} from '../shared/protocol';
import { readDocuments } from './training/documents';
import { SerialLane } from './serialLane';
import { runTraining } from './training/runTraining';

const DEFAULT_MAX_TOKENS = 64;
/** How long shutdown may wait for training to save before the process exits regardless (ms). The
 * host kills an engine that outlives its own, longer limit (engineClient.ts DEFAULT_HARD_EXIT_MS). */
const SHUTDOWN_HARD_EXIT_MS = Number(process.env.SEEDLING_SHUTDOWN_EXIT_MS) > 0 ? Number(process.env.SEEDLING_SHUTDOWN_EXIT_MS) : 8_000;
const EXIT_HARD = 3;

interface Running {
  cancelled: boolean;
  token?: NativeCancelToken;  // generations: raised to stop between tokens
}

/** What a handler knows about the request it serves besides its params. */
interface Call {
  id: number;
  state: Running;
  addon: SeedlingAddon;
}

/** One handler per method of the protocol, typed by the method map: a method without a handler, or a
 * handler that takes or returns the wrong shape, does not compile. */
type Handlers = { [M in MethodName]: (params: MethodParams<M>, call: Call) => Promise<MethodResult<M>> };

/** Indexing yields to waiting requests after this much work (ms). */
const INDEX_SLICE_MS = 8;

function applyUpdate(workspace: WorkspaceContext, update: UpdateFileParams): void {
  if (typeof update.text === 'string') workspace.setFile(update.path, update.text);
  else workspace.removeFile(update.path);
}

class EngineServer {
  private readonly serving = new SerialLane();
  private readonly running = new Map<number, Running>();
  private training: { id: number; done: Promise<unknown> } | undefined;
  private readonly completion: CompletionModel | undefined;
  /** The workspace files completions retrieve from and copy from (indexFiles, updateFile). */
  private workspace = new WorkspaceContext();
  /** The index being built by the latest indexFiles; file updates that arrive meanwhile are replayed on it. */
  private indexing: { updates: UpdateFileParams[] } | undefined;
  private shuttingDown = false;
  /** The repository as a language model (the ∞-gram over the workspace's tokens) and its weights. */
  private readonly repository: RepositoryModel;

  constructor(private readonly addon: SeedlingAddon | undefined, private readonly addonError: string | undefined) {
    this.repository = new RepositoryModel(
      (tokens, depth) => (addon ? addon.suffixSort(tokens, depth) : Promise.reject(new Error('no engine'))),
      (message) => process.stderr.write(`${message}\n`),
    );
    if (addon) {
      this.completion = new CompletionModel(addon);
      const wanted = Number(process.env.SEEDLING_THREADS) || Math.min(os.availableParallelism(), 8);
      addon.setThreads(wanted);
    }
  }

  /** Requests, by method. The serving lane runs one request at a time; a request cancelled while it
   * waits there never starts. */
  private readonly handlers: Handlers = {
    ping: async (_params, { addon }) => this.ping(addon),
    train: (params, { addon, id, state }) => this.train(addon, id, params, state),
    loadModel: (params, { addon, state }) => this.serving.run(() => this.loadModel(addon, params), () => state.cancelled),
    complete: (params, { addon, state }) => this.serving.run(() => this.complete(addon, params, state), () => state.cancelled),
    attention: (params, { addon, state }) => this.serving.run(() => this.attention(addon, params, state), () => state.cancelled),
    indexFiles: (params, { state }) => this.indexFiles(params, state),
    updateFile: (params, { state }) => this.serving.run(async () => this.updateFile(params), () => state.cancelled),
    shutdown: () => this.shutdown(),
  };

  handle(message: unknown): void {
    if (isCancel(message)) {
      this.cancel(message.cancel);
      return;
    }
    if (!isRequest(message)) return;
    const state: Running = { cancelled: false };
    this.running.set(message.id, state);
    this.dispatch(message, state).then(
      (result) => this.respond({ id: message.id, result }),
      (err) => this.respond({ id: message.id, error: toEngineError(err) }),
    ).finally(() => this.running.delete(message.id));
  }

  private async dispatch<M extends MethodName>(request: EngineRequest<M>, state: Running): Promise<MethodResult<M>> {
    const addon = this.addon;
    if (!addon) throw codedError(ENGINE_UNAVAILABLE, this.addonError ?? 'the engine could not be loaded');
    // The method name comes from another process: only the table's own keys count (not "toString").
    if (!Object.hasOwn(this.handlers, request.method)) throw codedError('invalid argument', `unknown method "${String(request.method)}"`);
    const handler: Handlers[M] = this.handlers[request.method];
    return handler(request.params, { id: request.id, state, addon });
  }

  private ping(addon: SeedlingAddon): PingResult {
    return { version: addon.version(), kernel: addon.kernelName(), threads: addon.getThreads(),
      devices: addon.cudaStatus().available ? ['cpu', 'cuda'] : ['cpu'] };
  }

  /** Thread count changes only while nothing else runs in the engine (its pool requires it). */
  private applyThreads(addon: SeedlingAddon, threads: number | undefined, busyElsewhere: boolean): void {
    if (!threads || threads === addon.getThreads()) return;
    if (busyElsewhere) {
      this.event({ id: 0, event: 'log', data: { level: 'warn', message: `thread count stays ${addon.getThreads()} (engine busy)` } });
      return;
    }
    addon.setThreads(threads);
  }

  private async train(addon: SeedlingAddon, id: number, params: TrainParams, state: Running): Promise<TrainResult> {
    if (this.training) throw codedError('invalid argument', 'a training run is already in progress; cancel it first');
    if (this.shuttingDown) throw codedError('cancelled', 'the engine is shutting down');
    this.applyThreads(addon, params.threads, this.serving.size > 0);
    const run = runTraining(addon, params, {
      progress: (p) => this.event({ id, event: 'trainProgress', data: p }),
      checkpoint: (e) => {
        this.event({ id, event: 'checkpoint', data: e });
        // The serving lane picks up the new file itself; start serving it if nothing was loaded.
        this.serving.run(() => this.completion!.adopt(e.path)).catch((err) =>
          this.event({ id, event: 'log', data: { level: 'warn', message: `could not load the new checkpoint: ${(err as Error).message}` } }));
      },
      log: (level, message) => this.event({ id, event: 'log', data: { level, message } }),
      isCancelled: () => state.cancelled || this.shuttingDown,
    });
    this.training = { id, done: run.catch(() => undefined) };
    try {
      return await run;
    } finally {
      this.training = undefined;
    }
  }

  private async loadModel(addon: SeedlingAddon, params: LoadModelParams & { threads?: number }): Promise<LoadModelResult> {
    this.applyThreads(addon, params.threads, this.training !== undefined);
    const loaded = await this.completion!.load(params.path);
    // The workspace index is per tokenizer: build this model's in the background.
    void this.repository.index(this.workspace, loaded.tokenizer);
    return { config: loaded.model.config, parameters: loaded.model.numParams, path: params.path };
  }

  private async complete(addon: SeedlingAddon, params: CompleteParams, state: Running): Promise<CompleteResult> {
    const started = performance.now();
    const { model, tokenizer, session } = await this.completion!.current();
    const token = addon.newCancelToken();
    state.token = token;
    if (state.cancelled) token.cancel();
    const timer = params.timeoutMs ? setTimeout(() => token.cancel(), params.timeoutMs) : undefined;
    try {
      const deps = { session, tokenizer, contextLength: model.config.contextLength, workspace: this.workspace };
      const generation = { maxTokens: params.maxTokens ?? DEFAULT_MAX_TOKENS, temperature: params.temperature ?? 0, cancel: token };
      const r = params.stop !== undefined
        ? await completeAtCursor(deps, params, generation)
        : await suggestAtCursor({ ...deps, ...(await this.repository.for(this.workspace, tokenizer, this.completion!.path)) }, params, generation);
      // A timeout returns what was generated so far; an explicit cancel is an error to the caller.
      if (state.cancelled) throw codedError('cancelled', 'completion cancelled');
      return {
        completion: r.text, ms: performance.now() - started, promptTokens: r.promptTokens,
        reusedTokens: r.reusedTokens, generatedTokens: r.generatedTokens, stoppedBy: r.stoppedBy,
        source: r.source,
        ...('kind' in r ? { kind: r.kind, candidate: r.candidate, confidence: r.confidence, lineScore: r.lineScore, copiedShare: r.copiedShare } : { contextChars: r.contextChars }),
      };
    } finally {
      if (timer) clearTimeout(timer);
      state.token = undefined;
    }
  }

  /**
   * Builds a new index beside the one in use and swaps it in when done. Off the serving lane, in
   * slices: a large workspace takes seconds to index, and completions keep being answered (from the
   * previous index) meanwhile. A newer indexFiles supersedes this one.
   */
  private async indexFiles(params: IndexFilesParams, state: Running): Promise<IndexFilesResult> {
    const started = performance.now();
    const job = { updates: [] as UpdateFileParams[] };
    this.indexing = job;
    const superseded = () => this.indexing !== job || state.cancelled || this.shuttingDown;
    const read = await readDocuments([...new Set(params.files ?? [])]);
    const workspace = new WorkspaceContext();
    let sliceStart = performance.now();
    for (const d of read.documents) {
      if (superseded()) throw codedError('cancelled', 'indexing was cancelled or superseded by a newer request');
      workspace.setFile(d.path, d.text.toString('utf8'));
      if (performance.now() - sliceStart > INDEX_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    if (superseded()) throw codedError('cancelled', 'indexing was cancelled or superseded by a newer request');
    for (const update of job.updates) applyUpdate(workspace, update);
    this.workspace = workspace;
    this.indexing = undefined;
    // The repository's ∞-gram over the new workspace, for the model that serves (off the serving lane:
    // encoding yields, the sort runs on a worker thread). Resolving after it lets callers that measure
    // (seedling eval, seedling complete --workspace) start from the whole index.
    const tokenizer = this.completion?.tokenizer;
    if (tokenizer) await this.repository.index(workspace, tokenizer);
    return { files: workspace.fileCount, chunks: workspace.index.size, ms: performance.now() - started };
  }

  private updateFile(params: UpdateFileParams): null {
    if (typeof params?.path !== 'string') throw codedError('invalid argument', 'updateFile needs a path');
    applyUpdate(this.workspace, params);
    this.indexing?.updates.push(params);
    return null;
  }

  /** Bounded (attentionLimits.ts) and cancellable: a cancel stops the native forward between layers. */
  private async attention(addon: SeedlingAddon, params: AttentionParams, state: Running): Promise<AttentionResult> {
    const started = performance.now();
    const text = checkAttentionText(params?.text);
    const { model, tokenizer } = await this.completion!.current();
    const config = model.config;
    const limit = attentionTokenLimit(config, params.maxTokens);
    const all = tokenizer.encode(text);
    if (all.length === 0) throw codedError('invalid argument', 'attention needs a non-empty text');
    const tokens = all.subarray(Math.max(0, all.length - limit));
    const token = addon.newCancelToken();
    state.token = token;
    if (state.cancelled) token.cancel();
    try {
      const { weights, nextLogits } = await model.attention(tokens, { cancel: token });
      if (state.cancelled) throw codedError('cancelled', 'attention cancelled');
      return buildAttentionResult(tokenizer, config, text, tokens, weights, nextLogits, performance.now() - started);
    } finally {
      state.token = undefined;
    }
  }

  private cancel(id: number): void {
    const state = this.running.get(id);
    if (!state) return;
    state.cancelled = true;
    state.token?.cancel();
  }

  /**
   * Stop training (it saves), answer, then exit once the answer is on its way. Nothing may keep the
   * process alive past that: a model still busy in a worker throws "busy" on release (we are leaving
   * anyway, the OS frees it), and a run that does not finish its step within SHUTDOWN_HARD_EXIT_MS
   * (a wedged native call) is abandoned by the hard-exit timer rather than left as an orphan.
   */
  async shutdown(): Promise<null> {
    if (!this.shuttingDown) {
      const timer = setTimeout(() => {
        process.stderr.write(`shutdown did not finish within ${SHUTDOWN_HARD_EXIT_MS} ms: exiting\n`);
        process.exit(EXIT_HARD);
      }, SHUTDOWN_HARD_EXIT_MS);
      timer.unref();  // a clean shutdown exits first; the timer must not be what keeps us alive
    }
    this.shuttingDown = true;
    try {
      if (this.training) await this.training.done;
    } finally {
      try {
        this.completion?.release();
      } catch (err) {
        process.stderr.write(`shutdown: ${(err as Error).message}\n`);
      }
      setImmediate(() => process.exit(0));
    }
    return null;
  }

  private respond(response: EngineResponse): void {
    if (process.connected) process.send!(response);
  }

  private event(message: EngineEvent): void {
    if (process.connected) process.send!(message);
  }
}

function isRequest(message: unknown): message is EngineRequest {
  const m = message as EngineRequest | null;
  return typeof m === 'object' && m !== null && typeof m.id === 'number' && typeof m.method === 'string';
}

function isCancel(message: unknown): message is CancelRequest {
  return typeof message === 'object' && message !== null && typeof (message as CancelRequest).cancel === 'number';
}

function main(): void {
  if (!process.send) {
    console.error('engineProcess.js is the Seedling engine child process; it is started by the extension or the CLI.');
    process.exit(2);
  }
  let addon: SeedlingAddon | undefined;
  let addonError: string | undefined;
  try {
    addon = loadAddon();
  } catch (err) {
    addonError = `cannot load the Seedling engine: ${(err as Error).message}`;
  }
  const server = new EngineServer(addon, addonError);
  process.on('message', (m) => server.handle(m));
  // Ctrl+C in a terminal reaches the whole process group; the parent decides what it means (the CLI
  // cancels training, which saves first), so the engine must not die of it mid-write.
  process.on('SIGINT', () => undefined);
  // The parent is gone (closed the channel or died): stop training gracefully and leave.
  process.on('disconnect', () => { void server.shutdown(); });
}

main();
