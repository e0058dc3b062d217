// suiteHost.mjs: which VS Code runs the in-editor mocha suite (test/suite), and its name for the log.
//
// - VSCODE_EXECUTABLE=<path to a desktop VS Code's Electron binary>: that VS Code, through
//   @vscode/test-electron (the runner VS Code's own docs use; it needs a display, e.g. xvfb-run).
// - SEEDLING_SUITE_VSCODE_VERSION=<stable|insiders|1.x.y>: @vscode/test-electron downloads that build
//   into .vscode-test/ first. Opt-in only: CI here has no internet and never asks for it.
// - neither: code-server 4.100.3 (VS Code 1.100) from .cache/, driven by headless Chromium, as CI does.
// Both hosts load the same suite (out/suite/index.js) on the same workspace with the same settings.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** { kind: 'electron', executable } | { kind: 'electron-download', version } | { kind: 'code-server' }; throws on a bad path. */
export function chooseSuiteHost(env, exists = existsSync) {
  const executable = env.VSCODE_EXECUTABLE?.trim();
  if (executable) {
    // A wrong path is a mistake to report, not a reason to test on another host silently.
    if (!exists(executable)) throw new Error(`VSCODE_EXECUTABLE=${executable} does not exist`);
    return { kind: 'electron', executable };
  }
  const version = env.SEEDLING_SUITE_VSCODE_VERSION?.trim();
  if (version) return { kind: 'electron-download', version };
  return { kind: 'code-server' };
}

/** "code-server 4.100.3", from the installed package (no process started). */
export function codeServerName(codeServerEntry) {
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(codeServerEntry), '..', '..', 'package.json'), 'utf8'));
  return `code-server ${pkg.version}`;
}

/** "VS Code 1.100.3 via @vscode/test-electron": the version the binary itself reports. */
export function desktopName(executable) {
  const version = execFileSync(executable, ['--version'], { encoding: 'utf8', timeout: 60_000 }).split('\n')[0].trim();
  return `VS Code ${version} via @vscode/test-electron`;
}
