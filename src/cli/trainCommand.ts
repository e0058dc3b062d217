/**
 * trainCommand.ts: `seedling train DIR... --out FILE`: collect the corpus, train in the engine
 * process with progress on the terminal; Ctrl+C stops after the current step and saves.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { collectCorpus, describeCorpus } from '../shared/corpus';
import type { EngineClient } from '../shared/engineClient';
import { formatDuration } from '../shared/format';
import { DEFAULT_PRESET, PRESET_NAMES, type PresetName } from '../shared/presets';
import type { TrainParams, TrainResult } from '../shared/protocol';
import {
  UsageError, choiceOption, numberOption, requireString, stringOption, type CommandSpec, type Parsed,
} from './args';
import { EXIT_INTERRUPTED, EXIT_OK, type CliContext } from './cliContext';
import { ProgressReporter } from './progressReporter';

const DEVICES = ['auto', 'cpu', 'cuda'] as const;

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'Train a model on the source files under one or more directories.',
  usage: 'seedling train DIR... --out FILE [--preset P] [--minutes N | --steps N] [--threads N] [--device D] [--base FILE | --from-scratch]',
  details: [
    'Files are collected like the extension does: .gitignore files are honoured, binary, minified, generated',
    'and oversized files are skipped, duplicates dropped. The model fine-tunes the bundled base model of the',
    'preset (models/base-<preset>.seedling) when there is one, else it trains from scratch. The checkpoint',
    'FILE always holds the best model by validation loss; --resume continues a run saved there.',
    'Ctrl+C stops after the current step, saves, and exits with status 130.',
  ].join('\n'),
  options: {
    out: { type: 'string', short: 'o', valueName: 'FILE', description: 'checkpoint to write (required)' },
    preset: { type: 'string', short: 'p', valueName: 'P', description: `model size: ${PRESET_NAMES.map((p) => (p === DEFAULT_PRESET ? `${p} (default)` : p)).join(', ')}` },
    minutes: { type: 'string', valueName: 'N', description: 'time budget in minutes (default 10 when --steps is not given)' },
    steps: { type: 'string', valueName: 'N', description: 'step budget' },
    threads: { type: 'string', short: 't', valueName: 'N', description: 'CPU threads (default: all cores, at most 8)' },
    device: { type: 'string', valueName: 'D', description: 'auto (default), cpu or cuda' },
    base: { type: 'string', valueName: 'FILE', description: 'fine-tune this checkpoint instead of the bundled base model' },
    'from-scratch': { type: 'boolean', description: 'train a new model and tokenizer from scratch' },
    resume: { type: 'boolean', description: 'continue the run saved in --out' },
    exclude: { type: 'string', multiple: true, valueName: 'GLOB', description: 'leave out matching paths (repeatable)' },
    'learning-rate': { type: 'string', valueName: 'X', description: 'peak learning rate (default: the preset\'s)' },
    patience: { type: 'string', valueName: 'N', description: 'evaluations without improvement before stopping early (default 5; 0: never)' },
    seed: { type: 'string', valueName: 'N', description: 'random seed (default 1337)' },
    json: { type: 'boolean', description: 'print the result as JSON on stdout' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  positionals: { min: 1, max: Infinity },
  exclusive: [['minutes', 'steps'], ['base', 'from-scratch']],
};

/** Turn parsed arguments into the engine's TrainParams (without files). Exported for tests. */
export function trainParamsFrom(parsed: Parsed, installRoot: string): Omit<TrainParams, 'files'> {
  const v = parsed.values;
  const preset: PresetName = choiceOption(v, 'preset', 'train', PRESET_NAMES) ?? DEFAULT_PRESET;
  const base = stringOption(v, 'base');
  let baseModelPath: string | undefined;
  if (base !== undefined) {
    baseModelPath = path.resolve(base);
    if (!existsSync(baseModelPath)) throw new UsageError(`base model ${base} does not exist`, 'train');
  } else if (!v['from-scratch']) {
    const bundled = path.join(installRoot, 'models', `base-${preset}.seedling`);
    if (existsSync(bundled)) baseModelPath = bundled;
  }
  return {
    checkpointPath: path.resolve(requireString(v, 'out', 'train')),
    preset,
    baseModelPath,
    resume: Boolean(v.resume),
    maxMinutes: numberOption(v, 'minutes', 'train', { min: 0.01 }),
    maxSteps: numberOption(v, 'steps', 'train', { min: 1, integer: true }),
    threads: numberOption(v, 'threads', 'train', { min: 1, max: 256, integer: true }),
    device: choiceOption(v, 'device', 'train', DEVICES) ?? 'auto',
    seed: numberOption(v, 'seed', 'train', { min: 0, integer: true }),
    learningRate: numberOption(v, 'learning-rate', 'train', { min: 1e-7, max: 1 }),
    patience: numberOption(v, 'patience', 'train', { min: 0, integer: true }),
  };
}

