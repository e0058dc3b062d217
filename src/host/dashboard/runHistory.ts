/**
 * runHistory.ts: the record of training runs that the dashboard shows, kept in memory and persisted
 * as JSON lines (`runs.jsonl`) beside the checkpoint, so curves and samples of past runs are still
 * there after VS Code restarts.
 *
 * Append-only lines survive a crash mid-write (a torn last line is skipped on load), and progress is
 * written in batches so a fast tiny-preset run does not turn into thousands of small writes.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CheckpointPoint, ModelFacts, ProgressPoint, RunEnd, RunInfo, RunRecord } from '../../shared/dashboard/messages';
import type { CorpusSummary } from '../../shared/corpus/types';
import { appendPrivateFile, writePrivateFileAtomically } from '../../shared/privateFiles';

export const HISTORY_FILE = 'runs.jsonl';
const MAX_RUNS = 20;
const FLUSH_EVERY_MS = 2000;
const COMPACT_ABOVE_BYTES = 32 << 20;

type Line =
  | { kind: 'start'; run: RunInfo }
  | { kind: 'progress'; runId: string; points: ProgressPoint[] }
  | { kind: 'checkpoint'; runId: string; checkpoint: CheckpointPoint }
  | { kind: 'corpus'; runId: string; corpus: CorpusSummary }
  | { kind: 'model'; runId: string; model: ModelFacts }
  | { kind: 'end'; end: RunEnd };

// Lines are checked field by field in apply(): a hand-edited or torn file must load without throwing;
// the exact shapes are checked again (schema) before anything reaches the webview.

export class RunHistory {
  private readonly runs = new Map<string, RunRecord>();
  private pending: string[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();

  private constructor(readonly file: string) {}

  /** Loads the history in `dir` (missing or unreadable file = empty history, never an error). */
  static async load(dir: string): Promise<{ history: RunHistory; skippedLines: number }> {
    const history = new RunHistory(path.join(dir, HISTORY_FILE));
    let text = '';
    try {
      text = await fs.readFile(history.file, 'utf8');
    } catch {
      return { history, skippedLines: 0 };
    }
    let skippedLines = 0;
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      let line: unknown;
      try { line = JSON.parse(raw); } catch { skippedLines++; continue; }
      if (!history.apply(line)) skippedLines++;
    }
    history.trim();
    if (text.length > COMPACT_ABOVE_BYTES) await history.compact();
    return { history, skippedLines };
  }

  list(): RunRecord[] {
    return [...this.runs.values()].sort((a, b) => a.info.startedAt - b.info.startedAt);
  }

  get(runId: string): RunRecord | undefined {
    return this.runs.get(runId);
  }

  startRun(run: RunInfo): void { this.record({ kind: 'start', run }); }
  addProgress(runId: string, points: ProgressPoint[]): void { if (points.length) this.record({ kind: 'progress', runId, points }); }
  addCheckpoint(runId: string, checkpoint: CheckpointPoint): void { this.record({ kind: 'checkpoint', runId, checkpoint }); }
  setCorpus(runId: string, corpus: CorpusSummary): void { this.record({ kind: 'corpus', runId, corpus }); }
  setModel(runId: string, model: ModelFacts): void { this.record({ kind: 'model', runId, model }); }
  endRun(end: RunEnd): void {
    this.record({ kind: 'end', end });
    void this.flush();
  }

  /** Writes what is buffered; resolves when it is on disk (errors are reported, never thrown). */
  flush(): Promise<void> {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    const chunk = this.pending.join('');
    this.pending = [];
    if (chunk) {
      this.writing = this.writing.then(async () => {
        await appendPrivateFile(this.file, chunk);
      }).catch((err) => { this.onWriteError?.(err instanceof Error ? err : new Error(String(err))); });
    }
    return this.writing;
  }

  onWriteError: ((err: Error) => void) | undefined;

  private record(line: Line): void {
    this.apply(line);
    this.pending.push(JSON.stringify(line) + '\n');
    if (!this.flushTimer) this.flushTimer = setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
    if (line.kind === 'start') this.trim();
  }

  /** Applies one line to the in-memory runs; false when the line is not understood. */
  private apply(line: unknown): boolean {
    if (typeof line !== 'object' || line === null) return false;
    const l = line as Partial<Line> & { kind?: unknown };
    switch (l.kind) {
      case 'start': {
        const run = (l as { run?: RunInfo }).run;
        if (!run || typeof run.runId !== 'string' || typeof run.startedAt !== 'number' || typeof run.model !== 'object') return false;
        this.runs.set(run.runId, { info: run, progress: [], checkpoints: [] });
        return true;
      }
      case 'progress': {
        const { runId, points } = l as { runId?: unknown; points?: unknown };
        const rec = typeof runId === 'string' ? this.runs.get(runId) : undefined;
        if (!rec || !Array.isArray(points)) return false;
        for (const p of points) if (typeof p === 'object' && p !== null && typeof (p as ProgressPoint).tokensSeen === 'number') rec.progress.push(p as ProgressPoint);
        return true;
      }
      case 'checkpoint': {
        const { runId, checkpoint } = l as { runId?: unknown; checkpoint?: CheckpointPoint };
        const rec = typeof runId === 'string' ? this.runs.get(runId) : undefined;
        if (!rec || !checkpoint || typeof checkpoint.step !== 'number' || !Array.isArray(checkpoint.samples)) return false;
        rec.checkpoints.push(checkpoint);
        return true;
      }
      case 'corpus': {
        const { runId, corpus } = l as { runId?: unknown; corpus?: CorpusSummary };
        const rec = typeof runId === 'string' ? this.runs.get(runId) : undefined;
        if (!rec || !corpus || typeof corpus.files !== 'number') return false;
        rec.info.corpus = corpus;
        return true;
      }
      case 'model': {
        const { runId, model } = l as { runId?: unknown; model?: ModelFacts };
        const rec = typeof runId === 'string' ? this.runs.get(runId) : undefined;
        if (!rec || !model || typeof model.preset !== 'string') return false;
        rec.info.model = model;
        return true;
      }
      case 'end': {
        const end = (l as { end?: RunEnd }).end;
        const rec = end && typeof end.runId === 'string' ? this.runs.get(end.runId) : undefined;
        if (!rec || !end) return false;
        rec.end = end;
        return true;
      }
      default:
        return false;
    }
  }

  private trim(): void {
    const all = this.list();
    for (const old of all.slice(0, Math.max(0, all.length - MAX_RUNS))) this.runs.delete(old.info.runId);
  }

  /** Rewrites the file with only the kept runs (temp file + rename, so a crash keeps the old one). */
  private async compact(): Promise<void> {
    const lines: string[] = [];
    for (const rec of this.list()) {
      lines.push(JSON.stringify({ kind: 'start', run: rec.info }));
      for (let i = 0; i < rec.progress.length; i += 1000) lines.push(JSON.stringify({ kind: 'progress', runId: rec.info.runId, points: rec.progress.slice(i, i + 1000) }));
      for (const c of rec.checkpoints) lines.push(JSON.stringify({ kind: 'checkpoint', runId: rec.info.runId, checkpoint: c }));
      if (rec.end) lines.push(JSON.stringify({ kind: 'end', end: rec.end }));
    }
    await writePrivateFileAtomically(this.file, lines.join('\n') + '\n').catch(() => undefined);
  }
}
