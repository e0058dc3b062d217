#!/usr/bin/env node
// quality-table.mjs NAME=DETAILS.jsonl... [--threshold X]: the quality tables of docs/quality.md from
// `seedling eval --min-confidence 0 --details FILE` runs, one per code base. For each cursor kind and
// system: first-line exact match of what it proposes (before any threshold), edit similarity, lines
// right in a row, share of characters saved accepting line by line; the ratio to the better baseline;
// and for Seedling at the threshold (default: the editor's), the share of cursors shown a suggestion
// and exact match among those. Markdown on stdout. Scored with src/eval/cursorMetrics.ts.
import { readFileSync } from 'node:fs';
import { requireSource } from './require-source.mjs';

const args = process.argv.slice(2);
const ti = args.indexOf('--threshold');
const runs = args.filter((a, i) => a.includes('=') && (ti < 0 || i !== ti + 1)).map((a) => a.split('='));
if (runs.length === 0) {
  console.error('usage: node scripts/quality-table.mjs NAME=DETAILS.jsonl... [--threshold X]');
  process.exit(2);
}
const { scoreSuggestion, summarizeCursor, DEFAULT_MIN_CONFIDENCE } = await requireSource(
  "export { scoreSuggestion, summarizeCursor } from './src/eval/cursorMetrics';\n" +
  "export { DEFAULT_MIN_CONFIDENCE } from './src/shared/completion/editorRequest';\n");
const threshold = ti >= 0 ? Number(args[ti + 1]) : DEFAULT_MIN_CONFIDENCE;
const KINDS = ['end-of-line', 'mid-line', 'new-line'];
const BASELINES = ['copy', 'char-12-gram'];
const f3 = (x) => x.toFixed(3);

for (const kind of KINDS) {
  console.log(`\n#### ${kind}\n`);
  console.log('| code base | cursors | system | first-line exact | edit sim | lines right | chars saved | vs better baseline | p50 / p95 ms | shown at ' + threshold + ' | exact among shown |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, file] of runs) {
    const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.kind === kind);
    if (rows.length === 0) continue;
    const systems = Object.keys(rows[0].answers);
    const summary = {};
    for (const s of systems) {
      const scores = rows.map((r) => scoreSuggestion(r.answers[s].candidate ?? r.answers[s].text, r.target));
      summary[s] = summarizeCursor(scores, rows.map((r) => r.answers[s].ms));
    }
    const best = Math.max(...BASELINES.map((b) => summary[b]?.firstLineExact ?? 0));
    for (const s of systems) {
      const r = summary[s];
      let shown = '';
      if (!BASELINES.includes(s) && rows.some((x) => x.answers[s].confidence !== undefined)) {
        const kept = rows.filter((x) => (x.answers[s].candidate ?? '').trim() !== '' && (x.answers[s].confidence ?? 1) >= threshold);
        const exact = kept.filter((x) => scoreSuggestion(x.answers[s].candidate, x.target).firstLineExact).length;
        shown = `| ${(kept.length / rows.length).toFixed(2)} | ${kept.length ? f3(exact / kept.length) : '-'} `;
      } else shown = '| | ';
      const ratio = BASELINES.includes(s) || best === 0 ? '' : `${(r.firstLineExact / best).toFixed(2)}x`;
      console.log(`| ${name} | ${rows.length} | ${s} | ${f3(r.firstLineExact)} | ${f3(r.editSimilarity)} | ${r.linesRight.toFixed(2)} | ${f3(r.charsSavedShare)} | ${ratio} | ${r.latencyP50Ms.toFixed(1)} / ${r.latencyP95Ms.toFixed(1)} ${shown}|`);
    }
  }
}
