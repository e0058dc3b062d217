/**
 * trainData.ts: what a run trains and validates on. The documents are read and split by file
 * (documents.ts), some training files are packed with related code, and both sides become token
 * datasets that must hold at least one training window.
 */
import type { NativeDataset, NativeTokenizer, SeedlingAddon } from '../addon';
import { codedError } from '../../shared/engineErrors';
import { packWithContext } from '../../shared/context/contextPacking';
import type { TrainParams } from '../../shared/protocol';
import { pathFraction, readDocuments, splitDocuments, type Document } from './documents';
import type { TrainLog } from './trainHooks';
import { CONTEXT_PACKING_CHARS, DEFAULT_CONTEXT_SHARE } from './trainSettings';

export interface TrainText { trainDocs: Buffer[]; validationDocs: Buffer[] }

export interface TrainDatasets { train: NativeDataset; validation: NativeDataset | undefined }

/** The run's text: the given validation files, else a split of the training files by path hash. */
export async function loadDocuments(params: TrainParams, log: TrainLog): Promise<TrainText> {
  const unique = [...new Set(params.files)];
  const read = await readDocuments(unique);
  for (const u of read.unreadable) log('warn', `skipped unreadable file ${u.path}: ${u.reason}`);
  if (read.documents.length === 0) {
    const detail = unique.length ? ` (${unique.length} given, none readable and non-empty)` : '';
    throw codedError('invalid argument', `no training text: 0 files${detail}`);
  }
  if (params.validationFiles && params.validationFiles.length > 0) {
    const validation = await readDocuments([...new Set(params.validationFiles)]);
    for (const u of validation.unreadable) log('warn', `skipped unreadable validation file ${u.path}: ${u.reason}`);
    return { trainDocs: read.documents.map((d) => d.text), validationDocs: validation.documents.map((d) => d.text) };
  }
  const split = splitDocuments(read.documents);
  log('info', `split: ${split.description}`);
  return { trainDocs: withContext(params, read.documents, split.train, log), validationDocs: split.validation };
}

/**
 * Some training files become "related code FILE_SEP piece" documents (contextPacking.ts), so the
 * model learns to copy from retrieved code. Validation stays plain text: its loss stays comparable
 * across runs with and without packing.
 */
function withContext(params: TrainParams, all: Document[], train: Buffer[], log: TrainLog): Buffer[] {
  const share = params.contextShare ?? DEFAULT_CONTEXT_SHARE;
  if (!(share > 0) || train.length < 2) return train;
  const pathOf = new Map(all.map((d) => [d.text, d.path]));
  const files = train.map((text) => ({ path: pathOf.get(text) ?? '', text: text.toString('utf8') }));
  const packed = packWithContext(files, (p) => pathFraction(p) < share, CONTEXT_PACKING_CHARS);
  log('info', `context packing: ${packed.packedPieces} pieces with ${packed.contextChars} characters of related code ` +
    `(share ${share})`);
  return packed.documents.map((d) => Buffer.from(d, 'utf8'));
}

/**
 * Tokenize both sides. Training text shorter than one window (seqLen + 1 tokens) is an error that says
 * what to do; validation text that short only means training without a validation loss.
 * `own` takes each dataset as it is made, so the caller frees it even when a later step throws.
 */
export async function createDatasets(
  addon: SeedlingAddon, tokenizer: NativeTokenizer, text: TrainText, seqLen: number, preset: TrainParams['preset'],
  log: TrainLog, own: (dataset: NativeDataset) => void,
): Promise<TrainDatasets> {
  const train = await addon.Dataset.create(tokenizer, text.trainDocs);
  own(train);
  if (train.numTokens < seqLen + 1) {
    const hint = preset === 'tiny' ? 'add more files' : 'add more files or use the tiny preset (--preset tiny)';
    throw codedError('invalid argument', `corpus too small: ${train.numTokens} tokens, but one training window of ` +
      `the ${preset} preset needs ${seqLen + 1}; ${hint}`);
  }
  let validation: NativeDataset | undefined;
  if (text.validationDocs.length > 0) {
    const v = await addon.Dataset.create(tokenizer, text.validationDocs);
    own(v);
    if (v.numTokens >= seqLen + 1) validation = v;
    else log('warn', `validation text too small (${v.numTokens} tokens < ${seqLen + 1}): training without validation loss`);
  }
  return { train, validation };
}
