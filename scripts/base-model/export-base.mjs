#!/usr/bin/env node
// export-base.mjs: turn a pretraining checkpoint into the base model that ships in the VSIX.
//   node scripts/base-model/export-base.mjs RUN.seedling models/base-small.seedling
// Keeps the config, tokenizer and weights; drops the optimizer state and progress (a fine-tune starts
// its own), which cuts the file to a third. Prints what it wrote as one JSON line.
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error('usage: node scripts/base-model/export-base.mjs RUN.seedling OUT.seedling');
  process.exit(1);
}
const addon = createRequire(import.meta.url)(path.join(root, 'dist', 'seedling.node'));
const { model, tokenizer } = await addon.checkpointLoad(path.resolve(from), { trainer: false });
await addon.checkpointSave(path.resolve(to), model, tokenizer, null);
console.log(JSON.stringify({ from, to, config: model.config, parameters: model.numParams,
  vocab: tokenizer.vocabSize, bytes: statSync(to).size }));
