/**
 * walkthrough.test.ts: the first-run walkthrough in a real VS Code. It is registered with the steps
 * package.json declares, `workbench.action.openWalkthrough` opens the Welcome editor with it, and the
 * command each step completes on runs: ours (train, dashboard, attention) and VS Code's own inline
 * suggestion commands (trigger, accept next word, accept next line). That the page shows these steps
 * and ticks the ones done is read from the page itself, in the browser test (test/e2e/scenario.mjs).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SeedlingApi } from '../../src/host/extension';
import type { TrainOutcome } from '../../src/host/training/trainingEvents';

const EXTENSION_ID = 'seedling.seedling';
const WALKTHROUGH = `${EXTENSION_ID}#firstRun`;
const STEPS = ['train', 'suggestion', 'accept', 'dashboard', 'attention'];

interface Step { id: string; completionEvents: string[]; media: { markdown: string } }

const allTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);

/** The first tab that satisfies `predicate`, now or as tabs change; rejects with the labels seen after `ms`. */
function waitForTab(predicate: (tab: vscode.Tab) => boolean, ms: number): Promise<vscode.Tab> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const tab = allTabs().find(predicate);
      if (!tab) return false;
      clearTimeout(timer);
      sub.dispose();
      resolve(tab);
      return true;
    };
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no such tab after ${ms} ms; tabs: ${allTabs().map((t) => t.label).join(', ')}`));
    }, ms);
    const sub = vscode.window.tabGroups.onDidChangeTabs(() => void check());
    check();
  });
}

describe('The first-run walkthrough', function () {
  this.timeout(300_000);
  let steps: Step[];
  let api: SeedlingApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<SeedlingApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    steps = ext.packageJSON.contributes.walkthroughs.find((w: { id: string }) => w.id === 'firstRun').steps;
  });

  it('is contributed with its five steps, each completing on a command', () => {
    assert.deepEqual(steps.map((s) => s.id), STEPS);
    for (const s of steps) assert.ok(s.completionEvents.length > 0 && s.completionEvents.every((e) => e.startsWith('onCommand:')), s.id);
  });

  it('opens in the Welcome editor', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(allTabs().length, 0, 'no editor before');
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH, false);
    // The command opens the Welcome editor without waiting for it. Which walkthrough the page then
    // shows is not always the one asked for: with no Welcome page at start-up (this profile), the
    // command is what starts VS Code's walkthrough service, which registers extensions' walkthroughs
    // only after waiting up to 5 s for its experiments service; the page, built before that, falls
    // back to "Setup VS Code Web" (seen here with code-server 4.100.3). The browser test (test/e2e)
    // therefore opens ours from the palette once the service runs, and reads its steps and their
    // ticks off the page.
    const tab = await waitForTab((t) => /^(Welcome|Walkthrough: )/.test(t.label), 30_000);
    assert.ok(tab.isActive, 'and it is the active tab');
  });

  it('each step\'s completion command runs', async () => {
    const commands = steps.flatMap((s) => s.completionEvents.map((e) => ({ step: s.id, command: e.slice('onCommand:'.length) })));
    const registered = new Set(await vscode.commands.getCommands(false));
    for (const { step, command } of commands) assert.ok(registered.has(command), `${step}: ${command} is registered`);

    // In the order a new user takes them, with a source file in front for the editor commands.
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(folder, 'src', 'shapes.js')));
    await vscode.window.showTextDocument(doc);
    const ran: string[] = [];
    for (const { step, command } of commands) {
      if (step === 'dashboard' || step === 'attention') await vscode.window.showTextDocument(doc);
      const result = await vscode.commands.executeCommand(command);
      if (command === 'seedling.train') assert.equal((result as TrainOutcome).status, 'finished', 'the train step trains');
      ran.push(command);
    }
    assert.deepEqual(ran, commands.map((c) => c.command));
    assert.ok(api.services.model.current, 'after the walkthrough\'s train step a model serves completions');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
