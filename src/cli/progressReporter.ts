/**
 * progressReporter.ts: training progress on the terminal: a redrawn bar when stderr is a TTY,
 * plain lines (at most one every few seconds, plus every evaluation) when it is a pipe or a log.
 */
import { formatDuration } from '../shared/format';
import type { TrainProgress } from '../shared/protocol';

export function formatRate(tokensPerSecond: number): string {
  return tokensPerSecond >= 1000 ? `${(tokensPerSecond / 1000).toFixed(1)}k tok/s` : `${Math.round(tokensPerSecond)} tok/s`;
}

export function progressLine(p: TrainProgress): string {
  const val = p.valLoss !== undefined ? ` val ${p.valLoss.toFixed(4)}` : '';
  return `step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)}${val} lr ${p.learningRate.toExponential(2)} ` +
    `${formatRate(p.tokensPerSecond)} elapsed ${formatDuration(p.elapsedMs)} eta ${formatDuration(p.etaMs)}`;
}

export function progressBar(p: TrainProgress, width = 24): string {
  const fraction = p.totalSteps > 0 ? Math.min(1, p.step / p.totalSteps) : 0;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${progressLine(p)}`;
}

export class ProgressReporter {
  private lastPlainAt = 0;
  private barShown = false;
  private lastVal: number | undefined;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly plainEveryMs = 5000) {}

  private get tty(): boolean { return Boolean(this.stream.isTTY); }

  progress(p: TrainProgress): void {
    if (p.valLoss !== undefined) this.lastVal = p.valLoss;
    const shown = p.valLoss === undefined && this.lastVal !== undefined ? { ...p, valLoss: this.lastVal } : p;
    if (this.tty) {
      const columns = this.stream.columns || 120;
      this.stream.write(`\r${progressBar(shown).slice(0, columns - 1)}\x1b[K`);
      this.barShown = true;
      return;
    }
    const now = Date.now();
    if (p.valLoss !== undefined || now - this.lastPlainAt >= this.plainEveryMs) {
      this.lastPlainAt = now;
      this.stream.write(`${progressLine(p)}\n`);
    }
  }

  /** A message line that must not be overwritten by the bar. */
  line(text: string): void {
    if (this.barShown) {
      this.stream.write('\r\x1b[K');
      this.barShown = false;
    }
    this.stream.write(`${text}\n`);
  }

  finish(): void {
    if (this.barShown) this.stream.write('\n');
    this.barShown = false;
  }
}
