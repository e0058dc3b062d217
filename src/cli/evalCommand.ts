/**
 * evalCommand.ts: `seedling eval DIR...`: how good are the suggestions people see, next to the
 * baselines?
 *
 * Files are split into training and held-out sets by a hash of their relative path (~10% held
 * out); the model is trained on the training files only (or taken from --model), the training files
 * are indexed as the editor indexes a workspace, and at cursors of the three kinds (cursorTasks.ts)
 * in held-out files the engine is asked exactly what the editor asks (editorRequest.ts). The
 * longest-match copy and character 12-gram baselines answer the same cursors in the same run.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { collectCorpus, describeCorpus } from '../shared/corpus';
import { splitFiles, type SourceFile } from '../eval/evalTasks';
import { sampleCursorTasks } from '../eval/cursorTasks';
import { baselineAnswers } from '../eval/cursorBaselines';
import { formatCursorReport, runCursorEval, type CursorSystem } from '../eval/runCursorEval';
import { CURSOR_KINDS, type CursorKind } from '../shared/completion/cursorKind';
import { confidenceFeatures } from '../shared/completion/confidence';
import { DEFAULT_MAX_TOKENS, DEFAULT_MIN_CONFIDENCE, editorRequest } from '../shared/completion/editorRequest';
import type { Decoder } from '../shared/protocol';
import { UsageError, numberOption, stringOption, type CommandSpec, type Parsed } from './args';
import { EXIT_OK, type CliContext } from './cliContext';
import { historyEval } from './historyEval';
import { trainParamsFrom, trainWithProgress } from './trainCommand';

const DECODERS: readonly Decoder[] = ['mixture', 'copy-switch', 'copy-or-mixture', 'ranked', 'model'];

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'Measure the suggestions people see on held-out files, beside two non-neural baselines.',
  usage: 'seedling eval DIR... [--model FILE | --minutes N | --steps N] [--preset P] [--base FILE | --from-scratch] [--tasks N] [--kinds LIST] [--decoders LIST] [--json]\n' +
    '       seedling eval --history REPO --from REV [--to REV] [--follow] [--model FILE | --minutes N | --steps N] [--tasks N] [--json]',
  details: [
    'About 10% of the files (by a hash of their relative path) are held out. Unless --model is given, a model',
    'is trained on the other files first (fine-tuning the bundled base model unless --from-scratch). The other',
    'files are indexed as the editor indexes a workspace. Then, in held-out files, at cursors of three kinds -',
    'end-of-line (the rest of the line and the block it opens are gone), mid-line (a span inside a line is gone),',
    'new-line (a line and its block are gone) - the engine is asked exactly what the editor asks there.',
    'Reported per kind and system: first-line exact match, its edit similarity, lines right in a row, the share',
    'of characters saved accepting line by line, the share of cursors shown a suggestion, exact match among',
    'those shown, and latency p50/p95; and for the model, exact among shown against share shown per threshold.',
    'Baselines: longest-match copy from the training files, and a character 12-gram model. --decoders also',
    'scores the named decoders (mixture, copy-switch, copy-or-mixture, ranked, model) beside the default on the same model.',
    '',
    'With --history, the model is trained on the git repository REPO as it was at --from, and the lines each later',
    'commit added (up to --to, default HEAD) are completed in order, at end-of-line and new-line cursors, with the',
    'file as it was at that commit ("frozen"). --follow also answers them with the workspace brought up to date',
    'after each commit (files, index and baselines), as the editor follows saved files ("follow").',
  ].join('\n'),
  options: {
    model: { type: 'string', short: 'm', valueName: 'FILE', description: 'evaluate this checkpoint instead of training one' },
    keep: { type: 'string', valueName: 'FILE', description: 'where to write the trained checkpoint (default: a temporary file)' },
    preset: { type: 'string', short: 'p', valueName: 'P', description: 'model size when training (default small)' },
    minutes: { type: 'string', valueName: 'N', description: 'training time budget (default 10)' },
    steps: { type: 'string', valueName: 'N', description: 'training step budget' },
    base: { type: 'string', valueName: 'FILE', description: 'fine-tune this checkpoint' },
    'from-scratch': { type: 'boolean', description: 'train a new model and tokenizer from scratch' },
    tasks: { type: 'string', valueName: 'N', description: 'cursors of each kind (default 100)' },
    kinds: { type: 'string', valueName: 'LIST', description: `cursor kinds (default ${CURSOR_KINDS.join(',')})` },
    decoders: { type: 'string', valueName: 'LIST', description: `also score these decoders (${DECODERS.join(', ')})` },
    'min-confidence': { type: 'string', valueName: 'X', description: `the show-or-not threshold (default ${DEFAULT_MIN_CONFIDENCE}, the editor's)` },
    seed: { type: 'string', valueName: 'N', description: 'seed of the cursor positions (default 1)' },
    threads: { type: 'string', short: 't', valueName: 'N', description: 'CPU threads' },
    'max-tokens': { type: 'string', valueName: 'N', description: `generation budget per suggestion (default ${DEFAULT_MAX_TOKENS}, the editor's)` },
    'context-share': { type: 'string', valueName: 'X', description: 'share of training files packed with related code (0..1)' },
    'learning-rate': { type: 'string', valueName: 'X', description: 'peak learning rate (default: the preset\'s)' },
    'fim-rate': { type: 'string', valueName: 'X', description: 'share of training windows made fill-in-the-middle (0..1)' },
    exclude: { type: 'string', multiple: true, valueName: 'GLOB', description: 'leave out matching paths (repeatable)' },
    json: { type: 'boolean', description: 'print the report as JSON on stdout' },
    details: { type: 'string', valueName: 'FILE', description: 'write every system\'s answer per cursor to FILE (JSON lines)' },
    history: { type: 'string', valueName: 'REPO', description: 'complete the lines a git repository\'s commits added, in order' },
    from: { type: 'string', valueName: 'REV', description: 'with --history: the revision trained on and indexed' },
    to: { type: 'string', valueName: 'REV', description: 'with --history: the last commit completed (default HEAD)' },
    follow: { type: 'boolean', description: 'with --history: also bring the workspace up to date after each commit' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  positionals: { min: 0, max: Infinity },
  exclusive: [['model', 'minutes'], ['model', 'steps'], ['minutes', 'steps'], ['base', 'from-scratch'], ['model', 'base']],
};

async function readSources(entries: { path: string; relativePath: string }[]): Promise<SourceFile[]> {
  return Promise.all(entries.map(async (e) => ({ relativePath: e.relativePath, text: await readFile(e.path, 'utf8') })));
}

function listOption<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((x) => x.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new UsageError(`--${name}: unknown '${item}' (one of ${allowed.join(', ')})`, 'eval');
  return items as T[];
}

export async function evalCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const v = parsed.values;
  const dirs = parsed.positionals.map((d) => path.resolve(d));
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`directory ${d} does not exist`, 'eval');
  const perKind = numberOption(v, 'tasks', 'eval', { min: 1, max: 100_000, integer: true }) ?? 100;
  const seed = numberOption(v, 'seed', 'eval', { min: 0, integer: true }) ?? 1;
  const maxTokens = numberOption(v, 'max-tokens', 'eval', { min: 1, max: 512, integer: true }) ?? DEFAULT_MAX_TOKENS;
  const minConfidence = numberOption(v, 'min-confidence', 'eval', { min: 0, max: 1 }) ?? DEFAULT_MIN_CONFIDENCE;
  if (stringOption(v, 'history') !== undefined) {
    if (dirs.length > 0) throw new UsageError('--history takes the repository instead of directories', 'eval');
    return historyEval(parsed, ctx, { perKind, seed, maxTokens, minConfidence });
  }
  for (const name of ['from', 'to', 'follow']) if (v[name] !== undefined) throw new UsageError(`--${name} needs --history`, 'eval');
  if (dirs.length === 0) throw new UsageError(`missing argument: ${evalSpec.usage}`, 'eval');
  const kinds = listOption<CursorKind>(stringOption(v, 'kinds'), CURSOR_KINDS, 'kinds') ?? [...CURSOR_KINDS];
  const decoders = listOption<Decoder>(stringOption(v, 'decoders'), DECODERS, 'decoders') ?? [];
  const modelOption = stringOption(v, 'model');

  const corpus = await collectCorpus(dirs, (v.exclude as string[] | undefined) ?? [], ctx.interrupt);
  ctx.stderr.write(`corpus: ${describeCorpus(corpus.summary)}\n`);
  const byPath = new Map(corpus.entries.map((e) => [e.relativePath, e.path]));
  const { train, heldOut } = splitFiles(await readSources(corpus.entries));
  if (train.length === 0 || heldOut.length === 0) {
    throw new Error(`eval needs at least 2 files (found ${corpus.entries.length}): one to train on and one to hold out`);
  }
  const tasks = sampleCursorTasks(heldOut, perKind, seed, kinds);
  const sources = new Map(heldOut.map((f) => [f.relativePath, f.text]));
  ctx.stderr.write(`split: ${train.length} files train, ${heldOut.length} held out; ${tasks.length} cursors\n`);

  const scratch = modelOption || stringOption(v, 'keep') ? undefined : await mkdtemp(path.join(os.tmpdir(), 'seedling-eval-'));
  const engine = ctx.startEngine(numberOption(v, 'threads', 'eval', { min: 1, max: 256, integer: true }));
  try {
    let modelPath: string;
    if (modelOption) {
      modelPath = path.resolve(modelOption);
      if (!existsSync(modelPath)) throw new UsageError(`model ${modelOption} does not exist`, 'eval');
    } else {
      const params = trainParamsFrom({ ...parsed, values: { ...v, out: stringOption(v, 'keep') ?? path.join(scratch!, 'eval.seedling') } },
        ctx.installRoot);
      const trainPaths = train.map((f) => byPath.get(f.relativePath)!);
      const contextShare = numberOption(v, 'context-share', 'eval', { min: 0, max: 1 });
      const fimRate = numberOption(v, 'fim-rate', 'eval', { min: 0, max: 1 });
      const result = await trainWithProgress(ctx, engine, {
        ...params, maxMinutes: params.maxSteps ? undefined : params.maxMinutes ?? 10,
        ...(contextShare !== undefined ? { contextShare } : {}),
        ...(fimRate !== undefined ? { fimRate } : {}),
      }, trainPaths);
      modelPath = result.checkpointPath;
    }
    const { contextLength } = (await engine.request('loadModel', { path: modelPath })).config;
    // The workspace the editor would have open: the training files, never the held-out ones.
    const indexed = await engine.request('indexFiles', { files: train.map((f) => byPath.get(f.relativePath)!) });
    ctx.stderr.write(`workspace index: ${indexed.files} files (${indexed.ms.toFixed(0)} ms)\n`);
    const seedling = (name: string, decoder?: Decoder): CursorSystem => ({
      name,
      answer: async (t) => {
        const r = await engine.request('complete', {
          ...editorRequest(t.before, t.after, { contextLength, maxTokens, path: byPath.get(t.file), minConfidence }),
          ...(decoder ? { decoder } : {}),
        });
        return { text: r.completion, candidate: r.candidate, confidence: r.confidence, lineScore: r.lineScore, source: r.source };
      },
    });
    const systems = [seedling('seedling'), ...decoders.map((d) => seedling(`seedling:${d}`, d)), ...baselineAnswers(train)];
    const details: string[] = [];
    const report = await runCursorEval(tasks, systems, (done, total, detail) => {
      const t = detail.task;
      // Where the cursor was: the document is the file's first beforeChars characters, the target, then the file from afterFrom.
      const afterFrom = (sources.get(t.file)?.length ?? 0) - t.after.length;
      // Each line score's features, as confidence.ts computes them, for scripts/fit-confidence.mjs.
      const answers = Object.fromEntries(Object.entries(detail.answers).map(([name, a]) =>
        [name, a.lineScore ? { ...a, features: confidenceFeatures(a.lineScore) } : a]));
      details.push(JSON.stringify({ kind: t.kind, file: t.file, path: byPath.get(t.file), line: t.line, beforeChars: t.before.length, afterFrom, target: t.target, answers }));
      if (done % 50 === 0 || done === total) ctx.stderr.write(`scored ${done}/${total}\n`);
    });
    const detailsPath = stringOption(v, 'details');
    if (detailsPath) await writeFile(path.resolve(detailsPath), `${details.join('\n')}\n`);
    const counts = { trainFiles: train.length, heldOutFiles: heldOut.length, minConfidence };
    ctx.stdout.write(v.json ? `${JSON.stringify({ model: modelPath, ...counts, ...report })}\n`
      : `${tasks.length} cursors in ${heldOut.length} held-out files (trained on ${train.length} files)${formatCursorReport(report)}\n`);
  } finally {
    await engine.dispose();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  return EXIT_OK;
}
