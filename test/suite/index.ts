/**
 * index.ts: the entry VS Code calls (`--extensionTestsPath`) inside the extension host. It runs the
 * mocha suite in this folder and reports to two places: the console (spec reporter, in the extension
 * host log) and a JSON results file that test/suite/run.mjs reads to set its exit code, because
 * code-server does not turn the suite's outcome into a process exit status.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface SuiteResults {
  passes: number;
  failures: number;
  pending: number;
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; ms?: number; error?: string }[];
  /** Measurements the tests chose to report (latency figures); never asserted on. */
  metrics: Record<string, unknown>;
  finishedAt: string;
}

/** Tests put their figures here; they end up in the results file. */
export const metrics: Record<string, unknown> = ((globalThis as Record<string, unknown>).__seedlingSuiteMetrics ??= {}) as Record<string, unknown>;

export async function run(): Promise<void> {
  const resultsFile = process.env.SEEDLING_SUITE_RESULTS ?? path.join(__dirname, 'results.json');
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'spec' });
  const files = (await fs.readdir(__dirname)).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  const results: SuiteResults = { passes: 0, failures: 0, pending: 0, tests: [], metrics, finishedAt: '' };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (t) => {
      results.passes++;
      results.tests.push({ title: t.fullTitle(), state: 'passed', ms: t.duration });
    });
    runner.on('fail', (t, err: Error) => {
      results.failures++;
      results.tests.push({ title: t.fullTitle(), state: 'failed', error: `${err?.message ?? err}\n${err?.stack ?? ''}` });
    });
    runner.on('pending', (t) => {
      results.pending++;
      results.tests.push({ title: t.fullTitle(), state: 'pending' });
    });
  });
  if (files.length === 0) {
    results.failures++;
    results.tests.push({ title: 'suite', state: 'failed', error: `no *.test.js files in ${__dirname}` });
  }
  results.finishedAt = new Date().toISOString();
  await fs.writeFile(resultsFile, JSON.stringify(results, null, 2));
  if (results.failures > 0) throw new Error(`${results.failures} test(s) failed`);
}
