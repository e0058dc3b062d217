/**
 * cliContext.ts: what every command gets: streams, a signal raised by Ctrl+C, and an engine client.
 */
import * as path from 'node:path';
import { EngineClient } from '../shared/engineClient';

export interface CliContext {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Aborted on the first Ctrl+C (the command stops gracefully; a second Ctrl+C exits at once). */
  interrupt: AbortSignal;
  /** The installation root (the folder holding dist/ and models/). */
  installRoot: string;
  /** A supervised engine process; `threads` sets its thread pool size. */
  startEngine(threads?: number): EngineClient;
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** Bad options or arguments: nothing was attempted (as getopt-style tools and BSD's sysexits do). */
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

export function defaultInstallRoot(): string {
  // dist/cli.js -> the package root
  return path.resolve(__dirname, '..');
}

export function makeEngine(installRoot: string, stderr: NodeJS.WriteStream, threads?: number): EngineClient {
  return new EngineClient({
    enginePath: path.join(installRoot, 'dist', 'engineProcess.js'),
    env: threads ? { SEEDLING_THREADS: String(threads) } : {},
    onStderr: (text) => stderr.write(text),
  });
}
