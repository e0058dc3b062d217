/**
 * completeCommand.ts: `seedling complete --model FILE`: one completion from --prefix/--suffix, or a
 * JSON-lines service on stdin (what benchmarks and editor integrations outside VS Code use).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError, numberOption, requireString, stringOption, type CommandSpec, type Parsed } from './args';
import { EXIT_ERROR, EXIT_OK, type CliContext } from './cliContext';
import { MAX_TOKENS_RANGE, TEMPERATURE_RANGE, serveJsonLines } from './jsonLines';
import { ENGINE_CRASHED } from '../shared/engineErrors';
import { DEFAULT_MAX_TOKENS, editorRequest } from '../shared/completion/editorRequest';
import { collectCorpus, describeCorpus } from '../shared/corpus';


export const completeSpec: CommandSpec = {
  name: 'complete',
  summary: 'Complete code with a trained model.',
  usage: 'seedling complete --model FILE [--workspace DIR] [--prefix TEXT --suffix TEXT | --stdin]',
  details: [
    'With --prefix/--suffix, prints the completion of the text between them to stdout.',
    'With --stdin, reads one JSON object per line, {"prefix": "...", "suffix": "..."} (optional "maxTokens",',
    '"temperature", "stop"), and writes one line per request, in order: {"completion": "...", "ms": N, ...}',
    'where ms is the round trip through the engine process. A bad line is answered with {"error": "..."};',
    'the exit status is 1 when every request failed. If the engine process dies, it is restarted and the model',
    'reloaded for the next request.',
    'Completions are what the editor would show, by the same request and the same engine path: one line when',
    'text follows the cursor on its line, else up to the end of the block; nothing when the estimate that it is',
    'kept is below --min-confidence. --workspace DIR indexes DIR as the editor indexes an open folder, so the',
    'suggestion can copy from it. --raw prints the engine\'s text before the editor\'s cuts.',
  ].join('\n'),
  options: {
    model: { type: 'string', short: 'm', valueName: 'FILE', description: 'checkpoint to complete with (required)' },
    prefix: { type: 'string', valueName: 'TEXT', description: 'text before the cursor' },
    suffix: { type: 'string', valueName: 'TEXT', description: 'text after the cursor (default empty)' },
    stdin: { type: 'boolean', description: 'serve JSON-lines requests from stdin' },
    workspace: { type: 'string', short: 'w', valueName: 'DIR', description: 'index this folder as the editor indexes an open workspace' },
    file: { type: 'string', valueName: 'PATH', description: 'the document\'s file: its saved copy in the workspace is left out, as in the editor' },
    'min-confidence': { type: 'string', valueName: 'X', description: 'show nothing below this estimate of being kept (default: the editor\'s)' },
    raw: { type: 'boolean', description: 'the engine\'s text as generated, without the editor\'s post-processing' },
    'max-tokens': { type: 'string', valueName: 'N', description: `generation budget (default ${DEFAULT_MAX_TOKENS})` },
    temperature: { type: 'string', valueName: 'T', description: 'sampling temperature (default 0: greedy)' },
    threads: { type: 'string', short: 't', valueName: 'N', description: 'CPU threads (default: all cores, at most 8)' },
    help: { type: 'boolean', short: 'h', description: 'show this help' },
  },
  positionals: { min: 0, max: 0 },
  exclusive: [['stdin', 'prefix'], ['stdin', 'suffix']],
};

export async function completeCommand(parsed: Parsed, ctx: CliContext): Promise<number> {
  const v = parsed.values;
  const model = path.resolve(requireString(v, 'model', 'complete'));
  if (!existsSync(model)) throw new UsageError(`model ${model} does not exist`, 'complete');
  const prefix = stringOption(v, 'prefix');
  if (!v.stdin && prefix === undefined) throw new UsageError('give --prefix (and --suffix) or --stdin', 'complete');
  const maxTokens = numberOption(v, 'max-tokens', 'complete', { ...MAX_TOKENS_RANGE, integer: true }) ?? DEFAULT_MAX_TOKENS;
  const temperature = numberOption(v, 'temperature', 'complete', TEMPERATURE_RANGE);
  const threads = numberOption(v, 'threads', 'complete', { min: 1, max: 256, integer: true });

  const raw = Boolean(v.raw);
  const minConfidence = numberOption(v, 'min-confidence', 'complete', { min: 0, max: 1 });
  const workspace = stringOption(v, 'workspace');
  if (workspace !== undefined && !existsSync(workspace)) throw new UsageError(`workspace ${workspace} does not exist`, 'complete');
  const engine = ctx.startEngine(threads);
  let contextLength = 512;
  // One completion by the editor's request (editorRequest.ts): the engine shapes, cuts and judges it.
  const file = stringOption(v, 'file');
  const completeOne = (r: { prefix: string; suffix: string; maxTokens?: number; temperature?: number; path?: string }) => engine.request('complete', {
    ...editorRequest(r.prefix, r.suffix, {
      contextLength, maxTokens: r.maxTokens ?? maxTokens, temperature: r.temperature ?? temperature,
      ...(r.path ?? file ? { path: path.resolve(r.path ?? file!) } : {}),
      ...(minConfidence !== undefined ? { minConfidence } : {}),
    }),
    ...(raw ? { raw: true } : {}),
  });
  const stop = () => { void engine.dispose(0); };
  ctx.interrupt.addEventListener('abort', stop, { once: true });
  // The engine forgets its model and index when it dies; bring both back before the next request.
  let workspaceFiles: string[] | undefined;
  const prepare = async () => {
    contextLength = (await engine.request('loadModel', { path: model })).config.contextLength;
    if (workspaceFiles) await engine.request('indexFiles', { files: workspaceFiles });
  };
  let restarted: Promise<void> | undefined;
  const completeSurvivingRestart: typeof completeOne = async (r) => {
    try {
      if (restarted) await restarted;
      return await completeOne(r);
    } catch (err) {
      if ((err as { code?: string }).code !== ENGINE_CRASHED || ctx.interrupt.aborted) throw err;
      restarted ??= prepare().finally(() => { restarted = undefined; });
      await restarted;
      return completeOne(r);
    }
  };
  try {
    await prepare();
    if (workspace !== undefined) {
      const corpus = await collectCorpus([path.resolve(workspace)], [], ctx.interrupt);
      ctx.stderr.write(`workspace: ${describeCorpus(corpus.summary)}\n`);
      workspaceFiles = corpus.entries.map((e) => e.path);
      await engine.request('indexFiles', { files: workspaceFiles });
    }
    if (v.stdin) {
      const tally = await serveJsonLines(ctx.stdin, ctx.stdout, async (r) => {
        const started = performance.now();
        const result = await completeSurvivingRestart(r);
        return {
          completion: result.completion, ms: round2(performance.now() - started), engineMs: round2(result.ms),
          promptTokens: result.promptTokens, reusedTokens: result.reusedTokens,
          kind: result.kind, source: result.source, confidence: result.confidence, candidate: result.candidate,
        };
      });
      if (tally.answered > 0 && tally.failed === tally.answered) {
        ctx.stderr.write(`seedling complete: all ${tally.failed} request(s) failed\n`);
        return EXIT_ERROR;
      }
    } else {
      const result = await completeOne({ prefix: prefix!, suffix: stringOption(v, 'suffix') ?? '' });
      ctx.stdout.write(result.completion);
      if (ctx.stdout.isTTY) ctx.stdout.write('\n');
    }
  } finally {
    ctx.interrupt.removeEventListener('abort', stop);
    await engine.dispose();
  }
  return EXIT_OK;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
