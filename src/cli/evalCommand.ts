/**
 * evalCommand.ts: `seedling eval DIR...`: how good are the completions, next to the baselines?
 *
 * Files are split into training and held-out sets by a hash of their relative path (~10% held
 * out); the model is trained on the training files only (or taken from --model), then asked for the
 * rest of the line at random cursor positions in held-out files, as are the longest-match copy and
 * character 12-gram baselines, in the same run.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import { collectCorpus, describeCorpus } from '../shared/corpus';
import { sampleTasks, splitFiles, type SourceFile } from '../eval/evalTasks';
import { baselineSystems, formatReport, runEval, type EvalSystem } from '../eval/runEval';
import { parseVariants } from '../eval/strategySpec';
import type { CompletionStrategy } from '../shared/protocol';
import { UsageError, numberOption, stringOption, type CommandSpec, type Parsed } from './args';
import { EXIT_OK, type CliContext } from './cliContext';
import { trainParamsFrom, trainWithProgress } from './trainCommand';

export const evalSpec: CommandSpec = {
  name: 'eval',
  summary: 'Measure completion quality on held-out files, beside two non-neural baselines.',
  usage: 'seedling eval DIR... [--model FILE | --minutes N | --steps N] [--preset P] [--base FILE | --from-scratch] [--tasks N] [--variants LIST] [--json]',
  details: [
    'About 10% of the files (by a hash of their relative path) are held out. Unless --model is given, a model',
    'is trained on the other files first (fine-tuning the bundled base model unless --from-scratch). Then, at',
    'random cursor positions in held-out files, each system completes the rest of the line, given everything',
    'before the cursor and everything after that line. Reported per system: exact match (trailing whitespace',
    'ignored), edit similarity (1 - Levenshtein / longer length), the share of the target right from its start,',
    'and latency p50/p95. Baselines: longest-match copy from the training files, and a character 12-gram model.',
    'The model completes with the engine\'s default strategy; --variants scores named strategies instead, side by',
    'side on the same model: words joined by "+": fim|prefix, heal, retrieve, rank, match<N> (e.g.',
    '--variants fim,prefix+heal,prefix+heal+retrieve+rank). Retrieval and copying draw on the training files.',
  ].join('\n'),
  options: {
    model: { type: 'string', short: 'm', valueName: 'FILE', description: 'evaluate this checkpoint instead of training one' },
    keep: { type: 'string', valueName: 'FILE', description: 'where to write the trained checkpoint (default: a temporary file)' },
    preset: { type: 'string', short: 'p', valueName: 'P', description: 'model size when training (default small)' },
    minutes: { type: 'string', valueName: 'N', description: 'training time budget (default 10)' },
    steps: { type: 'string', valueName: 'N', description: 'training step budget' },
    base: { type: 'string', valueName: 'FILE', description: 'fine-tune this checkpoint' },
    'from-scratch': { type: 'boolean', description: 'train a new model and tokenizer from scratch' },
    tasks: { type: 'string', valueName: 'N', description: 'line completions to score (default 300)' },
    seed: { type: 'string', valueName: 'N', description: 'seed of the cursor positions (default 1)' },
    threads: { type: 'string', short: 't', valueName: 'N', description: 'CPU threads' },
    'max-tokens': { type: 'string', valueName: 'N', description: 'generation budget per completion (default 48)' },
    'context-share': { type: 'string', valueName: 'X', description: 'share of training files packed with related code (0..1)' },
    'learning-rate': { type: 'string', valueName: 'X', description: 'peak learning rate (default: the preset\'s)' },
    'fim-rate': { type: 'string', valueName: 'X', description: 'share of training windows made fill-in-the-middle (0..1)' },
    variants: { type: 'string', valueName: 'LIST', description: 'completion strategies to compare (comma-separated)' },
    exclude: { type: 'string', multiple: true, valueName: 'GLOB', description: 'leave out matching paths (repeatable)' },
    json: { type: 'boolean', description: 'print the report as JSON on stdout' },
    details: { type: 'string', valueName: 'FILE', description: 'write every system\'s suggestion per task to FILE (JSON lines)' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  positionals: { min: 1, max: Infinity },
  exclusive: [['model', 'minutes'], ['model', 'steps'], ['minutes', 'steps'], ['base', 'from-scratch'], ['model', 'base']],
};

async function readSources(entries: { path: string; relativePath: string }[]): Promise<SourceFile[]> {
  return Promise.all(entries.map(async (e) => ({ relativePath: e.relativePath, text: await readFile(e.path, 'utf8') })));
}

export async function evalCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const v = parsed.values;
  const dirs = parsed.positionals.map((d) => path.resolve(d));
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`directory ${d} does not exist`, 'eval');
  const taskCount = numberOption(v, 'tasks', 'eval', { min: 1, max: 100_000, integer: true }) ?? 300;
  const seed = numberOption(v, 'seed', 'eval', { min: 0, integer: true }) ?? 1;
  const maxTokens = numberOption(v, 'max-tokens', 'eval', { min: 1, max: 512, integer: true }) ?? 48;
  const modelOption = stringOption(v, 'model');
  const variantList = stringOption(v, 'variants');
  let variants: { name: string; strategy: CompletionStrategy }[] = [{ name: 'model', strategy: {} }];
  try {
    if (variantList !== undefined) variants = parseVariants(variantList).map((x) => ({ name: `model:${x.name}`, strategy: x.strategy }));
  } catch (err) {
    throw new UsageError((err as Error).message, 'eval');
  }

  const corpus = await collectCorpus(dirs, (v.exclude as string[] | undefined) ?? [], ctx.interrupt);
  ctx.stderr.write(`corpus: ${describeCorpus(corpus.summary)}\n`);
  const byPath = new Map(corpus.entries.map((e) => [e.relativePath, e.path]));
  const { train, heldOut } = splitFiles(await readSources(corpus.entries));
  if (train.length === 0 || heldOut.length === 0) {
    throw new Error(`eval needs at least 2 files (found ${corpus.entries.length}): one to train on and one to hold out`);
  }
  const tasks = sampleTasks(heldOut, taskCount, seed);
  ctx.stderr.write(`split: ${train.length} files train, ${heldOut.length} held out; ${tasks.length} line tasks\n`);

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
    await engine.request('loadModel', { path: modelPath });
    // Retrieval and copy candidates draw on what the model was trained on, never the held-out files.
    const indexed = await engine.request('indexFiles', { files: train.map((f) => byPath.get(f.relativePath)!) });
    ctx.stderr.write(`context index: ${indexed.files} files, ${indexed.chunks} chunks (${indexed.ms.toFixed(0)} ms)\n`);
    const models: EvalSystem[] = variants.map(({ name, strategy }) => ({
      name,
      complete: async (t) => (await engine.request('complete', {
        ...strategy, prefix: t.prefix, suffix: t.suffix, path: byPath.get(t.file), maxTokens, stop: ['\n'],
      })).completion,
    }));
    const details: string[] = [];
    const report = await runEval(tasks, [...models, ...baselineSystems(train)], { trainFiles: train.length, heldOutFiles: heldOut.length },
      (done, total, detail) => {
        details.push(JSON.stringify(detail));
        if (done % 50 === 0 || done === total) ctx.stderr.write(`scored ${done}/${total}\n`);
      });
    const detailsPath = stringOption(v, 'details');
    if (detailsPath) await writeFile(path.resolve(detailsPath), `${details.join('\n')}\n`);
    ctx.stdout.write(v.json ? `${JSON.stringify({ model: modelPath, ...report })}\n` : `${formatReport(report)}\n`);
  } finally {
    await engine.dispose();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  return EXIT_OK;
}
