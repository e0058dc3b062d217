/**
 * main.ts: the `seedling` command (bin.ts runs it; bundled to dist/cli.js). Exit status: 0 ok, 1 error (with a
 * message on stderr), 2 usage error (unknown command, bad options; nothing was attempted), 130 interrupted
 * by Ctrl+C (training saves its checkpoint first).
 */
import { UsageError, helpText, parseCommand, type CommandSpec, type Parsed } from './args';
import { benchCommand, benchSpec } from './benchCommand';
import { EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, defaultInstallRoot, makeEngine, type CliContext } from './cliContext';
import { completeCommand, completeSpec } from './completeCommand';
import { evalCommand, evalSpec } from './evalCommand';
import { trainCommand, trainSpec } from './trainCommand';

interface Command {
  spec: CommandSpec;
  run(parsed: Parsed, ctx: CliContext, rawArgs: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  train: { spec: trainSpec, run: trainCommand },
  complete: { spec: completeSpec, run: completeCommand },
  eval: { spec: evalSpec, run: evalCommand },
  bench: { spec: benchSpec, run: benchCommand },
};

declare const SEEDLING_VERSION: string | undefined;

function globalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  return [
    'usage: seedling <command> [options]',
    '',
    'Seedling trains a small GPT on your code, on your machine, and completes code with it.',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.spec.summary}`),
    '',
    'Run `seedling <command> --help` for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(`${globalHelp()}\n`);
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version') {
    ctx.stdout.write(`${typeof SEEDLING_VERSION === 'string' ? SEEDLING_VERSION : 'dev'}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    ctx.stderr.write(`seedling: unknown command "${name}"\n\n${globalHelp()}\n`);
    return EXIT_USAGE;
  }
  try {
    // `bench native` passes its options through to the native benchmark script untouched.
    const passThrough = name === 'bench' && rest[0] === 'native';
    const parsed = passThrough ? { values: {}, positionals: ['native'] } : parseCommand(command.spec, rest);
    if (parsed.values.help) {
      ctx.stdout.write(`${helpText(command.spec)}\n`);
      return 0;
    }
    return await command.run(parsed, ctx, rest);
  } catch (err) {
    if (ctx.interrupt.aborted) return EXIT_INTERRUPTED;
    if (err instanceof UsageError) {
      ctx.stderr.write(`seedling ${name}: ${err.message}\nRun \`seedling ${name} --help\` for usage.\n`);
      return EXIT_USAGE;
    }
    ctx.stderr.write(`seedling ${name}: error: ${(err as Error).message}\n`);
    return EXIT_ERROR;
  }
}

/** The process entry (bin.ts): real streams, Ctrl+C handling, exit status. */
export function run(): void {
  const controller = new AbortController();
  const engines: { dispose(timeoutMs?: number): Promise<void> }[] = [];
  const installRoot = defaultInstallRoot();
  const ctx: CliContext = {
    stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, interrupt: controller.signal, installRoot,
    startEngine: (threads) => {
      const engine = makeEngine(installRoot, process.stderr, threads);
      engines.push(engine);
      return engine;
    },
  };
  process.on('SIGINT', () => {
    if (!controller.signal.aborted) {
      controller.abort();
      return;
    }
    // Second Ctrl+C: stop waiting for a graceful end.
    for (const e of engines) void e.dispose(0);
    process.exit(EXIT_INTERRUPTED);
  });
  // A closed pipe on stdout (e.g. `| head`) is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); });
  main(process.argv.slice(2), ctx).then(
    (code) => { process.exitCode = controller.signal.aborted ? EXIT_INTERRUPTED : code; },
    (err) => { process.stderr.write(`seedling: ${(err as Error).stack ?? err}\n`); process.exitCode = EXIT_ERROR; },
  );
}

