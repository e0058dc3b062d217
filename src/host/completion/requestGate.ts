/**
 * requestGate.ts: the timing rules of the completion provider, separated from VS Code so they can be
 * tested with plain node: wait out the debounce, drop requests that a newer one has replaced, and cap
 * how long one request may take. Pure: no 'vscode' import.
 */

/** Resolves true after `ms`, or false as soon as `signal` aborts (without waiting for the timer). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Only the newest request is worth an engine call: when the user types three characters quickly,
 * the first two requests are stale the moment the third arrives. `begin()` aborts the previous
 * request's signal and hands out a fresh one.
 */
export class LatestRequestGate {
  private current: AbortController | undefined;

  begin(): AbortSignal {
    this.current?.abort();
    this.current = new AbortController();
    return this.current.signal;
  }

  /** Aborts whatever is in flight (the model changed, completions were switched off). */
  abortAll(): void {
    this.current?.abort();
    this.current = undefined;
  }
}

/** An AbortSignal that aborts when any of `signals` does. */
export function anySignal(signals: AbortSignal[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const listeners: [AbortSignal, () => void][] = [];
  for (const s of signals) {
    if (s.aborted) {
      controller.abort();
      break;
    }
    const onAbort = () => controller.abort();
    s.addEventListener('abort', onAbort, { once: true });
    listeners.push([s, onAbort]);
  }
  return {
    signal: controller.signal,
    dispose: () => listeners.forEach(([s, l]) => s.removeEventListener('abort', l)),
  };
}

export type Outcome<T> = { kind: 'done'; value: T } | { kind: 'cancelled' } | { kind: 'timeout' };

/**
 * Runs `work` with a signal that aborts when `signal` does or after `timeoutMs`; settles as soon as
 * either happens, without waiting for `work` (the engine is told to stop via the signal; a late
 * answer is dropped). Errors from `work` propagate unless the run was already cancelled or timed out.
 */
export function runWithDeadline<T>(timeoutMs: number, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> {
  if (signal.aborted) return Promise.resolve({ kind: 'cancelled' });
  const deadline = new AbortController();
  const combined = anySignal([signal, deadline.signal]);
  return new Promise<Outcome<T>>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      combined.dispose();
      signal.removeEventListener('abort', onCancel);
      fn();
    };
    const onCancel = () => finish(() => resolve({ kind: 'cancelled' }));
    const timer = setTimeout(() => {
      deadline.abort();
      finish(() => resolve({ kind: 'timeout' }));
    }, timeoutMs);
    signal.addEventListener('abort', onCancel, { once: true });
    work(combined.signal).then(
      (value) => finish(() => resolve({ kind: 'done', value })),
      (err) => finish(() => reject(err)),
    );
  });
}

/** Nearest-rank percentile of a sample (p in [0, 100]); NaN for an empty sample. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}
