/**
 * jsonLines.ts: the JSON-lines protocol of `seedling complete --stdin`: one request object per
 * input line, one answer line per request, always in input order. Requests are handed to the
 * engine as they arrive (a few in flight hide the IPC round trip); answers wait for their turn.
 * A malformed line (or one over MAX_LINE_BYTES) gets an {"error": ...} answer in its place; the
 * stream goes on. Input is not read while the output is backed up (a slow reader slows the service
 * rather than filling memory).
 */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { boundedLines } from './boundedLines';

/** A request is a prefix and a suffix of one document: 4 MiB is far more than a context window holds. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;
/** The same bounds as `seedling complete --max-tokens` and `--temperature`. */
export const MAX_TOKENS_RANGE = { min: 1, max: 4096 };
export const TEMPERATURE_RANGE = { min: 0, max: 10 };

export interface CompletionRequestLine { prefix: string; suffix: string; maxTokens?: number; temperature?: number; stop?: string[] }

export function parseRequestLine(line: string): CompletionRequestLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
  const o = value as Record<string, unknown>;
  if (typeof o.prefix !== 'string') throw new Error('"prefix" must be a string');
  if (o.suffix !== undefined && typeof o.suffix !== 'string') throw new Error('"suffix" must be a string');
  const out: CompletionRequestLine = { prefix: o.prefix, suffix: (o.suffix as string | undefined) ?? '' };
  if (o.maxTokens !== undefined) {
    if (!Number.isInteger(o.maxTokens) || (o.maxTokens as number) < MAX_TOKENS_RANGE.min || (o.maxTokens as number) > MAX_TOKENS_RANGE.max) {
      throw new Error(`"maxTokens" must be an integer from ${MAX_TOKENS_RANGE.min} to ${MAX_TOKENS_RANGE.max}`);
    }
    out.maxTokens = o.maxTokens as number;
  }
  if (o.temperature !== undefined) {
    if (typeof o.temperature !== 'number' || !Number.isFinite(o.temperature) || o.temperature < TEMPERATURE_RANGE.min || o.temperature > TEMPERATURE_RANGE.max) {
      throw new Error(`"temperature" must be a number from ${TEMPERATURE_RANGE.min} to ${TEMPERATURE_RANGE.max}`);
    }
    out.temperature = o.temperature;
  }
  if (o.stop !== undefined) {
    if (!Array.isArray(o.stop) || !o.stop.every((s) => typeof s === 'string')) throw new Error('"stop" must be an array of strings');
    out.stop = o.stop as string[];
  }
  return out;
}

/** How a service went: lines answered, and how many of those answers were errors. */
export interface ServeTally { answered: number; failed: number }

/**
 * Serve requests from input until it ends. Each answer is written as soon as it and every answer
 * before it are ready, so a client that sends one request and waits for its answer (an editor, a
 * benchmark) is served at once.
 */
export async function serveJsonLines(input: Readable, output: Writable,
  complete: (request: CompletionRequestLine) => Promise<Record<string, unknown>>, maxInFlight = 4,
  maxLineBytes = MAX_LINE_BYTES): Promise<ServeTally> {
  const pending: { text?: string; failed?: boolean }[] = [];  // in input order; text set when answered
  const tally: ServeTally = { answered: 0, failed: 0 };
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const answer = async (line: string): Promise<{ text: string; failed: boolean }> => {
    try {
      return { text: JSON.stringify(await complete(parseRequestLine(line))), failed: false };
    } catch (err) {
      return { text: JSON.stringify({ error: (err as Error).message }), failed: true };
    }
  };
  const flush = () => {
    while (pending.length > 0 && pending[0].text !== undefined) {
      const done = pending.shift()!;
      output.write(`${done.text}\n`);
      tally.answered++;
      if (done.failed) tally.failed++;
    }
  };
  const slotFreed = () => new Promise<void>((resolve) => { wake = resolve; });
  for await (const item of boundedLines(input, maxLineBytes)) {
    if ('line' in item && item.line.trim() === '') continue;
    while (inFlight >= maxInFlight) await slotFreed();
    if (output.writableNeedDrain) await once(output, 'drain');
    const slot: { text?: string; failed?: boolean } = {};
    pending.push(slot);
    inFlight++;
    const answered = 'line' in item
      ? answer(item.line)
      : Promise.resolve({ text: JSON.stringify({ error: `line of ${item.tooLong} bytes is longer than ${maxLineBytes}` }), failed: true });
    void answered.then(({ text, failed }) => {
      slot.text = text;
      slot.failed = failed;
      inFlight--;
      flush();
      wake?.();
      wake = undefined;
    });
  }
  while (inFlight > 0) await slotFreed();
  return tally;
}
