/** The CLI's pieces: argument parsing and validation, help text, JSON-lines ordering, the typing workload. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { UsageError, helpText, numberOption, parseCommand } from '../../src/cli/args';
import { completeSpec } from '../../src/cli/completeCommand';
import { parseRequestLine, serveJsonLines } from '../../src/cli/jsonLines';
import { main } from '../../src/cli/main';
import { progressBar, progressLine } from '../../src/cli/progressReporter';
import { trainParamsFrom, trainSpec } from '../../src/cli/trainCommand';
import { percentile, typingRequests } from '../../src/cli/typingWorkload';
import type { CliContext } from '../../src/cli/cliContext';

const usage = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: Error) => e instanceof UsageError && pattern.test(e.message));

test('train: options become TrainParams with defaults', () => {
  const installRoot = mkdtempSync(path.join(tmpdir(), 'seedling-cli-'));  // no bundled base models
  const p = trainParamsFrom(parseCommand(trainSpec, ['src', 'lib', '--out', 'm.seedling', '--steps', '50', '-t', '2']), installRoot);
  assert.equal(p.checkpointPath, path.resolve('m.seedling'));
  assert.equal(p.preset, 'small');
  assert.equal(p.maxSteps, 50);
  assert.equal(p.maxMinutes, undefined);
  assert.equal(p.threads, 2);
  assert.equal(p.device, 'auto');
  assert.equal(p.baseModelPath, undefined, 'no bundled base model: from scratch');
  writeFileSync(path.join(installRoot, 'base-tiny.seedling'), 'x');
  const base = path.join(installRoot, 'base-tiny.seedling');
  assert.equal(trainParamsFrom(parseCommand(trainSpec, ['d', '-o', 'x', '--base', base, '--preset', 'tiny']), installRoot).baseModelPath, base);
  assert.equal(trainParamsFrom(parseCommand(trainSpec, ['d', '-o', 'x', '--patience', '0']), installRoot).patience, 0);
  assert.throws(() => trainParamsFrom(parseCommand(trainSpec, ['d', '-o', 'x', '--patience', '-1']), installRoot), /patience/);
});

test('train: bad arguments are usage errors that say what is wrong', () => {
  const root = tmpdir();
  usage(() => parseCommand(trainSpec, ['--out', 'x']), /missing argument/);
  usage(() => parseCommand(trainSpec, ['d', '--out', 'x', '--minutes', '1', '--steps', '2']), /--minutes and --steps cannot be used together/);
  usage(() => parseCommand(trainSpec, ['d', '--out', 'x', '--base', 'b', '--from-scratch']), /--base and --from-scratch/);
  usage(() => parseCommand(trainSpec, ['d', '--bogus']), /unknown option --bogus/);
  usage(() => trainParamsFrom(parseCommand(trainSpec, ['d']), root), /--out is required/);
  usage(() => trainParamsFrom(parseCommand(trainSpec, ['d', '-o', 'x', '--preset', 'huge']), root), /--preset must be one of tiny, small, medium, large/);
  usage(() => trainParamsFrom(parseCommand(trainSpec, ['d', '-o', 'x', '--steps', '2.5']), root), /--steps must be a whole number/);
  usage(() => trainParamsFrom(parseCommand(trainSpec, ['d', '-o', 'x', '--threads', '0']), root), /--threads must be at least 1/);
  usage(() => trainParamsFrom(parseCommand(trainSpec, ['d', '-o', 'x', '--base', '/no/such/file']), root), /does not exist/);
  usage(() => parseCommand(completeSpec, ['--stdin', '--prefix', 'a', '--model', 'm']), /--stdin and --prefix/);
  usage(() => parseCommand(completeSpec, ['extra', '--model', 'm']), /unexpected argument "extra"/);
});

test('numberOption accepts numbers and rejects the rest', () => {
  assert.equal(numberOption({ n: '1.5' }, 'n', 'x'), 1.5);
  assert.equal(numberOption({}, 'n', 'x'), undefined);
  usage(() => numberOption({ n: '' }, 'n', 'x'), /must be a number/);
  usage(() => numberOption({ n: 'NaN' }, 'n', 'x'), /must be a number/);
  usage(() => numberOption({ n: '5' }, 'n', 'x', { max: 4 }), /at most 4/);
});

test('help text lists every option of the command', () => {
  const text = helpText(trainSpec);
  for (const name of Object.keys(trainSpec.options)) assert.ok(text.includes(`--${name}`), name);
  assert.match(text, /^usage: seedling train DIR\.\.\./);
});

function memoryContext(): { ctx: CliContext; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => { out += d; });
  stderr.on('data', (d) => { err += d; });
  const ctx = {
    stdout, stderr, stdin: new PassThrough(), interrupt: new AbortController().signal, installRoot: tmpdir(),
    startEngine: () => { throw new Error('no engine in this test'); },
  } as unknown as CliContext;
  return { ctx, out: () => out, err: () => err };
}

test('main: exit codes and messages for help, unknown commands and usage errors', async () => {
  let m = memoryContext();
  assert.equal(await main(['--help'], m.ctx), 0);
  assert.match(m.out(), /commands:\n {2}train/);
  assert.match(m.out(), /\n {2}eval +Measure the suggestions people see/);
  m = memoryContext();
  assert.equal(await main(['complete', '--help'], m.ctx), 0);
  assert.match(m.out(), /--stdin/);
  m = memoryContext();
  assert.equal(await main(['frobnicate'], m.ctx), 2, 'a usage error has its own exit code');
  assert.match(m.err(), /unknown command "frobnicate"/);
  m = memoryContext();
  assert.equal(await main(['train', 'dir'], m.ctx), 2);
  assert.match(m.err(), /seedling train: --out is required\nRun `seedling train --help`/);
  m = memoryContext();
  assert.equal(await main(['complete', '--model', '/no/such.seedling', '--prefix', 'x'], m.ctx), 2);
  assert.match(m.err(), /does not exist/);
  m = memoryContext();
  assert.equal(await main(['complete', '--model', '/no/such.seedling', '--max-tokens', '0'], m.ctx), 2);
  m = memoryContext();
  assert.equal(await main([], m.ctx), 2);
});

test('JSON lines: answers come out in input order even when the engine answers out of order', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d) => { text += d; });
  const delays = [40, 5, 25, 0, 10, 30, 1, 15];
  const requests = delays.map((d, i) => JSON.stringify({ prefix: `p${i}`, suffix: `${d}` }));
  requests.splice(3, 0, '{"prefix": 12}');  // a bad request in the middle
  const served = serveJsonLines(input, output, async (r) => {
    await new Promise((res) => setTimeout(res, Number(r.suffix)));
    return { completion: r.prefix };
  }, 4);
  input.end(`${requests.join('\n')}\n\n`);
  assert.deepEqual(await served, { answered: 9, failed: 1 });
  const answers = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(answers.map((a) => a.completion ?? 'error'), ['p0', 'p1', 'p2', 'error', 'p3', 'p4', 'p5', 'p6', 'p7']);
  assert.match(answers[3].error, /"prefix" must be a string/);
});

test('JSON lines: a client that waits for each answer is answered before it sends the next line', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  const lines = readline.createInterface({ input: output })[Symbol.asyncIterator]();
  const served = serveJsonLines(input, output, async (r) => ({ completion: r.prefix.toUpperCase() }), 4);
  for (const word of ['one', 'two', 'three']) {
    input.write(`${JSON.stringify({ prefix: word })}\n`);
    const next = await Promise.race([lines.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer')), 2000))]);
    assert.deepEqual(JSON.parse(next.value as string), { completion: word.toUpperCase() });
  }
  input.end();
  assert.deepEqual(await served, { answered: 3, failed: 0 });
});

test('JSON lines: request validation', () => {
  assert.deepEqual(parseRequestLine('{"prefix":"a"}'), { prefix: 'a', suffix: '' });
  assert.deepEqual(parseRequestLine('{"prefix":"a","suffix":"b","maxTokens":3,"stop":["\\n"]}'),
    { prefix: 'a', suffix: 'b', maxTokens: 3, stop: ['\n'] });
  assert.throws(() => parseRequestLine('[1]'), /expected a JSON object/);
  assert.throws(() => parseRequestLine('{"prefix":"a","suffix":3}'), /"suffix" must be a string/);
  assert.throws(() => parseRequestLine('{'), /not valid JSON/);
  // Per request, the same bounds as the command's options; a wrong type is an error, not ignored.
  assert.throws(() => parseRequestLine('{"prefix":"a","maxTokens":0}'), /"maxTokens" must be an integer from 1 to 4096/);
  assert.throws(() => parseRequestLine('{"prefix":"a","maxTokens":1e9}'), /"maxTokens"/);
  assert.throws(() => parseRequestLine('{"prefix":"a","maxTokens":2.5}'), /"maxTokens"/);
  assert.throws(() => parseRequestLine('{"prefix":"a","maxTokens":"8"}'), /"maxTokens"/);
  assert.throws(() => parseRequestLine('{"prefix":"a","temperature":-1}'), /"temperature" must be a number from 0 to 10/);
  assert.throws(() => parseRequestLine('{"prefix":"a","temperature":"hot"}'), /"temperature"/);
  assert.throws(() => parseRequestLine('{"prefix":"a","stop":"x"}'), /"stop" must be an array of strings/);
  assert.deepEqual(parseRequestLine('{"prefix":"a","maxTokens":4096,"temperature":0.7}'), { prefix: 'a', suffix: '', maxTokens: 4096, temperature: 0.7 });
});

test('JSON lines: a line over the cap is answered with an error and dropped as it streams, the next line is served', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d) => { text += d; });
  const served = serveJsonLines(input, output, async (r) => ({ completion: r.prefix }), 4, 1000);
  input.write(`{"prefix":"${'x'.repeat(600)}`);
  input.write(`${'y'.repeat(600)}"}\n`);
  input.end(`${JSON.stringify({ prefix: 'ok' })}\n`);
  assert.deepEqual(await served, { answered: 2, failed: 1 });
  const answers = text.trim().split('\n').map((l) => JSON.parse(l));
  assert.match(answers[0].error, /line of 1213 bytes is longer than 1000/);
  assert.equal(answers[1].completion, 'ok');
});

test('JSON lines: input waits while the output is backed up', async () => {
  const input = new PassThrough();
  const output = new PassThrough({ highWaterMark: 16 });  // nobody reads it: full after one answer
  let calls = 0;
  const served = serveJsonLines(input, output, async (r) => { calls++; return { completion: r.prefix }; }, 4);
  for (let i = 0; i < 50; i++) input.write(`${JSON.stringify({ prefix: `request ${i}` })}\n`);
  input.end();
  await new Promise((res) => setTimeout(res, 100));
  assert.ok(calls < 10, `${calls} requests served into a full output`);
  output.resume();  // the reader catches up: the rest are served
  assert.deepEqual(await served, { answered: 50, failed: 0 });
});

test('progress: bar and plain line', () => {
  const p = { step: 50, totalSteps: 200, tokensSeen: 1, loss: 2.5, valLoss: 2.75, learningRate: 3e-4, tokensPerSecond: 12_345, elapsedMs: 61_000, etaMs: 183_000 };
  assert.equal(progressLine(p), 'step 50/200 loss 2.5000 val 2.7500 lr 3.00e-4 12.3k tok/s elapsed 1m 01s eta 3m 03s');
  assert.match(progressBar(p, 8), /^\[##\.\.\.\.\.\.\] {2}25% step 50\/200/);
});

test('typing workload: a line typed character by character, deterministic', () => {
  const source = 'const first = 1;\nfunction second(a, b) {\n  return a + b;\n}\n';
  const a = typingRequests(source, 12, 7);
  assert.deepEqual(a, typingRequests(source, 12, 7));
  assert.equal(a.length, 12);
  for (let i = 1; i < a.length; i++) {
    const grew = a[i].prefix.startsWith(a[i - 1].prefix) && a[i].prefix.length > a[i - 1].prefix.length;
    const jumped = a[i].suffix !== a[i - 1].suffix || !grew;
    assert.ok(grew || jumped);
  }
  assert.ok(a.every((r) => source.includes(r.prefix.slice(-5))));
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.equal(percentile([1, 2, 3, 4], 95), 4);
});

/** A stand-in engine: records requests; `complete` runs the given behaviour. */
function fakeEngine(complete: (n: number) => Promise<object>) {
  const calls: string[] = [];
  let completes = 0;
  const engine = {
    request: async (method: string) => {
      calls.push(method);
      if (method === 'loadModel') return { config: { contextLength: 64 } };
      if (method === 'complete') return complete(completes++);
      return {};
    },
    dispose: async () => undefined,
  };
  return { engine, calls };
}

