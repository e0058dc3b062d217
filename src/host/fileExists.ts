/** fileExists.ts: whether a regular file is there (a missing or unreadable path is simply "no"). */
import { promises as fs } from 'node:fs';

export async function fileExists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
