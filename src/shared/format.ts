/**
 * format.ts: how training facts read to a person (notifications, status bar, log, the CLI's progress
 * and the dashboard). Pure: no 'vscode' import, so the wording is unit-tested.
 */
import type { TrainProgress, TrainResult } from './protocol';

export function formatCount(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)}M`;
}

/** 75_000 -> "1m 15s", 2h 5m -> "2h 05m"; an unknown or negative span -> "–". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** One line for the progress notification: "step 120/800 · loss 2.31 · 14.2k tok/s · 3m 10s left" */
export function formatProgress(p: TrainProgress): string {
  const parts = [`step ${p.step}/${p.totalSteps}`, `loss ${formatLoss(p.loss)}`];
  if (p.valLoss !== undefined) parts.push(`val ${formatLoss(p.valLoss)}`);
  parts.push(`${formatCount(p.tokensPerSecond)} tok/s`);
  if (p.etaMs > 0) parts.push(`${formatDuration(p.etaMs)} left`);
  return parts.join(' · ');
}

export function formatLoss(loss: number | undefined): string {
  return loss === undefined || !Number.isFinite(loss) ? '—' : loss.toFixed(2);
}

/** Fraction done, for the notification's bar (0..1). */
export function progressFraction(p: TrainProgress): number {
  if (p.totalSteps > 0) return Math.min(1, p.step / p.totalSteps);
  const total = p.elapsedMs + p.etaMs;
  return total > 0 ? Math.min(1, p.elapsedMs / total) : 0;
}

export function formatResult(r: TrainResult): string {
  const loss = r.valLoss !== undefined ? `validation loss ${formatLoss(r.valLoss)} (train ${formatLoss(r.trainLoss)})` : `loss ${formatLoss(r.trainLoss)}`;
  return `${r.steps} steps, ${formatCount(r.tokensSeen)} tokens, ${loss}`;
}
