/**
 * runEval.ts: score a completer against the two baselines on the same line tasks.
 *
 * The model's completer is injected (the CLI passes one that asks the engine process), so this file
 * knows nothing of processes and is testable with any function.
 */
import { bestCopy } from '../shared/context/copyIndex';
import { CopyBaseline } from './copyBaseline';
import type { LineTask, SourceFile } from './evalTasks';
import { scoreLine, summarize, type LineScore, type Summary } from './metrics';
import { NgramBaseline } from './ngramBaseline';

/** Completes the rest of a line; returns the raw suggestion (cut at the first newline by the runner). */
export type Completer = (task: LineTask) => Promise<string>;

export interface EvalReport {
  tasks: number;
  trainFiles: number;
  heldOutFiles: number;
  results: Record<string, Summary>; // system name -> summary
  /** Tasks where the best-of-both oracle of model and copy would be right (how complementary they are). */
  oracleModelOrCopy?: number;
  /** The same for every model system (names starting with "model"). */
  oracles?: Record<string, number>;
}

export interface EvalSystem {
  name: string;
  complete: Completer;
}

/** The text every baseline learns from: the training files joined as one stream. */
export function trainingText(train: SourceFile[]): string {
  return train.map((f) => f.text).join('\n');
}

export function baselineSystems(train: SourceFile[]): EvalSystem[] {
  const text = trainingText(train);
  const copy = new CopyBaseline(text);
  const ngram = new NgramBaseline(text);
  return [
    { name: 'copy', complete: async (t) => copy.complete(t.prefix) },
    { name: 'char-12-gram', complete: async (t) => ngram.complete(t.prefix) },
    // A reference, not one of the two baselines the targets name: copy that also looks in the document
    // itself, above and below the cursor. The completer's copy candidates do; this shows what the model
    // adds beyond them.
    { name: 'copy+document', complete: async (t) => bestCopy(t.prefix, t.suffix, text).continuation },
  ];
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline < 0 ? text : text.slice(0, newline);
}

/** Every system's suggestion for one task, for studying where systems differ (`seedling eval --details`). */
export interface TaskDetail {
  file: string;
  line: number;
  target: string;
  suggestions: Record<string, string>;
}

export async function runEval(
  tasks: LineTask[],
  systems: EvalSystem[],
  counts: { trainFiles: number; heldOutFiles: number },
  onTask?: (done: number, total: number, detail: TaskDetail) => void,
): Promise<EvalReport> {
  const scores = new Map<string, LineScore[]>();
  const latencies = new Map<string, number[]>();
  for (const s of systems) {
    scores.set(s.name, []);
    latencies.set(s.name, []);
  }
  for (let i = 0; i < tasks.length; i++) {
    const suggestions: Record<string, string> = {};
    for (const system of systems) {
      const started = performance.now();
      const suggestion = firstLine(await system.complete(tasks[i]));
      latencies.get(system.name)!.push(performance.now() - started);
      scores.get(system.name)!.push(scoreLine(suggestion, tasks[i].target));
      suggestions[system.name] = suggestion;
    }
    onTask?.(i + 1, tasks.length, { file: tasks[i].file, line: tasks[i].line, target: tasks[i].target, suggestions });
  }
  const results: Record<string, Summary> = {};
  for (const s of systems) results[s.name] = summarize(scores.get(s.name)!, latencies.get(s.name)!);
  const copy = scores.get('copy');
  const oracles: Record<string, number> = {};
  for (const [name, list] of scores) {
    if (isModelSystem(name) && copy) oracles[name] = list.filter((m, i) => m.exact || copy[i].exact).length / tasks.length;
  }
  return {
    tasks: tasks.length,
    ...counts,
    results,
    oracleModelOrCopy: oracles.model,
    ...(Object.keys(oracles).length ? { oracles } : {}),
  };
}

/** Systems that are the model (possibly with a named strategy, "model:prefix+heal"), not baselines. */
export function isModelSystem(name: string): boolean {
  return name === 'model' || name.startsWith('model:');
}

/** A fixed-width table a person can read; the same figures as the JSON. */
export function formatReport(report: EvalReport): string {
  const header = ['system', 'exact', 'edit sim', 'prefix share', 'p50 ms', 'p95 ms'];
  const rows = Object.entries(report.results).map(([name, r]) => [
    name, r.exactMatch.toFixed(3), r.editSimilarity.toFixed(3), r.prefixShare.toFixed(3),
    r.latencyP50Ms.toFixed(1), r.latencyP95Ms.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [
    `${report.tasks} line completions in ${report.heldOutFiles} held-out files (trained on ${report.trainFiles} files)`,
    line(header),
    ...rows.map(line),
  ];
  const best = Math.max(report.results.copy?.exactMatch ?? 0, report.results['char-12-gram']?.exactMatch ?? 0);
  for (const [name, r] of Object.entries(report.results)) {
    if (!isModelSystem(name)) continue;
    if (best > 0) out.push(`${name} / best baseline (exact match): ${(r.exactMatch / best).toFixed(2)}x`);
    const oracle = report.oracles?.[name];
    if (oracle !== undefined) out.push(`${name} or copy, whichever is right: ${oracle.toFixed(3)}`);
  }
  return out.join('\n');
}
