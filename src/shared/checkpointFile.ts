/**
 * checkpointFile.ts: what a checkpoint file must be before anyone asks the engine to read it: a
 * regular file (not a FIFO that would block a reader, not a device) of at most MAX_CHECKPOINT_BYTES.
 * The native loader checks the same again (it is the authority, and files change); stat'ing first
 * gives a clear message without a round trip, and a stamp (path, mtime, size) that says whether the
 * file changed since a failed load.
 */
import { stat } from 'node:fs/promises';

/** The native loader's bound (SL_CHECKPOINT_MAX_FILE_BYTES in native/src/io/checkpoint_format.h). */
export const MAX_CHECKPOINT_BYTES = 4 * 1024 ** 3;

export interface CheckpointStamp {
  path: string;
  mtimeMs: number;
  size: number;
}

export type CheckpointCheck =
  | { ok: true; stamp: CheckpointStamp }
  | { ok: false; missing: boolean; stamp?: CheckpointStamp; reason: string };

/** stat() follows a link on purpose: the user may point baseModelPath at a linked file; the target is judged. */
export async function checkCheckpointFile(path: string): Promise<CheckpointCheck> {
  let s;
  try {
    s = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT' || code === 'ENOTDIR', reason: `cannot stat ${path}: ${code ?? (err as Error).message}` };
  }
  const stamp = { path, mtimeMs: s.mtimeMs, size: s.size };
  if (!s.isFile()) return { ok: false, missing: false, stamp, reason: `${path} is not a regular file` };
  if (s.size > MAX_CHECKPOINT_BYTES) {
    return { ok: false, missing: false, stamp, reason: `${path} is ${s.size} bytes, more than a checkpoint may be (${MAX_CHECKPOINT_BYTES})` };
  }
  return { ok: true, stamp };
}
