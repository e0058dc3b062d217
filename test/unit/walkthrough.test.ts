/**
 * walkthrough.test.ts: the first-run walkthrough and the icon as package.json declares them. Every
 * step's media exists in a folder that ships in the VSIX, every step completes on a command that
 * exists (ours, contributed; or VS Code's own inline-suggestion commands), and the icon is a
 * 128x128 PNG that ships. The suite opens the walkthrough in a real VS Code.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const vscodeignore = readFileSync(path.join(root, '.vscodeignore'), 'utf8');
const VSCODE_COMMANDS = ['editor.action.inlineSuggest.trigger', 'editor.action.inlineSuggest.acceptNextWord', 'editor.action.inlineSuggest.acceptNextLine'];

test('the walkthrough teaches train, suggestion, accept, dashboard, attention, in that order', () => {
  const walkthroughs = pkg.contributes.walkthroughs;
  assert.equal(walkthroughs.length, 1);
  assert.deepEqual(walkthroughs[0].steps.map((s: { id: string }) => s.id), ['train', 'suggestion', 'accept', 'dashboard', 'attention']);
});

test('every step completes on a command that exists, and accept uses VS Code\'s word and line commands', () => {
  const ours = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
  for (const step of pkg.contributes.walkthroughs[0].steps) {
    assert.ok(step.completionEvents.length > 0, `${step.id} has completion events`);
    for (const event of step.completionEvents) {
      const m = /^onCommand:(.+)$/.exec(event);
      assert.ok(m, `${step.id}: ${event} is an onCommand event`);
      assert.ok(ours.has(m[1]) || VSCODE_COMMANDS.includes(m[1]), `${step.id}: ${m[1]} is neither contributed nor one of VS Code's`);
    }
  }
  const accept = pkg.contributes.walkthroughs[0].steps.find((s: { id: string }) => s.id === 'accept');
  assert.deepEqual(accept.completionEvents, ['onCommand:editor.action.inlineSuggest.acceptNextWord', 'onCommand:editor.action.inlineSuggest.acceptNextLine']);
});

test('every step\'s markdown exists under media/, which ships in the VSIX', () => {
  assert.match(vscodeignore, /^!media\/\*\*$/m);
  for (const step of pkg.contributes.walkthroughs[0].steps) {
    const md = step.media.markdown as string;
    assert.ok(md.startsWith('media/'), `${step.id}: ${md} is under media/`);
    assert.ok(existsSync(path.join(root, md)), `${md} exists`);
    assert.match(readFileSync(path.join(root, md), 'utf8'), /^# /, `${md} starts with a heading`);
  }
});

test('the icon is a 128x128 PNG under media/', () => {
  assert.equal(pkg.icon, 'media/icon.png');
  const png = readFileSync(path.join(root, pkg.icon));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.subarray(12, 16).toString('ascii'), 'IHDR');
  assert.equal(png.readUInt32BE(16), 128);
  assert.equal(png.readUInt32BE(20), 128);
});