/**
 * Run one training request with progress, checkpoint samples and engine log lines on stderr; the
 * first Ctrl+C cancels (the engine saves first). The caller owns (and disposes) the engine.
 */
export async function trainWithProgress(ctx: CliContext, engine: EngineClient, params: Omit<TrainParams, 'files'>,
  files: string[]): Promise<TrainResult> {
  const reporter = new ProgressReporter(ctx.stderr);
  const onInterrupt = () => reporter.line('stopping: finishing the current step and saving the checkpoint (Ctrl+C again to quit now)');
  ctx.interrupt.addEventListener('abort', onInterrupt, { once: true });
  try {
    return await engine.request('train', { ...params, files }, {
      signal: ctx.interrupt,
      onEvent: (e) => {
        if (e.event === 'trainProgress') reporter.progress(e.data);
        else if (e.event === 'checkpoint') {
          const c = e.data;
          reporter.line(`checkpoint at step ${c.step}${c.valLoss !== undefined ? ` (val ${c.valLoss.toFixed(4)})` : ''}`);
          for (const s of c.samples) reporter.line(`  ${JSON.stringify(s.prompt)} -> ${JSON.stringify(s.completion)}`);
        } else if (e.event === 'log') {
          const { level, message } = e.data;
          reporter.line(level === 'info' ? message : `${level}: ${message}`);
        }
      },
    });
  } finally {
    reporter.finish();
    ctx.interrupt.removeEventListener('abort', onInterrupt);
  }
}

export async function trainCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const params = trainParamsFrom(parsed, ctx.installRoot);
  const dirs = parsed.positionals.map((d) => path.resolve(d));
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`directory ${d} does not exist`, 'train');
  const excludes = (parsed.values.exclude as string[] | undefined) ?? [];
  const corpus = await collectCorpus(dirs, excludes, ctx.interrupt);
  ctx.stderr.write(`corpus: ${describeCorpus(corpus.summary)}\n`);
  if (corpus.files.length === 0) throw new Error(`no training text: 0 files under ${dirs.join(', ')}`);
  ctx.stderr.write(`training the ${params.preset} preset ${params.resume ? '(resuming) ' : ''}` +
    `${params.baseModelPath ? `from ${params.baseModelPath}` : 'from scratch'}; checkpoint: ${params.checkpointPath}\n`);
  await mkdir(path.dirname(params.checkpointPath), { recursive: true });

  const engine = ctx.startEngine(params.threads);
  const started = Date.now();
  let result: TrainResult;
  try {
    result = await trainWithProgress(ctx, engine, params, corpus.files);
  } finally {
    await engine.dispose();
  }
  if (parsed.values.json) ctx.stdout.write(`${JSON.stringify(result)}\n`);
  ctx.stderr.write(`${result.stoppedBy === 'cancelled' ? 'stopped' : 'done'} after ${result.steps} steps in ` +
    `${formatDuration(Date.now() - started)} on the ${result.device === 'cuda' ? 'GPU' : 'CPU'} (${result.stoppedBy}): train loss ${result.trainLoss.toFixed(4)}` +
    `${result.valLoss !== undefined ? `, best validation loss ${result.valLoss.toFixed(4)}` : ''}\n` +
    `checkpoint: ${result.checkpointPath}\n`);
  return result.stoppedBy === 'cancelled' ? EXIT_INTERRUPTED : EXIT_OK;
}
