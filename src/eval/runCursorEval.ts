/**
 * runCursorEval.ts: every system answers the same cursor tasks, kind by kind; the figures a person
 * would care about come out per kind and system. Systems are functions of a task, so this file knows
 * nothing of processes: the CLI passes the engine's completion path and the baselines.
 */
import { CURSOR_KINDS, type CursorKind } from '../shared/completion/cursorKind';
import { scoreSuggestion, summarizeCursor, thresholdTable, type CursorScore, type CursorSummary } from './cursorMetrics';
import type { CursorTask } from './cursorTasks';
import type { LineScore } from '../shared/protocol';

export interface Answer {
  /** What is shown ('' for nothing). */
  text: string;
  /** Before any confidence threshold, with its estimate (the threshold table). */
  candidate?: string;
  confidence?: number;
  /** The confidence's inputs, kept in the details for fitting its calibration. */
  lineScore?: LineScore;
  source?: string;
}

export interface CursorSystem {
  name: string;
  answer(task: CursorTask): Promise<Answer>;
}

export interface CursorEvalReport {
  tasks: Record<CursorKind, number>;
  results: Record<CursorKind, Record<string, CursorSummary>>;
  /** Per kind, for systems that give a confidence: exact among shown against share shown. */
  thresholds: Record<CursorKind, Record<string, ReturnType<typeof thresholdTable>>>;
}

export const THRESHOLDS = [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

export interface TaskAnswers {
  task: CursorTask;
  answers: Record<string, Answer & { ms: number }>;
}

/**
 * Every system answers every task, in order. `beforeTask` runs before a task is put to the systems,
 * outside their timing (the history eval brings the workspace up to date there).
 */
export async function runCursorEval(tasks: CursorTask[], systems: CursorSystem[], onTask?: (done: number, total: number, detail: TaskAnswers) => void,
  beforeTask?: (task: CursorTask) => Promise<void>): Promise<CursorEvalReport> {
  const scores = new Map<string, CursorScore[]>();
  const latencies = new Map<string, number[]>();
  const calibration = new Map<string, { confidence?: number; exact: boolean; candidate: boolean }[]>();
  const key = (kind: CursorKind, system: string) => `${kind}\u0000${system}`;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i];
    await beforeTask?.(task);
    const answers: TaskAnswers['answers'] = {};
    for (const system of systems) {
      const started = performance.now();
      const answer = await system.answer(task);
      const ms = performance.now() - started;
      answers[system.name] = { ...answer, ms };
      const k = key(task.kind, system.name);
      if (!scores.has(k)) {
        scores.set(k, []);
        latencies.set(k, []);
        calibration.set(k, []);
      }
      scores.get(k)!.push(scoreSuggestion(answer.text, task.target));
      latencies.get(k)!.push(ms);
      const candidate = answer.candidate ?? answer.text;
      calibration.get(k)!.push({ confidence: answer.confidence, candidate: candidate.trim() !== '', exact: scoreSuggestion(candidate, task.target).firstLineExact });
    }
    onTask?.(i + 1, tasks.length, { task, answers });
  }
  const report: CursorEvalReport = { tasks: {} as CursorEvalReport['tasks'], results: {} as CursorEvalReport['results'], thresholds: {} as CursorEvalReport['thresholds'] };
  for (const kind of CURSOR_KINDS) {
    report.tasks[kind] = tasks.filter((t) => t.kind === kind).length;
    report.results[kind] = {};
    report.thresholds[kind] = {};
    for (const system of systems) {
      const k = key(kind, system.name);
      if (!scores.has(k)) continue;
      report.results[kind][system.name] = summarizeCursor(scores.get(k)!, latencies.get(k)!);
      const rows = calibration.get(k)!;
      if (rows.some((r) => r.confidence !== undefined)) report.thresholds[kind][system.name] = thresholdTable(rows, THRESHOLDS);
    }
  }
  return report;
}

const BASELINES = ['copy', 'char-12-gram'];

/** Fixed-width tables a person can read; the same figures as the JSON. */
export function formatCursorReport(report: CursorEvalReport): string {
  const out: string[] = [];
  const header = ['system', '1st-line exact', 'edit sim', 'lines right', 'chars saved', 'shown', 'exact|shown', 'p50 ms', 'p95 ms'];
  for (const kind of CURSOR_KINDS) {
    const results = report.results[kind];
    if (!results || Object.keys(results).length === 0) continue;
    const rows = Object.entries(results).map(([name, r]) => [
      name, r.firstLineExact.toFixed(3), r.editSimilarity.toFixed(3), r.linesRight.toFixed(2), r.charsSavedShare.toFixed(3),
      r.shownShare.toFixed(2), r.exactAmongShown.toFixed(3), r.latencyP50Ms.toFixed(1), r.latencyP95Ms.toFixed(1),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    out.push(`\n${kind}: ${report.tasks[kind]} cursors`, line(header), ...rows.map(line));
    const best = Math.max(...BASELINES.map((b) => results[b]?.firstLineExact ?? 0));
    for (const [name, r] of Object.entries(results)) {
      if (!BASELINES.includes(name) && best > 0) out.push(`${name} / better baseline (first-line exact): ${(r.firstLineExact / best).toFixed(2)}x`);
    }
    for (const [name, table] of Object.entries(report.thresholds[kind] ?? {})) {
      out.push(`${name}: threshold -> shown, exact among shown: ` +
        table.map((t) => `${t.threshold}: ${t.shownShare.toFixed(2)}/${t.exactAmongShown.toFixed(2)}`).join('  '));
    }
  }
  return out.join('\n');
}
