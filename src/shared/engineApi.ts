/**
 * engineApi.ts: the part of the engine client (src/shared/engineClient.ts) that the extension's
 * features use. Features depend on this small interface, not on the process supervisor, so each can be
 * reasoned about (and tested) without a child process; extension.ts hands them the real client.
 */
import type { EngineEvent, EngineMethods, MethodName } from './protocol';

export interface EngineRequestOptions {
  /** Progress of this request (training progress, checkpoints, engine log lines). */
  onEvent?: (event: EngineEvent) => void;
  /** Aborting sends the engine a cancel message for this request; the promise then rejects. */
  signal?: AbortSignal;
}

export interface Engine {
  request<M extends MethodName>(method: M, params: EngineMethods[M]['params'], options?: EngineRequestOptions): Promise<EngineMethods[M]['result']>;
}
