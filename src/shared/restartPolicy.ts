/**
 * restartPolicy.ts: how soon a crashed engine may be started again, and when to stop trying.
 *
 * Without it, an engine that dies on start (a bad build, a model that crashes it, no memory) is
 * restarted by the very next request: in an editor that is every keystroke, each one forking a
 * process and each crash telling the user again. Instead, crashes that follow each other within
 * `windowMs` form an episode: the first restart is immediate, each further one waits twice as long
 * as the one before (baseDelayMs, 2×, 4×, … up to maxDelayMs), and after `maxCrashes` the circuit
 * breaker opens: no more restarts until reset() (the user asks for one). An engine that stays up
 * for a whole window ends the episode. Pure logic, with the clock passed in, so it is tested exactly.
 */

export interface RestartPolicyOptions {
  /** Wait before the second restart of an episode (the first is immediate). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Crashes in one episode after which restarts stop. */
  maxCrashes?: number;
  /** Crashes further apart than this start a new episode. */
  windowMs?: number;
}

export const DEFAULT_RESTART_POLICY: Required<RestartPolicyOptions> = {
  baseDelayMs: 1_000, maxDelayMs: 30_000, maxCrashes: 5, windowMs: 120_000,
};

export class RestartPolicy {
  private readonly options: Required<RestartPolicyOptions>;
  /** Crashes in the current episode. */
  private streak = 0;
  private lastCrashAt = -Infinity;

  constructor(options: RestartPolicyOptions = {}) {
    this.options = { ...DEFAULT_RESTART_POLICY, ...options };
  }

  /** Crashes counted in the current episode. */
  get crashes(): number { return this.streak; }

  /** Whether restarts have stopped (the breaker is open) until reset(). */
  get open(): boolean { return this.streak >= this.options.maxCrashes; }

  /** An unexpected exit at `now`; returns the episode's crash count. */
  recordCrash(now: number): number {
    if (!this.open && now - this.lastCrashAt > this.options.windowMs) this.streak = 0;
    this.streak++;
    this.lastCrashAt = now;
    return this.streak;
  }

  /** Milliseconds to wait at `now` before the engine may start again (Infinity while open). */
  delayBeforeStart(now: number): number {
    if (this.open) return Infinity;
    if (this.streak <= 1 || now - this.lastCrashAt > this.options.windowMs) return 0;
    const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (this.streak - 2));
    return Math.max(0, this.lastCrashAt + delay - now);
  }

  /** The user asked for a restart (or the cause was fixed): a fresh episode. */
  reset(): void {
    this.streak = 0;
    this.lastCrashAt = -Infinity;
  }
}
