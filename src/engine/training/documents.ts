/**
 * documents.ts: the training documents: read them, split train/validation by file.
 *
 * The split is by a hash of the path, so a file stays on the same side across runs and resumes
 * (validation loss stays comparable) and no text of a validation file leaks into training.
 */
import { createHash } from 'node:crypto';
import { readRegularFile } from '../../shared/boundedRead';

/**
 * The collector skips files over 1 MB, but a file can grow or be swapped for a link or a FIFO between
 * the walk and this read, long after; a file over this cap is left out rather than read whole.
 */
export const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

export interface Document { path: string; text: Buffer }

export interface ReadResult { documents: Document[]; unreadable: { path: string; reason: string }[] }

/** Read files concurrently (a few at a time); files that cannot be read are reported, not fatal. */
export async function readDocuments(paths: string[], concurrency = 16, maxBytes = MAX_DOCUMENT_BYTES): Promise<ReadResult> {
  const documents: (Document | undefined)[] = new Array(paths.length);
  const unreadable: { path: string; reason: string }[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < paths.length) {
      const i = next++;
      const read = await readRegularFile(paths[i], maxBytes);
      if ('refused' in read) unreadable.push({ path: paths[i], reason: read.detail ? `${read.refused}: ${read.detail}` : read.refused });
      else if (read.data.length > 0) documents[i] = { path: paths[i], text: read.data };
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return { documents: documents.filter((d): d is Document => d !== undefined), unreadable };
}

/** A stable number in [0, 1) from a path. */
export function pathFraction(p: string): number {
  return createHash('sha256').update(p).digest().readUInt32BE(0) / 0x100000000;
}

export interface Split { train: Buffer[]; validation: Buffer[]; description: string }

/**
 * ~validationShare of the files (by path hash) for validation, at least one file on each side when
 * there are two or more; a single file gives its last validationShare of bytes to validation
 * (cut at a line break when there is one nearby).
 */
export function splitDocuments(docs: Document[], validationShare = 0.1): Split {
  if (docs.length === 0) return { train: [], validation: [], description: 'no documents' };
  if (docs.length === 1) {
    const text = docs[0].text;
    let cut = Math.floor(text.length * (1 - validationShare));
    const newline = text.indexOf(0x0a, cut);
    if (newline >= 0 && newline < text.length - 1 && newline - cut < 200) cut = newline + 1;
    return {
      train: [text.subarray(0, cut)],
      validation: cut < text.length ? [text.subarray(cut)] : [],
      description: `1 file: first ${cut} bytes train, last ${text.length - cut} validate`,
    };
  }
  const ranked = docs.map((d) => ({ d, h: pathFraction(d.path) })).sort((a, b) => a.h - b.h);
  let validation = ranked.filter((r) => r.h < validationShare);
  if (validation.length === 0) validation = [ranked[0]];
  if (validation.length === ranked.length) validation = validation.slice(0, ranked.length - 1);
  const validationSet = new Set(validation.map((r) => r.d));
  const train = docs.filter((d) => !validationSet.has(d));
  return {
    train: train.map((d) => d.text),
    validation: docs.filter((d) => validationSet.has(d)).map((d) => d.text),
    description: `${train.length} files train, ${validationSet.size} validate`,
  };
}
