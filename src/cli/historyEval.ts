/**
 * historyEval.ts: `seedling eval --history REPO --from REV [--to REV] [--follow]`: the closest offline
 * measure of what a person gets while writing new code.
 *
 * The repository as it was at --from is written out to a scratch folder, the model is trained on it
 * (or taken from --model) and it is indexed as the editor indexes a workspace. Then the lines each
 * later commit added are completed, commit by commit, at end-of-line and new-line cursors inside them,
 * with the file as it was at that commit: the engine is asked exactly what the editor asks there.
 *
 * "frozen" answers every commit from the repository as it was at --from. With --follow, "follow" also
 * answers them with the workspace brought up to date after each commit (files written, the index
 * rebuilt, the baselines given the same text), as the editor's index follows saved files. The
 * model's weights stay as trained: the idle-time fine-tune (issue 14, item 2) is not built yet.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectCorpus, describeCorpus } from '../shared/corpus';
import { skipByContent, skipByName } from '../shared/corpus/fileFilters';
import { cursorTasksOnLines, type CursorTask } from '../eval/cursorTasks';
import { seededRandom, type SourceFile } from '../eval/evalTasks';
import { baselineAnswers } from '../eval/cursorBaselines';
import { formatCursorReport, runCursorEval, type CursorEvalReport, type CursorSystem, type TaskAnswers } from '../eval/runCursorEval';
import { addedLinesOf, changesOf, commitsBetween, fileAt, removeFiles, resolveRevision, treeAt, writeFiles } from '../eval/gitHistory';
import type { CursorKind } from '../shared/completion/cursorKind';
import { editorRequest } from '../shared/completion/editorRequest';
import type { EngineClient } from '../shared/engineClient';
import type { CompleteResult } from '../shared/protocol';
import { UsageError, numberOption, stringOption, type Parsed } from './args';
import { EXIT_OK, type CliContext } from './cliContext';
import { trainParamsFrom, trainWithProgress } from './trainCommand';

/** The kinds of cursor a person meets in a line they are adding (mid-line edits are of old lines). */
const HISTORY_KINDS: readonly CursorKind[] = ['end-of-line', 'new-line'];

export interface HistorySettings {
  perKind: number;
  seed: number;
  maxTokens: number;
  minConfidence: number;
}

interface Step {
  commit: string;
  changes: { status: 'added' | 'modified' | 'deleted'; path: string }[];
}

export async function historyEval(parsed: Parsed, ctx: CliContext, settings: HistorySettings): Promise<number> {
  const v = parsed.values;
  const repo = path.resolve(stringOption(v, 'history')!);
  const fromOption = stringOption(v, 'from');
  if (!fromOption) throw new UsageError('--history needs --from REV (the revision to train on)', 'eval');
  const from = await resolveRevision(repo, fromOption).catch(() => { throw new UsageError(`--from ${fromOption}: not a commit of ${repo}`, 'eval'); });
  const toOption = stringOption(v, 'to') ?? 'HEAD';
  const to = await resolveRevision(repo, toOption).catch(() => { throw new UsageError(`--to ${toOption}: not a commit of ${repo}`, 'eval'); });
  const commits = await commitsBetween(repo, from, to);
  if (commits.length === 0) throw new UsageError(`no commits after ${fromOption} up to ${toOption}`, 'eval');

  const workspace = await mkdtemp(path.join(os.tmpdir(), 'seedling-history-'));
  const engine = ctx.startEngine(numberOption(v, 'threads', 'eval', { min: 1, max: 256, integer: true }));
  try {
    await writeFiles(workspace, await treeAt(repo, from));
    const first = await workspaceFiles(workspace, v.exclude as string[] | undefined, ctx);
    ctx.stderr.write(`at ${fromOption} (${from.slice(0, 10)}): ${describeCorpus(first.summary)}; ${commits.length} commits follow\n`);

    const steps: Step[] = [];
    for (const commit of commits) steps.push({ commit, changes: await changesOf(repo, commit) });
    const tasks = await sampleHistoryTasks(repo, steps, settings);
    ctx.stderr.write(`${tasks.length} cursors in lines added by ${new Set(tasks.map((t) => t.step)).size} commits\n`);
    if (tasks.length === 0) throw new Error('the commits added no lines of source to complete');

    const modelPath = await modelFor(parsed, ctx, engine, first.paths);
    const { contextLength } = (await engine.request('loadModel', { path: modelPath })).config;
    const ask = (t: CursorTask) => engine.request('complete', editorRequest(t.before, t.after, {
      contextLength, maxTokens: settings.maxTokens, path: path.join(workspace, ...t.file.split('/')), minConfidence: settings.minConfidence,
    }));

    const details: string[] = [];
    const commitOf = new Map(tasks.map((t) => [t.task, steps[t.step].commit]));
    const progress = (pass: string) => (done: number, total: number, detail: TaskAnswers) => {
      const t = detail.task;
      details.push(JSON.stringify({ pass, commit: commitOf.get(t), kind: t.kind, file: t.file, line: t.line, target: t.target, answers: detail.answers }));
      if (done % 50 === 0 || done === total) ctx.stderr.write(`${pass}: scored ${done}/${total}\n`);
    };
    const frozenState = await indexState(engine, workspace, first.paths);
    const frozen = await runCursorEval(tasks.map((t) => t.task), systemsOf(ask, () => frozenState), progress('frozen'));
    const reports: Record<string, CursorEvalReport> = { frozen };

    if (v.follow) {
      // Bring the workspace forward commit by commit; each commit's cursors are answered just before it lands.
      let state = frozenState;
      let applied = 0;
      const stepOf = new Map(tasks.map((t) => [t.task, t.step]));
      const advanceTo = async (step: number) => {
        for (; applied < step; applied++) {
          const { commit, changes } = steps[applied];
          const written = new Map<string, Buffer>();
          for (const c of changes) if (c.status !== 'deleted') written.set(c.path, await fileAt(repo, commit, c.path));
          await writeFiles(workspace, written);
          await removeFiles(workspace, changes.filter((c) => c.status === 'deleted').map((c) => c.path));
        }
        const now = await workspaceFiles(workspace, v.exclude as string[] | undefined, ctx);
        state = await indexState(engine, workspace, now.paths);
      };
      let at = 0;
      reports.follow = await runCursorEval(tasks.map((t) => t.task), systemsOf(ask, () => state), progress('follow'), async (task) => {
        const step = stepOf.get(task)!;
        if (step !== at) {
          await advanceTo(step);
          at = step;
        }
      });
    }

    const detailsPath = stringOption(v, 'details');
    if (detailsPath) await writeFile(path.resolve(detailsPath), `${details.join('\n')}\n`);
    if (v.json) {
      ctx.stdout.write(`${JSON.stringify({ repo, from, to, commits: commits.length, model: modelPath, minConfidence: settings.minConfidence, ...reports })}\n`);
    } else {
      for (const [name, report] of Object.entries(reports)) {
        ctx.stdout.write(`${name}: ${tasks.length} cursors in lines added by ${commits.length} commits after ${fromOption}${formatCursorReport(report)}\n`);
      }
    }
  } finally {
    await engine.dispose();
    await rm(workspace, { recursive: true, force: true });
  }
  return EXIT_OK;
}

