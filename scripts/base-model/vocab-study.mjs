#!/usr/bin/env node
// vocab-study.mjs [CORPUS_DIR]: how much text a token carries for each vocabulary size, the evidence
// for the base model's tokenizer (docs/base-model.md). Trains the engine's byte-level BPE on an 8 MB
// sample of CORPUS_DIR/train (every 7th file) and encodes every 7th file of CORPUS_DIR/valid (up to
// 1 MB); prints one JSON line per vocabulary. CORPUS_DIR defaults to .cache/base-corpus
// (scripts/base-model/build_corpus.py build).
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.resolve(process.argv[2] ?? path.join(root, '.cache', 'base-corpus'));
const addon = createRequire(import.meta.url)(path.join(root, 'dist', 'seedling.node'));

function filesUnder(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function sample(dir, capBytes) {
  const docs = [];
  let bytes = 0;
  const all = filesUnder(dir);
  for (let i = 0; i < all.length && bytes < capBytes; i += 7) {
    const text = readFileSync(all[i], 'utf8');
    docs.push(text);
    bytes += Buffer.byteLength(text);
  }
  return { docs, bytes };
}

const train = sample(path.join(corpus, 'train'), 8 << 20);
const valid = sample(path.join(corpus, 'valid'), 1 << 20);
for (const vocab of [2048, 4096, 8192, 16384]) {
  const tokenizer = await addon.Tokenizer.train(train.docs, vocab);
  const tokens = valid.docs.reduce((n, d) => n + tokenizer.encode(d).length, 0);
  console.log(JSON.stringify({ vocab, trainBytes: train.bytes, validBytes: valid.bytes, bytesPerToken: +(valid.bytes / tokens).toFixed(3) }));
  tokenizer.dispose();
}
