/**
 * engineClient.ts: the supervisor of the engine child process, used by the extension and the CLI
 * (no 'vscode' import here).
 *
 * request() forks the engine on first use (and again after it died), sends the request with a
 * fresh id, routes the engine's events for that id to the caller's onEvent, turns an AbortSignal
 * into a cancel message, and settles with the engine's answer. If the engine process exits, every
 * request in flight is rejected with a clear error ("engine stopped unexpectedly (signal SIGKILL)",
 * code engine-crashed), onCrash listeners hear about it, and the next request starts a new engine.
 *
 * A wedged engine is contained: every request but `train` has a deadline (rejected with code
 * 'timeout' and cancelled in the engine when it passes), an engine that misses several deadlines in
 * a row is killed by the watchdog (and restarted by the next request), and at most maxPending
 * requests wait at once: past that, the oldest completion is dropped (a newer keystroke supersedes
 * it), or the new request is refused when no completion is waiting.
 *
 * A crash-looping engine is contained too (restartPolicy.ts): restarts after crashes in a row back
 * off exponentially (a completion asked for meanwhile is refused at once rather than queued; other
 * requests wait), and after several the breaker opens: requests fail with code engine-unavailable
 * until resetRestarts(). A `shutdown` that the engine does not finish within hardExitMs is ended
 * with SIGKILL, so no engine outlives its parent's intent.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { CodedError, ENGINE_CRASHED, ENGINE_UNAVAILABLE, fromEngineError } from './engineErrors';
import { RestartPolicy, type RestartPolicyOptions } from './restartPolicy';
import type { EngineEvent, EngineMethods, EngineRequest, EngineResponse, MethodName } from './protocol';

export interface RequestOptions {
  /** Progress and log events of this request. */
  onEvent?: (event: EngineEvent) => void;
  /** Overrides the method's deadline (DEFAULT_DEADLINES_MS); Infinity for none. */
  timeoutMs?: number;
  /** Abort sends a cancel message; the request then settles with the engine's answer (a cancelled
   *  training run still saves and returns its result; a completion rejects with code 'cancelled'). */
  signal?: AbortSignal;
}

export interface CrashInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** "engine stopped unexpectedly (signal SIGKILL)" */
  reason: string;
  /** The last lines the engine wrote to stderr (native diagnostics), for the log. */
  stderr: string;
  /** Crashes in a row so far, this one included (restartPolicy.ts's episode). */
  crashes: number;
  /** The breaker opened with this crash: no restart until resetRestarts(). */
  gaveUp: boolean;
}

export interface EngineClientOptions {
  /** The engine script (default: <extensionPath>/dist/engineProcess.js, else engineProcess.js next to this bundle). */
  enginePath?: string;
  extensionPath?: string;
  /** Lifecycle lines (started, stopped) and the engine's stderr. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Extra environment for the engine (e.g. SEEDLING_THREADS). */
  env?: NodeJS.ProcessEnv;
  /** Lines the engine wrote to stderr (native diagnostics). */
  onStderr?: (text: string) => void;
  /** Per-method deadlines over DEFAULT_DEADLINES_MS (tests shorten them). */
  deadlinesMs?: Partial<Record<string, number>>;
  /** Consecutive missed deadlines after which the engine is killed (default 3). */
  watchdogMisses?: number;
  /** Requests waiting at once (default 64). */
  maxPending?: number;
  /** Backoff and circuit breaker for restarts after crashes (DEFAULT_RESTART_POLICY). */
  restart?: RestartPolicyOptions;
  /** After a `shutdown` is sent, the engine is killed if it has not exited within this (default 10 s). */
  hardExitMs?: number;
}

export const DEFAULT_HARD_EXIT_MS = 10_000;

/**
 * How long each request may take. Generous: a deadline is for an engine that stopped answering, not
 * for a slow one (a model load on a busy machine, a first index of a large repository). A training
 * run reports progress instead and has none.
 */
export const DEFAULT_DEADLINES_MS: Record<string, number> = {
  ping: 10_000, loadModel: 120_000, complete: 30_000, attention: 60_000, indexFiles: 300_000, updateFile: 30_000,
  shutdown: 15_000, train: Infinity,
};
const UNKNOWN_METHOD_DEADLINE_MS = 60_000;
export const ENGINE_TIMEOUT = 'timeout';
export const ENGINE_BUSY = 'engine-busy';

interface Pending {
  method: MethodName;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onEvent?: (event: EngineEvent) => void;
  cleanup: () => void;
  child: ChildProcess;
}

type Listener<T> = (value: T) => void;

const STDERR_KEEP = 4000;

