#!/usr/bin/env node
// quickstart-demo.mjs DETAILS.jsonl: shows, for every cursor `seedling eval --details` asked about,
// what the editor would have shown there: the line up to the cursor, the suggestion in grey (or why
// nothing was shown), whether it was copied from the repository or written by the model, and what
// the file really said. The cursors are eval's: sampled by a fixed seed in files the model never
// trained on, so they show the product as it is, not at its best.
import { readFileSync } from 'node:fs';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/quickstart-demo.mjs DETAILS.jsonl');
  process.exit(2);
}
const tty = process.stdout.isTTY;
const grey = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
let shown = 0;
let exact = 0;
for (const row of rows) {
  const a = row.answers.seedling;
  const text = readFileSync(row.path, 'utf8');
  const lineStart = text.lastIndexOf('\n', row.beforeChars - 1) + 1;
  const lineEnd = text.indexOf('\n', row.afterFrom);
  const after = row.kind === 'mid-line' ? text.slice(row.afterFrom, lineEnd < 0 ? undefined : lineEnd) : '';
  const first = (s) => (s.split('\n')[0] ?? '').trimEnd();
  const right = a.text !== '' && first(a.text) === first(row.target);
  console.log(`${row.kind} cursor, ${row.file}:${row.line + 1}`);
  if (a.text === '') {
    console.log(`  ${text.slice(lineStart, row.beforeChars)}|${after}`);
    console.log(`  nothing shown (confidence ${a.confidence?.toFixed(2) ?? '?'} below the threshold; it would have been ${JSON.stringify(first(a.candidate ?? ''))})`);
  } else {
    shown++;
    if (right) exact++;
    const lines = a.text.split('\n');
    console.log(`  ${text.slice(lineStart, row.beforeChars)}${grey(lines[0])}${after}`);
    for (const l of lines.slice(1, 6)) console.log(`  ${grey(l)}`);
    const how = a.source === 'copy' ? 'copied from the repository' : 'written by the model';
    console.log(`  ${how}; confidence ${a.confidence?.toFixed(2) ?? '-'}; first line ${right ? 'right' : `wrong (the file says ${JSON.stringify(first(row.target))})`}`);
  }
  console.log('');
}
console.log(`${rows.length} cursors: ${shown} suggestions shown, ${exact} of them right on their first line`);
