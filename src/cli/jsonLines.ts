/**
 * jsonLines.ts: the JSON-lines protocol of `seedling complete --stdin`: one request object per
 * input line, one answer line per request, always in input order. Requests are handed to the
 * engine as they arrive (a few in flight hide the IPC round trip); answers wait for their turn.
 * A malformed line gets an {"error": ...} answer in its place; the stream goes on.
 */
import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';

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
  if (typeof o.maxTokens === 'number') out.maxTokens = o.maxTokens;
  if (typeof o.temperature === 'number') out.temperature = o.temperature;
  if (Array.isArray(o.stop) && o.stop.every((s) => typeof s === 'string')) out.stop = o.stop as string[];
  return out;
}

/**
 * Serve requests from input until it ends; returns the number of lines answered. Each answer is
 * written as soon as it and every answer before it are ready, so a client that sends one request
 * and waits for its answer (an editor, a benchmark) is served at once.
 */
export async function serveJsonLines(input: Readable, output: Writable,
  complete: (request: CompletionRequestLine) => Promise<Record<string, unknown>>, maxInFlight = 4): Promise<number> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const pending: { text?: string }[] = [];  // in input order; text set when answered
  let inFlight = 0;
  let answered = 0;
  let wake: (() => void) | undefined;
  const answer = async (line: string): Promise<string> => {
    try {
      return JSON.stringify(await complete(parseRequestLine(line)));
    } catch (err) {
      return JSON.stringify({ error: (err as Error).message });
    }
  };
  const flush = () => {
    while (pending.length > 0 && pending[0].text !== undefined) {
      output.write(`${pending.shift()!.text}\n`);
      answered++;
    }
  };
  const slotFreed = () => new Promise<void>((resolve) => { wake = resolve; });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    while (inFlight >= maxInFlight) await slotFreed();
    const slot: { text?: string } = {};
    pending.push(slot);
    inFlight++;
    void answer(line).then((text) => {
      slot.text = text;
      inFlight--;
      flush();
      wake?.();
      wake = undefined;
    });
  }
  while (inFlight > 0) await slotFreed();
  return answered;
}
