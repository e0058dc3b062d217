/**
 * contextPacking.ts: training documents laid out the way completion prompts are, so the model learns
 * to use related code it is shown: "related chunks" FILE_SEP "a piece of a file". The related chunks
 * come from other files, found by the same retrieval the completer uses (repoIndex.ts). Pure.
 */
import { RepoIndex } from './repoIndex';

/** Characters per piece: about what a completion prompt shows of the document before the cursor. */
export const PIECE_CHARS = 1200;

export interface PackingInput { path: string; text: string }

/** Cut text into pieces of about pieceChars, at line ends. */
export function splitPieces(text: string, pieceChars = PIECE_CHARS): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + pieceChars);
    if (end < text.length) {
      const nl = text.indexOf('\n', end);
      end = nl < 0 ? text.length : nl + 1;
    }
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/**
 * The documents to train on. Files for which chosen(path) is true are replaced by their pieces,
 * each preceded by its related code as a separate document (the dataset puts FILE_SEP between
 * documents, which is exactly the separator the prompt uses); the others stay whole. A piece with
 * nothing related stays alone.
 */
export function packWithContext(
  files: PackingInput[], chosen: (path: string) => boolean, contextChars: number, pieceChars = PIECE_CHARS,
): { documents: string[]; packedPieces: number; contextChars: number } {
  const index = new RepoIndex();
  for (const f of files) index.setFile(f.path, f.text);
  const documents: string[] = [];
  let packedPieces = 0;
  let totalContext = 0;
  for (const f of files) {
    if (!chosen(f.path)) {
      documents.push(f.text);
      continue;
    }
    for (const piece of splitPieces(f.text, pieceChars)) {
      // Query with the piece's opening lines, as the completer queries with the lines at the cursor.
      const related = index.contextFor(piece.slice(0, pieceChars / 2), '', contextChars, f.path);
      if (related) {
        documents.push(related);
        packedPieces++;
        totalContext += related.length;
      }
      documents.push(piece);
    }
  }
  return { documents, packedPieces, contextChars: totalContext };
}