/** The cursors: in each commit's added lines of source files, with the file as the commit left it. */
async function sampleHistoryTasks(repo: string, steps: Step[], settings: HistorySettings): Promise<{ task: CursorTask; step: number }[]> {
  const random = seededRandom(settings.seed);
  const all: { task: CursorTask; step: number }[] = [];
  for (let s = 0; s < steps.length; s++) {
    const added = await addedLinesOf(repo, steps[s].commit);
    for (const change of steps[s].changes) {
      const lines = added.get(change.path);
      if (change.status === 'deleted' || !lines?.length || skipByName(path.posix.basename(change.path))) continue;
      const content = await fileAt(repo, steps[s].commit, change.path);
      if (skipByContent(content)) continue;
      const file: SourceFile = { relativePath: change.path, text: content.toString('utf8') };
      for (const task of cursorTasksOnLines(file, lines, HISTORY_KINDS, random)) all.push({ task, step: s });
    }
  }
  // At most perKind of each kind, drawn evenly over the history, then answered in the order written.
  const chosen: typeof all = [];
  for (const kind of HISTORY_KINDS) {
    const ofKind = all.filter((t) => t.task.kind === kind);
    for (let i = ofKind.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [ofKind[i], ofKind[j]] = [ofKind[j], ofKind[i]];
    }
    chosen.push(...ofKind.slice(0, settings.perKind));
  }
  return chosen.sort((a, b) => a.step - b.step || a.task.file.localeCompare(b.task.file) || a.task.line - b.task.line);
}

async function workspaceFiles(workspace: string, exclude: string[] | undefined, ctx: CliContext) {
  const corpus = await collectCorpus([workspace], exclude ?? [], ctx.interrupt);
  return { paths: corpus.entries.map((e) => e.path), summary: corpus.summary };
}

async function modelFor(parsed: Parsed, ctx: CliContext, engine: EngineClient, files: string[]): Promise<string> {
  const given = stringOption(parsed.values, 'model');
  if (given) return path.resolve(given);
  const keep = stringOption(parsed.values, 'keep') ?? path.join(os.tmpdir(), `seedling-history-${process.pid}.seedling`);
  const params = trainParamsFrom({ ...parsed, values: { ...parsed.values, out: keep } }, ctx.installRoot);
  const result = await trainWithProgress(ctx, engine, { ...params, maxMinutes: params.maxSteps ? undefined : params.maxMinutes ?? 10 }, files);
  return result.checkpointPath;
}

/** The engine's index and the baselines' text, for one state of the workspace. */
interface WorkspaceState { baselines: CursorSystem[] }

async function indexState(engine: EngineClient, workspace: string, files: string[]): Promise<WorkspaceState> {
  await engine.request('indexFiles', { files });
  const texts: SourceFile[] = await Promise.all(files.map(async (f) => ({ relativePath: path.relative(workspace, f), text: await readFile(f, 'utf8') })));
  return { baselines: baselineAnswers(texts) };
}

function systemsOf(ask: (t: CursorTask) => Promise<CompleteResult>, state: () => WorkspaceState): CursorSystem[] {
  const baseline = (i: number, name: string): CursorSystem => ({ name, answer: (t) => state().baselines[i].answer(t) });
  return [
    {
      name: 'seedling',
      answer: async (t) => {
        const r = await ask(t);
        return { text: r.completion, candidate: r.candidate, confidence: r.confidence, source: r.source };
      },
    },
    baseline(0, 'copy'),
    baseline(1, 'char-12-gram'),
  ];
}