export class EngineClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly crashListeners = new Set<Listener<CrashInfo>>();
  private readonly eventListeners = new Set<Listener<EngineEvent>>();
  private expectedExit = new WeakSet<ChildProcess>();
  private stderrTail = '';
  private disposed = false;
  private readonly enginePath: string;
  /** Deadlines missed in a row by the running engine; any answer resets it. */
  private missedDeadlines = 0;
  private readonly restarts: RestartPolicy;
  /** The wait before a restart after crashes (shared by the requests that arrive meanwhile). */
  private restartWait: Promise<void> | undefined;

  constructor(private readonly options: EngineClientOptions = {}) {
    this.enginePath = options.enginePath ??
      (options.extensionPath ? path.join(options.extensionPath, 'dist', 'engineProcess.js') : path.join(__dirname, 'engineProcess.js'));
    this.restarts = new RestartPolicy(options.restart);
  }

  /** Whether restarts stopped after repeated crashes (requests fail until resetRestarts()). */
  get restartsStopped(): boolean { return this.restarts.open; }

  /** The user asked to try again: close the breaker; the next request starts an engine at once. */
  resetRestarts(): void { this.restarts.reset(); }

  /** Whether an engine process is running now. */
  get running(): boolean { return this.child !== undefined; }
  /** The engine's process id (undefined when none runs). */
  get pid(): number | undefined { return this.child?.pid; }

  onCrash(listener: Listener<CrashInfo>): { dispose(): void } {
    this.crashListeners.add(listener);
    return { dispose: () => this.crashListeners.delete(listener) };
  }

  /** Every event from the engine (all requests), e.g. for a log channel. */
  onEvent(listener: Listener<EngineEvent>): { dispose(): void } {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  request<M extends MethodName>(method: M, params: EngineMethods[M]['params'], options: RequestOptions = {}): Promise<EngineMethods[M]['result']> {
    if (this.disposed) return Promise.reject(new CodedError('disposed', 'the engine client was disposed'));
    if (options.signal?.aborted) return Promise.reject(new CodedError('cancelled', `${method} cancelled`));
    if (!this.child && method !== 'shutdown') {
      if (this.restarts.open) {
        return Promise.reject(new CodedError(ENGINE_UNAVAILABLE, `the engine crashed ${this.restarts.crashes} times in a row; ` +
          'Seedling stopped restarting it (restart it from the notification or with Seedling: Restart Engine)'));
      }
      const delay = this.restarts.delayBeforeStart(Date.now());
      if (delay > 0) {
        // A keystroke's completion is worthless by the time the wait ends: refuse it now instead of queueing.
        if (method === 'complete') return Promise.reject(new CodedError(ENGINE_UNAVAILABLE, `the engine restarts in ${Math.ceil(delay)} ms after a crash`));
        return this.waitForRestart(delay, options.signal).then(() => this.request(method, params, options));
      }
    }
    if (!this.makeRoomFor(method)) {
      return Promise.reject(new CodedError(ENGINE_BUSY, `${method} refused: ${this.pending.size} requests are already waiting for the engine`));
    }
    const child = this.ensureChild();
    if (method === 'shutdown') this.armHardExit(child);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.cancelInEngine(child, id);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const deadline = options.timeoutMs ?? this.options.deadlinesMs?.[method] ?? DEFAULT_DEADLINES_MS[method] ?? UNKNOWN_METHOD_DEADLINE_MS;
      const timer = Number.isFinite(deadline) ? setTimeout(() => this.missDeadline(id, deadline), deadline) : undefined;
      timer?.unref?.();
      this.pending.set(id, {
        method, resolve: resolve as (v: unknown) => void, reject, onEvent: options.onEvent, child,
        cleanup: () => { options.signal?.removeEventListener('abort', onAbort); clearTimeout(timer); },
      });
      const request: EngineRequest<M> = { id, method, params };
      try {
        child.send(request, (err) => {
          if (err) this.settle(id, undefined, new CodedError(ENGINE_CRASHED, `could not send ${method} to the engine: ${err.message}`));
        });
      } catch (err) {
        // Structured clone refuses some values (a function, a symbol) before anything is sent.
        this.settle(id, undefined, new CodedError('invalid argument', `cannot send ${method} to the engine: ${(err as Error).message}`));
      }
    });
  }

  /** Ask the engine to stop (training saves first), wait up to timeoutMs, then kill it. */
  async dispose(timeoutMs = 10_000): Promise<void> {
    this.disposed = true;
    const child = this.child;
    if (!child) return;
    this.expectedExit.add(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ id: this.nextId++, method: 'shutdown', params: {} });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** One timer for every request that waits out the backoff; abort leaves the wait early. */
  private waitForRestart(delay: number, signal: AbortSignal | undefined): Promise<void> {
    this.restartWait ??= new Promise<void>((resolve) => {
      setTimeout(() => { this.restartWait = undefined; resolve(); }, delay);
    });
    const wait = this.restartWait;
    if (!signal) return wait;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new CodedError('cancelled', 'cancelled while the engine waited to restart'));
      signal.addEventListener('abort', onAbort, { once: true });
      void wait.then(() => { signal.removeEventListener('abort', onAbort); resolve(); });
    });
  }

  /**
   * The engine is asked to stop: it should answer and exit, but one that is wedged (a native call that
   * never returns, a handle still busy) would live on as an orphan. Past hardExitMs it is killed.
   */
  private armHardExit(child: ChildProcess): void {
    if (this.expectedExit.has(child)) return;
    this.expectedExit.add(child);
    const ms = this.options.hardExitMs ?? DEFAULT_HARD_EXIT_MS;
    const timer = setTimeout(() => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      this.options.log?.('warn', `the engine did not exit within ${ms} ms of shutdown: killing it (pid ${child.pid})`);
      child.kill('SIGKILL');
    }, ms);
    child.once('exit', () => clearTimeout(timer));
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.enginePath, [], {
      execArgv: [],  // never inherit --inspect and friends from the host
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Structured clone instead of JSON: the attention inspector's weights (16 MB of float32 for the
      // small preset) cross as binary; as base64 in JSON (22 MB) they took ~0.5 s. See protocol.ts.
      serialization: 'advanced',
    });
    this.stderrTail = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEEP);
      this.options.onStderr?.(text);
      for (const line of text.split('\n')) if (line.trim()) this.options.log?.('warn', line);
    });
    child.on('message', (m) => this.onMessage(m as EngineResponse | EngineEvent));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    child.on('error', (err) => {
      // fork failures (e.g. the script is missing) surface here before any exit
      if (this.child === child) this.failAll(new CodedError(ENGINE_CRASHED, `could not start the engine: ${err.message}`));
    });
    this.child = child;
    this.options.log?.('info', `engine started (pid ${child.pid})`);
    return child;
  }

  private cancelInEngine(child: ChildProcess, id: number): void {
    if (this.child === child && child.connected) child.send({ cancel: id });
  }

  /**
   * Room for one more request: past maxPending the oldest waiting completion gives way (its answer
   * would arrive after the text it completes has changed). False when nothing can give way.
   */
  private makeRoomFor(method: MethodName): boolean {
    if (this.pending.size < (this.options.maxPending ?? 64)) return true;
    if (method === 'shutdown') return true;
    for (const [id, p] of this.pending) {
      if (p.method !== 'complete') continue;
      this.cancelInEngine(p.child, id);
      this.settle(id, undefined, new CodedError('cancelled', 'completion dropped: too many requests were waiting for the engine'));
      return true;
    }
    return false;
  }

  /** The request fails with 'timeout'; an engine that misses several in a row is wedged and is killed. */
  private missDeadline(id: number, deadline: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.cancelInEngine(p.child, id);
    this.settle(id, undefined, new CodedError(ENGINE_TIMEOUT, `${p.method} got no answer from the engine within ${deadline} ms`));
    if (p.child !== this.child) return;
    this.missedDeadlines++;
    const limit = this.options.watchdogMisses ?? 3;
    if (this.missedDeadlines >= limit) {
      this.options.log?.('error', `the engine missed ${this.missedDeadlines} deadlines in a row: killing it (pid ${p.child.pid}); the next request starts a new one`);
      this.missedDeadlines = 0;
      p.child.kill('SIGKILL');
    }
  }

  private onMessage(message: EngineResponse | EngineEvent): void {
    if ('event' in message) {
      this.pending.get(message.id)?.onEvent?.(message);
      for (const l of this.eventListeners) l(message);
      return;
    }
    this.missedDeadlines = 0;  // it answers: not wedged
    if ('error' in message) this.settle(message.id, undefined, fromEngineError(message.error));
    else this.settle(message.id, message.result, undefined);
  }

  private settle(id: number, result: unknown, error: Error | undefined): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup();
    if (error) p.reject(error);
    else p.resolve(result);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.missedDeadlines = 0;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const expected = this.expectedExit.has(child);
    const message = expected ? `the engine was shut down (${how})` : `engine stopped unexpectedly (${how})`;
    const hadWork = this.pending.size > 0;
    this.options.log?.(expected ? 'info' : 'error', message);
    this.failAll(new CodedError(ENGINE_CRASHED, message + stderrHint(this.stderrTail)));
    if (!expected && (hadWork || code !== 0)) {
      const crashes = this.restarts.recordCrash(Date.now());
      const gaveUp = this.restarts.open;
      if (gaveUp) this.options.log?.('error', `the engine crashed ${crashes} times in a row: not restarting it until asked`);
      const info: CrashInfo = { code, signal, reason: message, stderr: this.stderrTail, crashes, gaveUp };
      for (const l of this.crashListeners) l(info);
    }
  }

  private failAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, error);
  }
}

function stderrHint(stderr: string): string {
  const lastLine = stderr.trim().split('\n').pop();
  return lastLine ? `: ${lastLine.slice(0, 300)}` : '';
}
