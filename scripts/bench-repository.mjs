#!/usr/bin/env node
// bench-repository.mjs [DIR...] [--mb 64] [--lookups 500]: the repository ∞-gram at the workspace cap.
// Reads source files under DIR (default: Python's standard library; the base model's corpus,
// .cache/base-corpus/train, fills the 64 MiB cap) up to --mb MiB, encodes them with
// the shipped base model's tokenizer, sorts the suffix array with the engine (sl_suffix_sort, the
// engine process's own path), and times ∞-gram lookups at random cursors; beside it, in the same run,
// the linear copy search it replaces (WorkspaceContext.copy) at the same cursors. Prints one JSON line.
// Needs `npm run build`.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireSource } from './require-source.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : fallback; };
const dirs = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
const capBytes = option('mb', 64) * 1024 * 1024;
const lookups = option('lookups', 500);
if (dirs.length === 0) dirs.push(execFileSync('python3', ['-c', 'import os; print(os.path.dirname(os.__file__))'], { encoding: 'utf8' }).trim());

const { loadAddon, TokenSuffixArray, MAX_DEPTH, WorkspaceContext } = await requireSource(
  "export { loadAddon } from './src/engine/addon';\n" +
  "export { TokenSuffixArray, MAX_DEPTH } from './src/engine/infgram/tokenSuffixArray';\n" +
  "export { WorkspaceContext } from './src/shared/context/workspaceContext';\n");
const addon = loadAddon(path.join(root, 'dist'));
const { tokenizer } = await addon.checkpointLoad(path.join(root, 'models', 'base-small.seedling'), { trainer: false });

const files = [];
const walk = (d) => { for (const n of readdirSync(d).sort()) { const p = path.join(d, n); const s = statSync(p); if (s.isDirectory()) walk(p); else if (/\.(py|ts|js|c|h|cc)$/.test(n)) files.push(p); } };
for (const d of dirs) walk(d);
const texts = [];
let bytes = 0;
for (const f of files) {
  const b = readFileSync(f);
  if (b.length > 256 * 1024 || b.includes(0)) continue;
  if (bytes + b.length > capBytes) break;
  bytes += b.length;
  texts.push(b.toString('utf8'));
}
let t0 = performance.now();
const encoded = texts.map((t) => tokenizer.encode(t));
const encodeMs = performance.now() - t0;
const tokens = TokenSuffixArray.join(encoded);
const rss0 = process.memoryUsage().rss;
t0 = performance.now();
const order = await addon.suffixSort(tokens, MAX_DEPTH);
const sortMs = performance.now() - t0;
const array = TokenSuffixArray.fromSorted(tokens, order);
const sortRssDeltaMiB = Math.round((process.memoryUsage().rss - rss0) / 1048576);

const workspace = new WorkspaceContext();
texts.forEach((t, i) => workspace.setFile(`f${i}`, t));
let seed = 7;
const random = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296; };
const infgram = [];
const copy = [];
workspace.copy('', '', undefined); // builds the joined text once, as the first request would
for (let q = 0; q < lookups; q++) {
  const i = Math.floor(random() * texts.length);
  const text = texts[i];
  if (text.length < 400) { q--; continue; }
  const cursor = 200 + Math.floor(random() * (text.length - 200));
  const context = tokenizer.encode(text.slice(Math.max(0, cursor - 400), cursor));
  let t = performance.now();
  array.next(context);
  infgram.push(performance.now() - t);
  t = performance.now();
  workspace.copy(text.slice(0, cursor), text.slice(cursor), `f${i}`);
  copy.push(performance.now() - t);
}
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return +s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))].toFixed(3); };
console.log(JSON.stringify({
  benchmark: 'repository', mib: +(bytes / 1048576).toFixed(2), files: texts.length, tokens: tokens.length,
  encodeMs: Math.round(encodeMs), suffixSortMs: Math.round(sortMs), buildMs: Math.round(encodeMs + sortMs),
  bytesPerToken: +((array.tokens.byteLength + array.order.byteLength) / tokens.length).toFixed(2),
  sortRssDeltaMiB,
  infgramLookupMs: { p50: pct(infgram, 50), p95: pct(infgram, 95) },
  anchor: { name: 'linear copy search (WorkspaceContext.copy)', p50: pct(copy, 50), p95: pct(copy, 95) },
}));
