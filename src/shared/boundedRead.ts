/**
 * boundedRead.ts: read a file that a repository controls without letting it freeze or exhaust the
 * reader. A committed `.gitignore -> /dev/zero` would be read forever, a link to a FIFO would block a
 * thread-pool thread until someone writes to it, and a file that grew after it was checked would be
 * read whole. So: never follow a symbolic link at the last path component, open without waiting for a
 * FIFO's writer, accept regular files only, stop reading past the cap, and honour an abort signal
 * between chunks.
 */
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';

export type RefusedRead = 'missing' | 'symbolic link' | 'not a regular file' | 'too large' | 'unreadable';

export type BoundedRead = { data: Buffer } | { refused: RefusedRead; detail?: string };

const CHUNK_BYTES = 64 * 1024;

// O_NOFOLLOW and O_NONBLOCK do not exist on Windows (where FIFOs and /dev/zero do not either); there
// an lstat before the open stands in for O_NOFOLLOW.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const OPEN_FLAGS = constants.O_RDONLY | NO_FOLLOW | (constants.O_NONBLOCK ?? 0);

/** The whole file when it is a regular file of at most maxBytes bytes; otherwise why not. Rejects only on abort. */
export async function readRegularFile(file: string, maxBytes: number, signal?: AbortSignal): Promise<BoundedRead> {
  signal?.throwIfAborted();
  let handle: FileHandle | undefined;
  try {
    if (NO_FOLLOW === 0 && (await lstat(file)).isSymbolicLink()) return { refused: 'symbolic link' };
    handle = await open(file, OPEN_FLAGS);
    const stat = await handle.stat();
    if (!stat.isFile()) return { refused: 'not a regular file' };
    if (stat.size > maxBytes) return { refused: 'too large', detail: `${stat.size} bytes > ${maxBytes}` };
    return await readUpTo(handle, maxBytes, signal);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    const code = (err as NodeJS.ErrnoException).code;
    // ELOOP is how O_NOFOLLOW reports a link at the last component (EMLINK on some BSDs).
    if (code === 'ELOOP' || code === 'EMLINK') return { refused: 'symbolic link' };
    if (code === 'ENOENT' || code === 'ENOTDIR') return { refused: 'missing', detail: (err as Error).message };
    return { refused: 'unreadable', detail: (err as Error).message };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Reads until end of file; a file that grew past maxBytes since its stat is refused, not truncated. */
async function readUpTo(handle: FileHandle, maxBytes: number, signal?: AbortSignal): Promise<BoundedRead> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    signal?.throwIfAborted();
    const want = Math.min(CHUNK_BYTES, maxBytes + 1 - total);
    const chunk = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(chunk, 0, want, null);
    if (bytesRead === 0) break;
    chunks.push(bytesRead === want ? chunk : chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) return { refused: 'too large', detail: `more than ${maxBytes} bytes` };
  }
  return { data: Buffer.concat(chunks, total) };
}
