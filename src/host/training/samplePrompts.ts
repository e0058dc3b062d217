/**
 * samplePrompts.ts: the prompts the engine completes at every checkpoint, so the dashboard shows the
 * model improving on this workspace's own code: the opening lines of a few files spread over the corpus.
 */
import { promises as fs } from 'node:fs';

const SAMPLE_PROMPTS = 3;
const SAMPLE_PROMPT_CHARS = 240;

export async function samplePrompts(files: readonly string[]): Promise<string[]> {
  if (files.length === 0) return [];
  const picks = [...new Set([0, Math.floor(files.length / 2), files.length - 1])].slice(0, SAMPLE_PROMPTS).map((i) => files[i]);
  const prompts: string[] = [];
  for (const file of picks) {
    const prompt = await openingLines(file);
    if (prompt?.trim()) prompts.push(prompt);
  }
  return prompts;
}

/** Up to SAMPLE_PROMPT_CHARS of the file's start, cut after a whole line; undefined when unreadable. */
async function openingLines(file: string): Promise<string | undefined> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(SAMPLE_PROMPT_CHARS * 2), 0, SAMPLE_PROMPT_CHARS * 2, 0);
      const text = buffer.subarray(0, bytesRead).toString('utf8');
      const cut = text.lastIndexOf('\n', SAMPLE_PROMPT_CHARS);
      return text.slice(0, cut > 0 ? cut + 1 : SAMPLE_PROMPT_CHARS);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined; // an unreadable file only costs a sample
  }
}
