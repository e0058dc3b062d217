/**
 * benchCommand.ts: `seedling bench latency`: completion latency as a user's editor would see it
 * through `seedling complete --stdin` (a child process serving JSON lines), on typing-like requests
 * sent one at a time; prints one JSON object. `seedling bench copy DIR...`: the cost of the copy
 * search (one-line suggestions) against a workspace of that size. `seedling bench native ...` runs
 * the engine's native benchmarks (scripts/bench.mjs, source checkouts only).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { UsageError, numberOption, requireString, stringOption, type CommandSpec, type Parsed } from './args';
import { EXIT_ERROR, EXIT_OK, type CliContext } from './cliContext';
import { percentile, typingRequests } from './typingWorkload';
import { collectCorpus, describeCorpus } from '../shared/corpus';
import { WorkspaceContext } from '../shared/context/workspaceContext';

export const benchSpec: CommandSpec = {
  name: 'bench',
  summary: 'Measure completion latency, or run the native engine benchmarks.',
  usage: 'seedling bench latency --model FILE [--requests N] [--threads N] [--source FILE]\n       seedling bench copy DIR... [--requests N] [--source FILE]\n       seedling bench native <train|infer|matmul|tokenizer> [options]',
  details: [
    'latency: starts `seedling complete --stdin` as a child process and sends N typing-like requests (a line',
    'retyped one or two characters at a time, then another line) one after another, timing each round trip.',
    'Prints {"p50Ms", "p95Ms", ...} as one JSON line. The first request (cold cache) is reported separately.',
    'copy: indexes the files under DIR... as the extension does and times the copy search (what a one-line',
    'suggestion costs before any model runs) at N cursor positions spread over the source file.',
    'native: runs scripts/bench.mjs from a source checkout (see its --help).',
  ].join('\n'),
  options: {
    model: { type: 'string', short: 'm', valueName: 'FILE', description: 'checkpoint (latency)' },
    requests: { type: 'string', short: 'n', valueName: 'N', description: 'number of requests (default 100)' },
    threads: { type: 'string', short: 't', valueName: 'N', description: 'engine threads (default 2)' },
    source: { type: 'string', valueName: 'FILE', description: 'file whose lines are typed (default: a sample-workspace file)' },
    'max-tokens': { type: 'string', valueName: 'N', description: 'generation budget per request (default 32)' },
    'single-line': { type: 'boolean', description: 'stop each completion at the end of the line (the editor\'s single-line mode)' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  positionals: { min: 1, max: Infinity },
};

export async function benchCommand(parsed: Parsed, ctx: CliContext, rawArgs: string[]): Promise<number> {
  const [kind] = parsed.positionals;
  if (kind === 'native') return benchNative(ctx, rawArgs.slice(rawArgs.indexOf('native') + 1));
  if (kind === 'copy') return benchCopy(parsed, ctx);
  if (kind !== 'latency') throw new UsageError(`unknown benchmark "${kind}" (latency, copy, native)`, 'bench');
  return benchLatency(parsed, ctx);
}

async function benchCopy(parsed: Parsed, ctx: CliContext): Promise<number> {
  const dirs = parsed.positionals.slice(1).map((d) => path.resolve(d));
  if (dirs.length === 0) throw new UsageError('bench copy needs at least one directory', 'bench');
  const count = numberOption(parsed.values, 'requests', 'bench', { min: 1, max: 100_000, integer: true }) ?? 100;
  const sourcePath = path.resolve(stringOption(parsed.values, 'source') ?? defaultSource(ctx.installRoot));
  const corpus = await collectCorpus(dirs, [], ctx.interrupt);
  ctx.stderr.write(`corpus: ${describeCorpus(corpus.summary)}\n`);
  const workspace = new WorkspaceContext();
  for (const e of corpus.entries) workspace.setFile(e.path, readFileSync(e.path, 'utf8'));
  const document = readFileSync(sourcePath, 'utf8');
  workspace.copy('', '', sourcePath); // joins the workspace text once, as the first request would
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const cursor = Math.floor(document.length * (i + 0.5) / count);
    const started = performance.now();
    workspace.copy(document.slice(0, cursor), document.slice(cursor), sourcePath);
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  ctx.stdout.write(`${JSON.stringify({
    files: corpus.summary.files, corpusMB: +(corpus.summary.bytes / 1e6).toFixed(1), requests: count,
    p50Ms: +percentile(ms, 50).toFixed(2), p95Ms: +percentile(ms, 95).toFixed(2),
  })}\n`);
  return EXIT_OK;
}

function benchNative(ctx: CliContext, args: string[]): number {
  const script = path.join(ctx.installRoot, 'scripts', 'bench.mjs');
  if (!existsSync(script)) throw new Error('native benchmarks need a source checkout (scripts/bench.mjs is not installed)');
  const r = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  return r.status ?? EXIT_ERROR;
}

async function benchLatency(parsed: Parsed, ctx: CliContext): Promise<number> {
  const v = parsed.values;
  const model = path.resolve(requireString(v, 'model', 'bench'));
  if (!existsSync(model)) throw new UsageError(`model ${model} does not exist`, 'bench');
  const count = numberOption(v, 'requests', 'bench', { min: 1, max: 100_000, integer: true }) ?? 100;
  const threads = numberOption(v, 'threads', 'bench', { min: 1, max: 256, integer: true }) ?? 2;
  const maxTokens = numberOption(v, 'max-tokens', 'bench', { min: 1, max: 1024, integer: true }) ?? 32;
  const sourcePath = stringOption(v, 'source') ?? defaultSource(ctx.installRoot);
  const stopStrings = v['single-line'] ? ['\n'] : undefined;
  const requests = typingRequests(readFileSync(sourcePath, 'utf8'), count + 1).map((r) => ({ ...r, stop: stopStrings }));

  const cli = path.join(ctx.installRoot, 'dist', 'cli.js');
  const child = spawn(process.execPath, [cli, 'complete', '--stdin', '--model', model, '--threads', String(threads),
    '--max-tokens', String(maxTokens)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? EXIT_ERROR)));
  const stop = () => child.kill('SIGTERM');
  ctx.interrupt.addEventListener('abort', stop, { once: true });
  const ms: number[] = [];
  const engineMs: number[] = [];
  let reused = 0;
  let promptTokens = 0;
  let first = NaN;
  try {
    for (let i = 0; i < requests.length; i++) {
      const started = performance.now();
      child.stdin!.write(`${JSON.stringify(requests[i])}\n`);
      const next = await answers.next();
      if (next.done) throw new Error('`seedling complete --stdin` ended early');
      const elapsed = performance.now() - started;
      const answer = JSON.parse(next.value) as { error?: string; engineMs: number; reusedTokens: number; promptTokens: number };
      if (answer.error) throw new Error(`completion failed: ${answer.error}`);
      if (i === 0) { first = elapsed; continue; }  // the cold request: model load warm-up, empty cache
      ms.push(elapsed);
      engineMs.push(answer.engineMs);
      reused += answer.reusedTokens;
      promptTokens += answer.promptTokens;
    }
  } finally {
    child.stdin!.end();
    ctx.interrupt.removeEventListener('abort', stop);
  }
  await exited;
  ms.sort((a, b) => a - b);
  engineMs.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  ctx.stdout.write(`${JSON.stringify({
    benchmark: 'completion-latency', path: 'seedling complete --stdin', model: path.basename(model), threads, maxTokens, singleLine: Boolean(stopStrings),
    requests: ms.length, p50Ms: round(percentile(ms, 50)), p95Ms: round(percentile(ms, 95)), maxMs: round(ms[ms.length - 1]),
    meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length), firstMs: round(first),
    engineP50Ms: round(percentile(engineMs, 50)), engineP95Ms: round(percentile(engineMs, 95)),
    promptTokensReusedShare: round(promptTokens ? reused / promptTokens : 0),
  })}\n`);
  return EXIT_OK;
}

function defaultSource(installRoot: string): string {
  const candidate = path.join(installRoot, 'test', 'fixtures', 'sample-workspace', 'src', 'taskQueue.js');
  if (!existsSync(candidate)) throw new UsageError('give --source FILE (the sample workspace is not installed)', 'bench');
  return candidate;
}
