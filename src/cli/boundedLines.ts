/**
 * boundedLines.ts: the lines of a stream, each at most maxBytes long. readline keeps a line in memory
 * until its newline arrives, so one endless line on stdin would grow the process without bound; here
 * the bytes past the cap are dropped as they arrive and the line is reported as too long, once.
 */
import type { Readable } from 'node:stream';

export type BoundedLine = { line: string } | { tooLong: number };

export async function* boundedLines(input: Readable, maxBytes: number): AsyncGenerator<BoundedLine> {
  let parts: Buffer[] = [];
  let kept = 0;
  let dropped = 0;  // bytes of the current line past the cap
  const end = (): BoundedLine => {
    const out: BoundedLine = dropped > 0 ? { tooLong: kept + dropped } : { line: stripCr(Buffer.concat(parts, kept).toString('utf8')) };
    parts = [];
    kept = 0;
    dropped = 0;
    return out;
  };
  const take = (piece: Buffer) => {
    if (dropped === 0 && kept + piece.length <= maxBytes) {
      parts.push(piece);
      kept += piece.length;
    } else {
      dropped += piece.length;
      parts = [];  // the line is lost anyway: free what was kept of it
    }
  };
  for await (const chunk of input) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      take(buf.subarray(0, nl));
      yield end();
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > 0) take(buf);
  }
  if (kept > 0 || dropped > 0) yield end();
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