async function runStdin(lines: string[], complete: (n: number) => Promise<object>) {
  const m = memoryContext();
  const model = path.join(mkdtempSync(path.join(tmpdir(), 'seedling-cli-')), 'model.seedling');
  writeFileSync(model, 'x');
  const { engine, calls } = fakeEngine(complete);
  (m.ctx as { startEngine: unknown }).startEngine = () => engine;
  (m.ctx.stdin as unknown as PassThrough).end(lines.map((l) => `${l}\n`).join(''));
  const code = await main(['complete', '--model', model, '--stdin'], m.ctx);
  return { code, calls, out: m.out(), err: m.err() };
}

const crashed = () => Object.assign(new Error('engine stopped unexpectedly (signal SIGKILL)'), { code: 'engine-crashed' });

test('complete --stdin: exit status 1 when every request failed, 0 when any succeeded', async () => {
  const bad = await runStdin(['{"prefix":1}', 'nonsense'], async () => ({ completion: 'x' }));
  assert.equal(bad.code, 1);
  assert.match(bad.err, /all 2 request\(s\) failed/);
  const mixed = await runStdin(['{"prefix":1}', '{"prefix":"a"}'], async () => ({ completion: 'x' }));
  assert.equal(mixed.code, 0);
});

test('complete --stdin: after the engine dies, the model is reloaded and the request retried', async () => {
  const r = await runStdin(['{"prefix":"a"}'], async (n) => { if (n === 0) throw crashed(); return { completion: 'done' }; });
  assert.equal(r.code, 0);
  assert.deepEqual(r.calls, ['loadModel', 'complete', 'loadModel', 'complete']);
  assert.equal(JSON.parse(r.out.trim()).completion, 'done');
});
