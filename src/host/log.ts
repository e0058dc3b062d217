/**
 * log.ts: the "Seedling" output channel. Everything the extension wants a user (or a bug report) to be
 * able to see later goes here; notifications stay short and point at "Seedling: Show Log" for detail.
 */
import * as vscode from 'vscode';
import { describeError } from '../shared/engineErrors';

// Re-exported: the extension's features describe errors through the log they write to.
export { describeError };

export type LogLevel = 'info' | 'warn' | 'error';

export class Log implements vscode.Disposable {
  private readonly channel: vscode.LogOutputChannel;

  constructor() {
    // A LogOutputChannel adds timestamps and levels, and the user can raise/lower its verbosity.
    this.channel = vscode.window.createOutputChannel('Seedling', { log: true });
  }

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  error(message: string, err?: unknown): void {
    this.channel.error(err === undefined ? message : `${message}: ${describeError(err)}`);
  }

  /** For high-volume detail (per-request completion timings); hidden unless the user asks for "Debug". */
  debug(message: string): void {
    this.channel.debug(message);
  }

  write(level: LogLevel, message: string): void {
    this[level](message);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
