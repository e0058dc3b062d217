/**
 * train-suggestion.test.ts: the first-run nudge to train (src/host/training/trainSuggestion.ts) with
 * fake VS Code parts: shown once per workspace when there are sources and no model, never for an
 * empty folder, a trained one, an untrusted one or during a run, and "Don't ask again" holds across
 * workspaces. The suite checks the same in a real VS Code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER_ITEM, SUGGESTION_MESSAGE, TRAIN_ITEM, TrainSuggestion, type TrainSuggestionDeps } from '../../src/host/training/trainSuggestion';

class FakeMemento {
  private readonly map = new Map<string, unknown>();
  keys(): readonly string[] { return [...this.map.keys()]; }
  get<T>(key: string, fallback?: T): T | undefined { return (this.map.has(key) ? this.map.get(key) : fallback) as T | undefined; }
  async update(key: string, value: unknown): Promise<void> { this.map.set(key, value); }
}

function setup(over: Partial<TrainSuggestionDeps> & { answer?: string } = {}) {
  const shown: string[][] = [];
  let trained = 0;
  const deps = {
    workspaceState: new FakeMemento(),
    globalState: new FakeMemento(),
    folder: () => ({ fsPath: '/w' }),
    isTrusted: () => true,
    isTraining: () => false,
    hasModel: async () => false,
    hasSources: async () => true,
    show: async (message: string, ...items: string[]) => { shown.push([message, ...items]); return over.answer; },
    train: async () => { trained++; },
    log: () => {},
    ...over,
  } as unknown as TrainSuggestionDeps;
  return { deps, shown, trained: () => trained, suggestion: new TrainSuggestion(deps) };
}

test('a workspace with sources and no model is asked once, with Train and Don\'t ask again', async () => {
  const { suggestion, shown } = setup();
  assert.equal(await suggestion.check(), 'shown');
  assert.deepEqual(shown, [[SUGGESTION_MESSAGE, TRAIN_ITEM, NEVER_ITEM]]);
  assert.equal(await suggestion.check(), 'asked-before');
  assert.equal(shown.length, 1);
});

test('two overlapping checks show one message', async () => {
  const { suggestion, shown } = setup();
  const outcomes = await Promise.all([suggestion.check(), suggestion.check()]);
  assert.deepEqual(outcomes, ['shown', 'shown']);
  assert.equal(shown.length, 1);
});

test('never for an empty folder, a trained one, an untrusted one, no folder, or during a run', async () => {
  const cases: [Partial<TrainSuggestionDeps>, string][] = [
    [{ hasSources: async () => false }, 'no-sources'],
    [{ hasModel: async () => true }, 'has-model'],
    [{ isTrusted: () => false }, 'untrusted'],
    [{ folder: () => undefined }, 'no-folder'],
    [{ isTraining: () => true }, 'training'],
  ];
  for (const [over, outcome] of cases) {
    const { suggestion, shown, deps } = setup(over);
    assert.equal(await suggestion.check(), outcome);
    assert.equal(shown.length, 0, outcome);
    assert.equal(deps.workspaceState.get('seedling.trainSuggestion.shown'), undefined, `${outcome}: not remembered as asked`);
  }
});

test('an empty folder is asked later, once it has sources', async () => {
  let sources = false;
  const { suggestion, shown } = setup({ hasSources: async () => sources });
  assert.equal(await suggestion.check(), 'no-sources');
  sources = true;
  assert.equal(await suggestion.check(), 'shown');
  assert.equal(shown.length, 1);
});

test('Train starts training; Don\'t ask again holds in every workspace', async () => {
  const trainer = setup({ answer: TRAIN_ITEM });
  await trainer.suggestion.check();
  assert.equal(await trainer.suggestion.answered, TRAIN_ITEM);
  assert.equal(trainer.trained(), 1);

  const never = setup({ answer: NEVER_ITEM });
  await never.suggestion.check();
  await never.suggestion.answered;
  assert.equal(never.trained(), 0);
  // Another workspace (fresh workspaceState), same user (same globalState).
  const other = new TrainSuggestion({ ...never.deps, workspaceState: new FakeMemento() as never });
  assert.equal(await other.check(), 'declined-forever');
  assert.equal(never.shown.length, 1);
});
