/**
 * serialLane.ts: run async jobs one at a time, in arrival order. A job cancelled while it waits is
 * dropped without running (its caller is told at once).
 */
export class SerialLane {
  private tail: Promise<void> = Promise.resolve();
  private active = 0;

  /** Jobs queued or running. */
  get size(): number { return this.active; }

  run<T>(job: () => Promise<T>, isCancelled: () => boolean = () => false): Promise<T> {
    this.active++;
    const result = this.tail.then(async () => {
      if (isCancelled()) throw Object.assign(new Error('cancelled'), { code: 'cancelled' });
      return job();
    });
    const done = () => { this.active--; };
    this.tail = result.then(done, done);
    return result;
  }
}
