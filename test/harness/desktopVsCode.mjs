// desktopVsCode.mjs: the suite in a desktop VS Code through @vscode/test-electron (see suiteHost.mjs for
// when). A fresh user-data and extensions folder per run, holding the same settings the code-server
// run writes; the workspace is opened as a folder; other extensions are disabled.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Runs the suite; resolves with VS Code's exit code (test-electron's failure to launch rejects). */
export async function runSuiteInDesktopVsCode({ executable, scratch, workspace, extensionDevelopmentPath, extensionTestsPath, settings, env }) {
  const { runTests } = await import('@vscode/test-electron');
  const userDataDir = path.join(scratch, 'vscode-user-data');
  const extensionsDir = path.join(scratch, 'vscode-extensions');
  await mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  await writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  try {
    return await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath,
      extensionTestsPath,
      extensionTestsEnv: env,
      // test-electron adds --no-sandbox, --disable-workspace-trust, --skip-welcome and the two paths.
      launchArgs: [workspace, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--disable-extensions', '--disable-telemetry'],
    });
  } catch (err) {
    // runTests rejects when VS Code exits non-zero, which is also how a failing suite ends: the
    // results file tells the two apart, so only a launch failure is an error here.
    if (/Test run failed with code \d+/.test(String(err?.message ?? err))) return 1;
    throw err;
  }
}

/** Downloads that VS Code build into .vscode-test/ (cached there) and returns its executable. */
export async function downloadVsCode(version) {
  const { downloadAndUnzipVSCode } = await import('@vscode/test-electron');
  return downloadAndUnzipVSCode(version);
}
