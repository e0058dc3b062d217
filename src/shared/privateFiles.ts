/**
 * privateFiles.ts: files that describe the user's code (run state, run history) are readable by the
 * user only (0600, directories 0700), and a whole-file rewrite goes through a temporary file whose
 * name cannot be guessed and that is created exclusively (O_EXCL), so another local user cannot
 * plant a link or a file under the name before we write it.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** `<file>.<random>.tmp`: the shape cleanStaleTemporaries looks for. */
export function temporaryNameFor(file: string): string {
  return `${file}.${randomBytes(8).toString('hex')}.tmp`;
}

/** Written whole to an exclusive temporary file and renamed, so a reader never sees half a file. */
export async function writePrivateFileAtomically(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  const temp = temporaryNameFor(file);
  try {
    const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Appends, creating the file 0600; a file left readable by others from an older version is narrowed. */
export async function appendPrivateFile(file: string, data: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, PRIVATE_FILE_MODE);
  try {
    if (process.platform !== 'win32' && ((await handle.stat()).mode & 0o077) !== 0) await chmod(file, PRIVATE_FILE_MODE);
    await handle.appendFile(data, 'utf8');
  } finally {
    await handle.close();
  }
}
