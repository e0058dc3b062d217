/**
 * engineClient.ts: the supervisor of the engine child process, used by the extension and the CLI
 * (no 'vscode' import here).
 *
 * request() forks the engine on first use (and again after it died), sends the request with a
 * fresh id, routes the engine's events for that id to the caller's onEvent, turns an AbortSignal
 * into a cancel message, and settles with the engine's answer. If the engine process exits, every
 * request in flight is rejected with a clear error ("engine stopped unexpectedly (signal SIGKILL)",
 * code engine-crashed), onCrash listeners hear about it, and the next request starts a new engine.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { CodedError, ENGINE_CRASHED, fromEngineError } from './engineErrors';
import type { EngineEvent, EngineMethods, EngineRequest, EngineResponse, MethodName } from './protocol';

export interface RequestOptions {
  /** Progress and log events of this request. */
  onEvent?: (event: EngineEvent) => void;
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
}

interface Pending {
  method: MethodName;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onEvent?: (event: EngineEvent) => void;
  cleanup: () => void;
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

  constructor(private readonly options: EngineClientOptions = {}) {
    this.enginePath = options.enginePath ??
      (options.extensionPath ? path.join(options.extensionPath, 'dist', 'engineProcess.js') : path.join(__dirname, 'engineProcess.js'));
  }

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
    const child = this.ensureChild();
    if (method === 'shutdown') this.expectedExit.add(child);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => { if (this.child === child && child.connected) child.send({ cancel: id }); };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method, resolve: resolve as (v: unknown) => void, reject, onEvent: options.onEvent,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
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

  private onMessage(message: EngineResponse | EngineEvent): void {
    if ('event' in message) {
      this.pending.get(message.id)?.onEvent?.(message);
      for (const l of this.eventListeners) l(message);
      return;
    }
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
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const expected = this.expectedExit.has(child);
    const message = expected ? `the engine was shut down (${how})` : `engine stopped unexpectedly (${how})`;
    const hadWork = this.pending.size > 0;
    this.options.log?.(expected ? 'info' : 'error', message);
    this.failAll(new CodedError(ENGINE_CRASHED, message + stderrHint(this.stderrTail)));
    if (!expected && (hadWork || code !== 0)) {
      const info: CrashInfo = { code, signal, reason: message, stderr: this.stderrTail };
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
